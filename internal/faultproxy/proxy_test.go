package faultproxy_test

import (
	"bufio"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/faultproxy"
)

// echo starts a server that answers every line with the same line, and a
// proxy in front of it; it returns the proxy and a connection through it.
func echo(t *testing.T) (*faultproxy.Proxy, net.Conn, *bufio.Reader) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	p, err := faultproxy.New(ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(p.Close)
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return p, c, bufio.NewReader(c)
}

// roundTrip sends a line and waits at most wait for it to come back.
func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, wait time.Duration) (bool, time.Duration) {
	t.Helper()
	start := time.Now()
	require.NoError(t, c.SetDeadline(start.Add(wait)))
	_, err := c.Write([]byte("ping\n"))
	require.NoError(t, err)
	line, err := r.ReadString('\n')
	if err != nil {
		return false, time.Since(start)
	}
	assert.Equal(t, "ping\n", line)
	return true, time.Since(start)
}

// TestHold: bytes held one way do not arrive, and nothing is closed; after
// Restore they arrive on the same connection.
func TestHold(t *testing.T) {
	for _, d := range []faultproxy.Direction{faultproxy.ToServer, faultproxy.ToClient} {
		p, c, r := echo(t)
		ok, _ := roundTrip(t, c, r, 5*time.Second)
		require.True(t, ok, "before")
		p.Hold(d)
		start := time.Now()
		require.NoError(t, c.SetDeadline(start.Add(300*time.Millisecond)))
		_, err := c.Write([]byte("ping\n"))
		require.NoError(t, err)
		_, err = r.ReadString('\n')
		var ne net.Error
		require.ErrorAs(t, err, &ne, "direction %d held: want a timeout", d)
		assert.True(t, ne.Timeout(), "direction %d held: %v", d, err)
		p.Restore()
		require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
		line, err := r.ReadString('\n')
		require.NoError(t, err, "direction %d restored: the held line arrives", d)
		assert.Equal(t, "ping\n", line)
	}
}

// TestSlow: a slow link delays each way.
func TestSlow(t *testing.T) {
	p, c, r := echo(t)
	p.Slow(150 * time.Millisecond)
	ok, took := roundTrip(t, c, r, 5*time.Second)
	require.True(t, ok)
	assert.GreaterOrEqual(t, took, 300*time.Millisecond, "two delayed chunks")
	p.Restore()
	ok, took = roundTrip(t, c, r, 5*time.Second)
	require.True(t, ok)
	assert.Less(t, took, 150*time.Millisecond, "restored")
}

// TestCutAndRestore: Cut closes the connections through the proxy and
// leaves new ones accepted but unanswered; Restore forwards new ones again
// (a connection held while cut stays dead).
func TestCutAndRestore(t *testing.T) {
	p, before, br := echo(t)
	ok, _ := roundTrip(t, before, br, 5*time.Second)
	require.True(t, ok, "forwarded")

	p.Cut()
	require.NoError(t, before.SetDeadline(time.Now().Add(5*time.Second)))
	_, err := before.Write([]byte("ping\n"))
	if err == nil {
		_, err = br.ReadString('\n')
	}
	assert.Error(t, err, "a connection from before the cut still works")
	assert.False(t, errors.Is(err, os.ErrDeadlineExceeded), "a cut connection is closed, not silent: %v", err)

	during, err := net.Dial("tcp", p.Addr()) // accepted, never answered
	require.NoError(t, err)
	defer during.Close()
	dr := bufio.NewReader(during)
	require.NoError(t, during.SetDeadline(time.Now().Add(200*time.Millisecond)))
	_, _ = during.Write([]byte("ping\n"))
	_, err = dr.ReadString('\n')
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "a connection made while cut is answered")

	p.Restore()
	require.NoError(t, during.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = during.Write([]byte("ping\n"))
	if err == nil {
		_, err = dr.ReadString('\n')
	}
	assert.Error(t, err, "a connection held while cut is still open after Restore")
	after, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer after.Close()
	ok, _ = roundTrip(t, after, bufio.NewReader(after), 5*time.Second)
	assert.True(t, ok, "forwarded after Restore")
}

package testenv_test

import (
	"bufio"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
)

// echoServer answers every line with the same line until the test ends.
func echoServer(t *testing.T) string {
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
	return ln.Addr().String()
}

// roundTrip sends a line on c and reads the answer, waiting at most wait.
func roundTrip(c net.Conn, wait time.Duration) (string, error) {
	if err := c.SetDeadline(time.Now().Add(wait)); err != nil {
		return "", err
	}
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestProxy(t *testing.T) {
	p := testenv.NewProxy(t, echoServer(t))

	before := dial(t, p.Addr())
	got, err := roundTrip(before, 5*time.Second)
	require.NoError(t, err, "forwarded")
	assert.Equal(t, "ping\n", got)

	p.Cut()
	_, err = roundTrip(before, 5*time.Second)
	assert.Error(t, err, "a connection from before the cut still works")
	assert.False(t, errors.Is(err, os.ErrDeadlineExceeded), "a cut connection is closed, not silent: %v", err)

	during := dial(t, p.Addr()) // accepted, never answered
	_, err = roundTrip(during, 200*time.Millisecond)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "a connection made while cut is answered")

	p.Restore()
	_, err = roundTrip(during, 5*time.Second)
	assert.Error(t, err, "a connection held while cut is still open after Restore")
	after := dial(t, p.Addr())
	got, err = roundTrip(after, 5*time.Second)
	require.NoError(t, err, "forwarded after Restore")
	assert.Equal(t, "ping\n", got)
}

func TestProxyURL(t *testing.T) {
	p := testenv.NewProxy(t, "127.0.0.1:1")
	tests := []struct{ in, want string }{
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "postgres://postgres@" + p.Addr() + "/test?sslmode=disable"},
		{"redis://127.0.0.1:6379/0", "redis://" + p.Addr() + "/0"},
		{"redis://:secret@db.example:6379", "redis://:secret@" + p.Addr()},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, p.URL(t, tt.in))
		})
	}
}

func TestHostPort(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "127.0.0.1:5432"},
		{"postgres://db.example/test", "db.example:5432"},
		{"postgresql://[::1]/test", "[::1]:5432"},
		{"redis://127.0.0.1:6380/0", "127.0.0.1:6380"},
		{"redis://localhost", "localhost:6379"},
		{"rediss://:pw@cache.example/1", "cache.example:6379"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, testenv.HostPort(t, tt.in))
		})
	}
}

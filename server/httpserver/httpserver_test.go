package httpserver_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/httpserver"
)

// serve runs New(h) on a loopback listener for the test and returns its
// address.
func serve(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := httpserver.New(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

// TestHeaderOverTheLimitIsRefused: a request header over 64 KiB is refused
// (431) instead of read into memory (net/http's default allows 1 MB).
func TestHeaderOverTheLimitIsRefused(t *testing.T) {
	addr := serve(t)
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	require.NoError(t, err)
	req.Header.Set("X-Big", strings.Repeat("a", 80<<10))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)

	small, err := http.Get("http://" + addr + "/")
	require.NoError(t, err)
	small.Body.Close()
	assert.Equal(t, http.StatusOK, small.StatusCode)
}

// TestStalledRequestIsCutOff: a client that sends part of a request and
// then nothing more is disconnected once the header's 10 s are up,
// instead of holding the connection and its goroutine for as long as it
// likes (net/http's default has no deadline).
func TestStalledRequestIsCutOff(t *testing.T) {
	t.Parallel()
	conn, err := net.Dial("tcp", serve(t))
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: example.com\r\n") // no blank line: the header never ends
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, conn.SetReadDeadline(start.Add(30*time.Second)))
	_, err = io.ReadAll(conn) // until the server closes it, or the client's 30 s
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "the server closed the connection before the client gave up: %v", err)
	assert.GreaterOrEqual(t, time.Since(start), 9*time.Second, "not before the header's time is up")
}

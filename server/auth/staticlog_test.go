package auth_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a log destination the server's goroutines and the test
// share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// levels returns the level of each access-log line, by path.
func (b *syncBuffer) levels(t *testing.T) map[string]string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		var rec struct{ Level, Msg, Path string }
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		if rec.Msg == "request" {
			out[rec.Path] = rec.Level
		}
	}
	return out
}

// TestFaviconAndStaticLogging: /favicon.ico is never a redirect to
// sign-in — the static directory's file, or 404 without one — and the
// access log writes static files and the status check at DEBUG, pages and
// the rest of the API at INFO.
func TestFaviconAndStaticLogging(t *testing.T) {
	var logs syncBuffer
	e := newEnv(t, withLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	c := e.client()

	r := c.get("/favicon.ico")
	assert.Equal(t, http.StatusNotFound, r.StatusCode, "no favicon: 404, not 303 to sign-in")
	assert.Empty(t, r.Header.Get("Location"))
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "favicon.ico"), []byte("\x00\x00\x01\x00"), 0o600))
	r = c.get("/favicon.ico")
	assert.Equal(t, http.StatusOK, r.StatusCode, "the static directory's favicon")
	assert.Equal(t, "\x00\x00\x01\x00", body(t, r))

	assert.Equal(t, http.StatusOK, c.get("/app.js").StatusCode)
	assert.Equal(t, http.StatusOK, c.get("/").StatusCode)
	assert.Equal(t, http.StatusSeeOther, c.get("/dashboard").StatusCode)
	assert.Equal(t, http.StatusOK, c.get("/api/session").StatusCode)
	assert.Equal(t, http.StatusOK, c.get("/api/get-session-status").StatusCode)

	want := map[string]string{"/favicon.ico": "DEBUG", "/app.js": "DEBUG", "/": "INFO", "/dashboard": "INFO", "/api/session": "INFO",
		"/api/get-session-status": "DEBUG"}
	assert.Eventually(t, func() bool {
		got := logs.levels(t)
		for p, l := range want {
			if got[p] != l {
				return false
			}
		}
		return true
	}, 5*time.Second, 10*time.Millisecond, "access-log levels")
	got := logs.levels(t)
	for p, l := range want {
		assert.Equal(t, l, got[p], p)
	}
}

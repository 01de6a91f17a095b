package auth_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/auth"
	"github.com/sessionguard/sessionguard/server/metrics"
)

// metricValue reads one sample from the text format.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+-]+)$`).FindStringSubmatch(text)
	require.NotNil(t, m, "series %s missing", series)
	v, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	return v
}

func TestMetrics(t *testing.T) {
	m := metrics.New()
	e := newEnv(t, withMetrics(m))
	c := e.client()
	c.signIn("user@example.com", "wrong")
	require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
	c.get("/api/get-session-status")
	c.get("/api/get-session-status")
	e.client().get("/api/get-session-status")
	for range 6 {
		e.client().signIn("admin@example.com", "wrong")
	}
	c.do("POST", "/api/auth/signin", jsonBody("{"), "Content-Type", "application/json")

	r := c.get("/metrics")
	require.Equal(t, http.StatusOK, r.StatusCode)
	text := body(t, r)
	assert.Equal(t, 1.0, metricValue(t, text, `sessionguard_signins_total{outcome="success"}`))
	assert.Equal(t, 6.0, metricValue(t, text, `sessionguard_signins_total{outcome="failure"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `sessionguard_signins_total{outcome="rate_limited"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `sessionguard_signins_total{outcome="bad_request"}`))
	assert.Equal(t, 2.0, metricValue(t, text, `sessionguard_status_checks_total{outcome="signed_in"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `sessionguard_status_checks_total{outcome="anonymous"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `sessionguard_rate_limited_total{endpoint="/api/auth/signin"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `sessionguard_active_sessions`))
	assert.Equal(t, 2.0, metricValue(t, text, `sessionguard_session_store_seconds_count{op="load"}`), "only loads with a cookie")
	assert.Equal(t, 1.0, metricValue(t, text, `sessionguard_session_store_seconds_count{op="issue"}`))

	e.store.down.Store(true)
	c.get("/api/get-session-status")
	e.store.down.Store(false)
	text = body(t, c.get("/metrics"))
	assert.Equal(t, 1.0, metricValue(t, text, `sessionguard_status_checks_total{outcome="error"}`))
	assert.Equal(t, 3.0, metricValue(t, text, `sessionguard_session_store_seconds_count{op="load"}`), "a failed load reached the store too")

	// Every call to the Manager that reaches the store is timed, whichever
	// handler makes it: a password change issues the rotated session.
	require.Equal(t, http.StatusOK, c.postJSON("/api/auth/password", map[string]string{"currentPassword": "user-password", "newPassword": "a-new-password-1"}).StatusCode)
	require.Equal(t, http.StatusOK, c.postJSON("/api/auth/signout", nil).StatusCode)
	text = body(t, c.get("/metrics"))
	assert.Equal(t, 2.0, metricValue(t, text, `sessionguard_session_store_seconds_count{op="issue"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `sessionguard_session_store_seconds_count{op="revoke"}`))
}

func TestMetricsOnlyForLoopback(t *testing.T) {
	m := metrics.New()
	e := newEnv(t, withMetrics(m))
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.RemoteAddr = "192.0.2.7:4242"
	rec := httptest.NewRecorder()
	e.auth.Handler().ServeHTTP(rec, req)
	assert.Equal(t, http.StatusNotFound, rec.Code, "not served to other hosts on the main listener")
	req.RemoteAddr = "[::1]:4242"
	rec = httptest.NewRecorder()
	e.auth.Handler().ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
}

// TestMetricsJudgeTheResolvedClient: behind a reverse proxy on the same host
// every request arrives from loopback, so /metrics must judge the client the
// proxy reports, not the proxy itself.
func TestMetricsJudgeTheResolvedClient(t *testing.T) {
	e := newEnv(t, withMetrics(metrics.New()), withTrustedProxies("127.0.0.1", "::1"))
	h := e.auth.Handler()
	for _, tt := range []struct {
		name, peer, forwarded string
		code                  int
	}{
		{"remote client through the proxy", "127.0.0.1:4242", "203.0.113.9", http.StatusNotFound},
		{"remote client through the proxy over IPv6", "[::1]:4242", "2001:db8::9", http.StatusNotFound},
		{"remote client claiming loopback", "127.0.0.1:4242", "127.0.0.1, 203.0.113.9", http.StatusNotFound},
		{"remote client past two proxies", "127.0.0.1:4242", "203.0.113.9, 127.0.0.1", http.StatusNotFound},
		{"loopback client through the proxy", "127.0.0.1:4242", "127.0.0.1", http.StatusOK},
		{"loopback client without a proxy", "127.0.0.1:4242", "", http.StatusOK},
		{"remote peer claiming loopback", "192.0.2.7:4242", "127.0.0.1", http.StatusNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/metrics", nil)
			req.RemoteAddr = tt.peer
			if tt.forwarded != "" {
				req.Header.Set("X-Forwarded-For", tt.forwarded)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, tt.code, rec.Code)
		})
	}
}

// TestMetricsCountEventStreams: the open event streams and those ever
// opened, which tell how many connections the pages of the browsers keep.
func TestMetricsCountEventStreams(t *testing.T) {
	m := metrics.New()
	e := newEnv(t, withMetrics(m))
	released := make(chan struct{}, 4)
	auth.SetStreamReleased(e.auth, func() { released <- struct{}{} })
	c := e.client()
	require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
	one, two := c.openEvents(t), c.openEvents(t)
	for _, s := range []*sse{one, two} {
		typ, _ := s.next()
		require.Equal(t, "ready", typ)
	}
	text := body(t, c.get("/metrics"))
	assert.Equal(t, 2.0, metricValue(t, text, `sessionguard_event_streams_open`))
	assert.Equal(t, 2.0, metricValue(t, text, `sessionguard_event_streams_total`))
	one.close()
	<-released
	text = body(t, c.get("/metrics"))
	assert.Equal(t, 1.0, metricValue(t, text, `sessionguard_event_streams_open`))
	assert.Equal(t, 2.0, metricValue(t, text, `sessionguard_event_streams_total`))
}

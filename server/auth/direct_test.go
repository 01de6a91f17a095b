package auth_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/auth"
	"github.com/sessionguard/sessionguard/server/metrics"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/users"
	"github.com/sessionguard/sessionguard/wire"
)

// take returns what was logged since the last take.
func (b *syncBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.buf.String()
	b.buf.Reset()
	return out
}

// directEnv is a server (app.New, a fixed clock, AllowedHosts set, the
// access log on) with two handlers: the one Handler builds, which answers
// the status check in front of its router, and one built with no direct
// routes, which routes it like any other path.
type directEnv struct {
	direct, routed http.Handler
	log            *syncBuffer
	metrics        *metrics.Metrics
	cookie         *http.Cookie
}

func newDirectEnv(t *testing.T, strategy string) *directEnv {
	t.Helper()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	logs := &syncBuffer{}
	m := metrics.New()
	a, err := app.New(t.Context(), app.Options{
		Strategy: strategy, Store: memory.New(), PasswordParams: fastParams,
		Now:          func() time.Time { return now },
		AllowedHosts: []string{"example.com"},
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: dropTime})),
		Metrics:      m,
		Accounts:     []users.NewAccount{{Email: "user@example.com", Name: "Demo User", Role: "user", Password: "user-password"}},
	})
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	d := &directEnv{direct: a.Handler(), log: logs, metrics: m}
	restore := auth.SetDirect(nil)
	d.routed = a.Handler()
	restore()

	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "http://example.com"+wire.PathSignIn, jsonBody(`{"email":"user@example.com","password":"user-password"}`))
	req.Header.Set("Content-Type", "application/json")
	d.direct.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	d.cookie = rec.Result().Cookies()[0]
	logs.take()
	return d
}

// statusRequest describes one request to the status path (or near it).
type statusRequest struct {
	name, method, target, body string
	header                     []string
}

func (sr statusRequest) build(ck *http.Cookie) *http.Request {
	var body *strings.Reader
	if sr.body != "" {
		body = strings.NewReader(sr.body)
	}
	var req *http.Request
	if body != nil {
		req = httptest.NewRequest(sr.method, sr.target, body)
	} else {
		req = httptest.NewRequest(sr.method, sr.target, nil)
	}
	for i := 0; i+1 < len(sr.header); i += 2 {
		req.Header.Set(sr.header[i], sr.header[i+1])
	}
	if ck != nil {
		req.AddCookie(ck)
	}
	return req
}

var statusRequests = []statusRequest{
	{name: "get", method: "GET", target: "http://example.com" + wire.PathStatus},
	{name: "head", method: "HEAD", target: "http://example.com" + wire.PathStatus},
	{name: "tls", method: "GET", target: "https://example.com" + wire.PathStatus},
	{name: "query", method: "GET", target: "http://example.com" + wire.PathStatus + "?x=1"},
	{name: "escaped", method: "GET", target: "http://example.com/api/get%2Dsession-status"},
	{name: "trailing slash", method: "GET", target: "http://example.com" + wire.PathStatus + "/"},
	{name: "upper case", method: "GET", target: "http://example.com/API/get-session-status"},
	{name: "other host", method: "GET", target: "http://evil.example" + wire.PathStatus},
	{name: "cross-site get", method: "GET", target: "http://example.com" + wire.PathStatus,
		header: []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}},
	{name: "cross-site post", method: "POST", target: "http://example.com" + wire.PathStatus,
		header: []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}},
	{name: "same-origin post", method: "POST", target: "http://example.com" + wire.PathStatus,
		header: []string{"Sec-Fetch-Site", "same-origin"}},
	{name: "put", method: "PUT", target: "http://example.com" + wire.PathStatus},
	{name: "lower-case method", method: "get", target: "http://example.com" + wire.PathStatus},
	{name: "text body", method: "GET", target: "http://example.com" + wire.PathStatus, body: "hello",
		header: []string{"Content-Type", "text/plain"}},
	{name: "json body", method: "GET", target: "http://example.com" + wire.PathStatus, body: "{}",
		header: []string{"Content-Type", "application/json"}},
	{name: "large body", method: "GET", target: "http://example.com" + wire.PathStatus,
		body: `"` + strings.Repeat("a", auth.MaxBodyBytes) + `"`, header: []string{"Content-Type", "application/json"}},
}

// dropTime leaves the time out of log lines, which two runs of one request
// do not share.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// durations are the one part of an access log line that differs between
// two runs of the same request.
var durations = regexp.MustCompile(`duration=\S+`)

// TestDirectStatusAnswersAsTheRouter: the status check that Handler answers
// in front of its router answers every request exactly as the route table
// does through the router — status, every header, body and access log line —
// signed in and not, under both strategies, for the path and its near misses,
// other methods, other hosts, cross-site requests, TLS and bodies.
func TestDirectStatusAnswersAsTheRouter(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		d := newDirectEnv(t, strategy)
		for _, who := range []string{"signed in", "anonymous"} {
			var ck *http.Cookie
			if who == "signed in" {
				ck = d.cookie
			}
			for _, sr := range statusRequests {
				t.Run(who+"/"+sr.name, func(t *testing.T) {
					got := httptest.NewRecorder()
					d.direct.ServeHTTP(got, sr.build(ck))
					gotLog := durations.ReplaceAllString(d.log.take(), "")
					want := httptest.NewRecorder()
					d.routed.ServeHTTP(want, sr.build(ck))
					wantLog := durations.ReplaceAllString(d.log.take(), "")

					assert.Equal(t, want.Code, got.Code)
					assert.Equal(t, want.Header(), got.Header())
					assert.Equal(t, want.Body.String(), got.Body.String())
					assert.Equal(t, wantLog, gotLog)
					assert.NotEmpty(t, gotLog, "logged")
				})
			}
		}
	})
}

// TestDirectStatusKeepsEveryRule checks each rule of the middleware on the
// status check that Handler answers in front of its router.
func TestDirectStatusKeepsEveryRule(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		d := newDirectEnv(t, strategy)
		serve := func(sr statusRequest, ck *http.Cookie) *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			d.direct.ServeHTTP(rec, sr.build(ck))
			return rec
		}
		get := statusRequests[0]

		rec := serve(get, d.cookie)
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, `{"status":200}`+"\n", rec.Body.String())
		h := rec.Header()
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), "security headers")
		assert.Equal(t, "same-origin", h.Get("Cross-Origin-Resource-Policy"), "no-cors reads by other origins refused")
		assert.Equal(t, "no-store", h.Get("Cache-Control"))
		assert.Equal(t, "application/json; charset=utf-8", h.Get("Content-Type"))
		assert.Equal(t, "2026-11-23T12:30:00Z", h.Get(wire.ExpiresHeader), "the expiry after this read")
		assert.Empty(t, h.Get("Strict-Transport-Security"), "not over plain http")
		if strategy == "jwt" {
			assert.Equal(t, "2026-11-23T12:05:00Z", h.Get(wire.AccessExpiresHeader))
		} else {
			assert.Empty(t, h.Get(wire.AccessExpiresHeader))
		}
		line := d.log.take()
		assert.Regexp(t, `^level=DEBUG msg=request method=GET path=/api/get-session-status status=200 duration=\S+ bytes=15\n$`, line, "access log: the status poll at DEBUG")

		assert.Equal(t, "max-age=31536000", serve(statusRequests[2], d.cookie).Header().Get("Strict-Transport-Security"), "HSTS over TLS")
		assert.Equal(t, http.StatusMisdirectedRequest, serve(statusRequests[7], d.cookie).Code, "Host check")
		assert.Equal(t, http.StatusForbidden, serve(statusRequests[9], d.cookie).Code, "cross-origin protection before the method")
		put := serve(statusRequests[11], d.cookie)
		assert.Equal(t, http.StatusMethodNotAllowed, put.Code)
		assert.Equal(t, "GET, HEAD", put.Header().Get("Allow"))
		assert.Equal(t, http.StatusUnsupportedMediaType, serve(statusRequests[13], d.cookie).Code, "body check")
		assert.Equal(t, http.StatusRequestEntityTooLarge, serve(statusRequests[15], d.cookie).Code, "body size check")

		anon := serve(get, nil)
		assert.Equal(t, `{"status":401}`+"\n", anon.Body.String())
		assert.Equal(t, "no-store", anon.Header().Get("Cache-Control"))
		d.log.take()

		// Metrics: two signed-in checks (get, tls) and one anonymous so far
		// that reached the handler, and their session loads timed.
		var text strings.Builder
		mrec := httptest.NewRecorder()
		d.metrics.Handler().ServeHTTP(mrec, httptest.NewRequest("GET", "/metrics", nil))
		text.WriteString(mrec.Body.String())
		assert.Equal(t, 2.0, metricValue(t, text.String(), `sessionguard_status_checks_total{outcome="signed_in"}`))
		assert.Equal(t, 1.0, metricValue(t, text.String(), `sessionguard_status_checks_total{outcome="anonymous"}`))
		assert.Equal(t, 2.0, metricValue(t, text.String(), `sessionguard_session_store_seconds_count{op="load"}`))

		// It is the direct path that answered: it skips the router's
		// copies of the request (its route and variables in the context).
		req := get.build(d.cookie)
		direct := testing.AllocsPerRun(50, func() { d.direct.ServeHTTP(httptest.NewRecorder(), req) })
		routed := testing.AllocsPerRun(50, func() { d.routed.ServeHTTP(httptest.NewRecorder(), req) })
		assert.Less(t, direct+3, routed, "direct %v allocations, routed %v", direct, routed)
	})
}

// TestStatusCheckKeepsTheSessionOffTheHeap: a signed-in status check
// allocates no more than an anonymous one but for the database strategy's
// store read (the id's hash and the store's copy of the record), and never
// the session it answers from, which stays on the handler's stack.
func TestStatusCheckKeepsTheSessionOffTheHeap(t *testing.T) {
	if raceDetector {
		t.Skip("allocation counts mean nothing under -race (sync.Pool drops objects at random); ./build.sh test runs this test again without -race")
	}
	for strategy, extra := range map[string]float64{"database": 2, "jwt": 0} {
		t.Run(strategy, func(t *testing.T) {
			d := newDirectEnv(t, strategy)
			check := func(req *http.Request, want string) func() {
				return func() {
					rec := httptest.NewRecorder()
					d.direct.ServeHTTP(rec, req)
					if rec.Body.String() != want {
						t.Fatalf("answer %q, want %q", rec.Body.String(), want)
					}
				}
			}
			a := testing.AllocsPerRun(50, check(statusRequests[0].build(nil), `{"status":401}`+"\n"))
			s := testing.AllocsPerRun(50, check(statusRequests[0].build(d.cookie), `{"status":200}`+"\n"))
			assert.LessOrEqual(t, s-a, extra, "anonymous %v allocations, signed in %v", a, s)
		})
	}
}

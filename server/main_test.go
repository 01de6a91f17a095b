package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestFlagsBeatEnvironment(t *testing.T) {
	var c config
	fs := serveFlags("t", &c)
	err := parse(fs, []string{"-addr", "127.0.0.1:9"}, envMap(map[string]string{
		"SG_ADDR":             "127.0.0.1:1",
		"SG_MAX_AGE":          "5m",
		"SG_INSECURE_COOKIES": "true",
		"SG_ADMIN_PATHS":      "/staff/*",
	}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9", c.addr, "flag beats variable")
	assert.Equal(t, 5*time.Minute, c.maxAge, "variable beats default")
	assert.True(t, c.insecure)
	assert.Equal(t, "/staff/*", c.adminPaths)
	assert.Equal(t, 12*time.Hour, c.absoluteMaxAge, "default")
	assert.Equal(t, "SG_ABSOLUTE_MAX_AGE", envName("absolute-max-age"))
}

func TestSecondFactorFlags(t *testing.T) {
	var c config
	fs := serveFlags("t", &c)
	require.NoError(t, parse(fs, nil, envMap(nil), io.Discard))
	o := c.options()
	assert.Equal(t, 10*time.Minute, o.FreshAge, "-fresh-age default")
	assert.Empty(t, o.AAL2Paths, "-aal2-paths default")
	assert.Empty(t, o.Require2FARoles, "-require-2fa-roles default")

	c = config{}
	fs = serveFlags("t", &c)
	require.NoError(t, parse(fs, []string{"-fresh-age", "2m", "-aal2-paths", "/billing/*, /keys"}, envMap(map[string]string{
		"SG_REQUIRE_2FA_ROLES": "admin",
	}), io.Discard))
	o = c.options()
	assert.Equal(t, 2*time.Minute, o.FreshAge)
	assert.Equal(t, []string{"/billing/*", "/keys"}, o.AAL2Paths)
	assert.Equal(t, []string{"admin"}, o.Require2FARoles)
}

func TestBadFlagValuesExitTwo(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		msg  string
	}{
		{"bad duration flag", []string{"-max-age", "soon"}, nil, "invalid value"},
		{"bad duration variable", nil, map[string]string{"SG_MAX_AGE": "soon"}, "SG_MAX_AGE"},
		{"unknown flag", []string{"-nope"}, nil, "not defined"},
		{"stray argument", []string{"serve"}, nil, "unexpected argument"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(context.Background(), tt.args, envMap(tt.env), nil, io.Discard, &stderr)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr.String(), tt.msg)
		})
	}
}

func TestBadChoicesFailClearly(t *testing.T) {
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-strategy", "cookie"}, `-strategy "cookie": want database or jwt`},
		{[]string{"-store", "postgres"}, "-store postgres needs -store-url"},
		{[]string{"-store", "redis"}, "-store redis needs -store-url"},
		{[]string{"-store", "mongo"}, `-store "mongo"`},
		{[]string{"-public", "nope"}, "bad path pattern"},
		{[]string{"-max-age", "1h", "-absolute-max-age", "1m"}, "absolute max age"},
		{[]string{"-aal2-paths", "billing"}, "-aal2-paths: bad path pattern"},
		{[]string{"-fresh-age", "-1m"}, "-fresh-age -1m0s: want a positive duration"},
		{[]string{"-require-2fa-roles", "admin,owner"}, `-require-2fa-roles: unknown role "owner"`},
		{[]string{"-gc-floor-mib", "-5"}, "-gc-floor-mib -5: want 0 (Go's default) to 65536"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stderr bytes.Buffer
			args := append([]string{"-addr", "127.0.0.1:0", "-data", t.TempDir(), "-static", staticDir(t)}, tt.args...)
			code := run(context.Background(), args, envMap(nil), nil, io.Discard, &stderr)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr.String(), tt.msg)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr.String()), "\n")+1, "one line: %q", stderr.String())
		})
	}
}

func staticDir(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("<html><head></head><body></body></html>"), 0o600))
	return dir
}

func TestUseraddThenSignIn(t *testing.T) {
	data := t.TempDir()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"useradd", "-data", data, "-email", "Grace@Example.com", "-name", "Grace Hopper", "-role", "admin"},
		envMap(nil), strings.NewReader("cobol-1959\n"), &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	assert.Contains(t, out.String(), "created grace@example.com (Grace Hopper, role admin")

	code = run(context.Background(), []string{"useradd", "-data", data, "-email", "grace@example.com", "-name", "G", "-role", "user"},
		envMap(nil), strings.NewReader("another-pw\n"), io.Discard, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), "already registered")

	errOut.Reset()
	code = run(context.Background(), []string{"useradd", "-data", data, "-email", "x@example.com", "-name", "X", "-role", "root"},
		envMap(nil), strings.NewReader("password-1\n"), io.Discard, &errOut)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut.String(), "role must be user or admin")

	// The account signs in on a server over the same data directory.
	addr := startServer(t, "-data", data)
	resp, err := http.Post("http://"+addr+"/api/auth/signin", "application/json",
		strings.NewReader(`{"email":"grace@example.com","password":"cobol-1959"}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// startServer runs serve on a free port until the test ends.
func startServer(t *testing.T, args ...string) string {
	t.Helper()
	var c config
	fs := serveFlags("t", &c)
	require.NoError(t, parse(fs, append([]string{"-addr", "127.0.0.1:0", "-static", staticDir(t), "-log-level", "error"}, args...), envMap(nil), io.Discard))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, ready, io.Discard) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done, "clean shutdown")
	})
	return addr
}

func TestSessionsSurviveRestart(t *testing.T) {
	data := t.TempDir()
	var c config
	fs := serveFlags("t", &c)
	require.NoError(t, parse(fs, []string{"-addr", "127.0.0.1:0", "-static", staticDir(t), "-data", data, "-demo", "-log-level", "error"}, envMap(nil), io.Discard))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, ready, io.Discard) }()
	addr := <-ready
	resp, err := http.Post("http://"+addr+"/api/auth/signin", "application/json",
		strings.NewReader(`{"email":"user@example.com","password":"user-password"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	cookie := resp.Cookies()[0]
	cancel()
	require.NoError(t, <-done)

	addr = startServer(t, "-data", data)
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/get-session-status", nil)
	req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.JSONEq(t, `{"status":200}`, string(b))
}

func TestGracefulShutdownFinishesRequestsInFlight(t *testing.T) {
	var c config
	fs := serveFlags("t", &c)
	require.NoError(t, parse(fs, []string{"-addr", "127.0.0.1:0", "-static", staticDir(t), "-store", "memory", "-demo", "-log-level", "error"}, envMap(nil), io.Discard))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, ready, io.Discard) }()
	addr := <-ready

	// The request's body arrives in two parts; shutdown starts in between.
	pr, pw := io.Pipe()
	got := make(chan int, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/api/auth/signin", "application/json", pr)
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	_, err := io.WriteString(pw, `{"email":"user@example.com",`)
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond) // lets the server read the headers; no assertion depends on it
	cancel()
	_, err = io.WriteString(pw, `"password":"user-password"}`)
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	assert.Equal(t, http.StatusOK, <-got, "the request in flight finished")
	require.NoError(t, <-done)
	_, err = http.Get("http://" + addr + "/healthz")
	assert.Error(t, err, "no longer accepting")
}

func TestSecondServerOnOneDataDirIsRefused(t *testing.T) {
	data := t.TempDir()
	startServer(t, "-data", data)
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-data", data, "-static", staticDir(t)}, envMap(nil), nil, io.Discard, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "another sessionguard server is using")
}

func TestLogWriterFlushes(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	lw := newLogWriter(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) }))
	_, err := lw.Write([]byte("one line\n"))
	require.NoError(t, err)
	mu.Lock()
	assert.Empty(t, out.String(), "buffered")
	mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { lw.run(ctx, time.Millisecond); close(done) }()
	assert.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return out.String() == "one line\n" }, 5*time.Second, time.Millisecond)
	_, _ = lw.Write([]byte("last line\n"))
	cancel()
	<-done
	mu.Lock()
	assert.Equal(t, "one line\nlast line\n", out.String(), "flushed on stop")
	mu.Unlock()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestServerLogsOneLinePerRequestWithoutSecrets(t *testing.T) {
	var c config
	fs := serveFlags("t", &c)
	require.NoError(t, parse(fs, []string{"-addr", "127.0.0.1:0", "-static", staticDir(t), "-store", "memory", "-demo"}, envMap(nil), io.Discard))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var logs syncBuffer
	go func() { done <- serve(ctx, c, ready, &logs) }()
	addr := <-ready
	resp, err := http.Post("http://"+addr+"/api/auth/signin?token=query-secret", "application/json",
		strings.NewReader(`{"email":"user@example.com","password":"user-password"}`))
	require.NoError(t, err)
	resp.Body.Close()
	cookie := resp.Cookies()[0]
	for _, p := range []string{"/api/session", "/api/get-session-status"} {
		req, _ := http.NewRequest("GET", "http://"+addr+p, nil)
		req.AddCookie(cookie)
		resp, err = http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	cancel()
	require.NoError(t, <-done)

	text := logs.String()
	var requests []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "msg=request") {
			requests = append(requests, line)
		}
	}
	require.Len(t, requests, 2, "the status poll is logged at DEBUG only:\n"+text)
	assert.Contains(t, requests[0], "method=POST path=/api/auth/signin status=200 duration=")
	assert.Contains(t, requests[1], "method=GET path=/api/session status=200")
	assert.NotContains(t, text, "user-password")
	assert.NotContains(t, text, cookie.Value)
	assert.NotContains(t, text, "query-secret")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestJWTStrategyEndToEnd(t *testing.T) {
	data := t.TempDir()
	var c config
	fs := serveFlags("t", &c)
	require.NoError(t, parse(fs, []string{"-addr", "127.0.0.1:0", "-static", staticDir(t), "-data", data, "-demo", "-strategy", "jwt", "-log-level", "error"}, envMap(nil), io.Discard))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, ready, io.Discard) }()
	addr := <-ready
	resp, err := http.Post("http://"+addr+"/api/auth/signin", "application/json",
		strings.NewReader(`{"email":"user@example.com","password":"user-password"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var access *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "__Host-sg_session" {
			access = ck
		}
	}
	require.NotNil(t, access)
	assert.Equal(t, 2, strings.Count(access.Value, "."), "a JWT")
	status := func(addr string) string {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/get-session-status", nil)
		req.AddCookie(&http.Cookie{Name: access.Name, Value: access.Value})
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b)
	}
	assert.JSONEq(t, `{"status":200}`, status(addr))
	cancel()
	require.NoError(t, <-done)

	keyFiles, err := filepath.Glob(filepath.Join(data, "keys", "ed25519-*.pem"))
	require.NoError(t, err)
	require.Len(t, keyFiles, 1, "the signing key was generated into <data>/keys")
	fi, err := os.Stat(keyFiles[0])
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// After a restart (and a key rotation) the token still verifies.
	var out bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"keys", "rotate", "-data", data}, envMap(nil), nil, &out, io.Discard))
	assert.Contains(t, out.String(), "new signing key")
	addr = startServer(t, "-data", data, "-strategy", "jwt")
	assert.JSONEq(t, `{"status":200}`, status(addr))
	resp, err = http.Get("http://" + addr + "/.well-known/jwks.json")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 2, strings.Count(string(b), `"kid"`), "both keys are published")
}

func TestJWTWithHS256KeyFile(t *testing.T) {
	key := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(key, []byte(strings.Repeat("s", 40)), 0o600))
	addr := startServer(t, "-store", "memory", "-demo", "-strategy", "jwt", "-jwt-alg", "HS256", "-jwt-key-file", key)
	resp, err := http.Post("http://"+addr+"/api/auth/signin", "application/json",
		strings.NewReader(`{"email":"admin@example.com","password":"admin-password"}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	var stderr bytes.Buffer
	short := filepath.Join(t.TempDir(), "short")
	require.NoError(t, os.WriteFile(short, []byte("short"), 0o600))
	code := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-static", staticDir(t), "-store", "memory", "-strategy", "jwt", "-jwt-alg", "HS256", "-jwt-key-file", short},
		envMap(nil), nil, io.Discard, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "shorter than 32 bytes")
}

func TestAlertWebhookAndMetricsListener(t *testing.T) {
	got := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer hook.Close()
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	metricsAddr := mln.Addr().String()
	mln.Close()
	addr := startServer(t, "-store", "memory", "-demo", "-alert-webhook", hook.URL, "-alert-events", "signin_rate_limited", "-metrics-addr", metricsAddr)
	for range 6 {
		resp, err := http.Post("http://"+addr+"/api/auth/signin", "application/json", strings.NewReader(`{"email":"user@example.com","password":"nope"}`))
		require.NoError(t, err)
		resp.Body.Close()
	}
	select {
	case body := <-got:
		assert.Contains(t, body, `"event":"signin_rate_limited"`)
	case <-time.After(10 * time.Second):
		t.Fatal("no alert reached the webhook")
	}
	scrape := func() string {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	assert.Contains(t, scrape(), `sessionguard_signins_total{outcome="failure"} 5`)
	// The webhook saw the alert; the sender counts it once the POST returns.
	assert.Eventually(t, func() bool { return strings.Contains(scrape(), `sessionguard_alerts_sent_total 1`) },
		5*time.Second, 10*time.Millisecond)
	var b []byte
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.NotContains(t, string(b), "sessionguard_signins_total", "with -metrics-addr, not on the main listener")
}

func TestStoreCacheFlags(t *testing.T) {
	var c config
	fs := serveFlags("t", &c)
	require.NoError(t, parse(fs, nil, envMap(nil), io.Discard))
	o := c.options()
	assert.False(t, o.StoreCache, "-store-cache is opt-in")
	assert.Equal(t, 100_000, o.StoreCacheSize, "-store-cache-size default")

	c = config{}
	fs = serveFlags("t", &c)
	require.NoError(t, parse(fs, []string{"-store-cache"}, envMap(map[string]string{"SG_STORE_CACHE_SIZE": "5000"}), io.Discard))
	o = c.options()
	assert.True(t, o.StoreCache)
	assert.Equal(t, 5000, o.StoreCacheSize)
}

func TestBearerAndHashConcurrencyFlags(t *testing.T) {
	var c config
	fs := serveFlags("t", &c)
	require.NoError(t, parse(fs, nil, envMap(nil), io.Discard))
	o := c.options()
	assert.False(t, o.Bearer, "-bearer is opt-in")
	assert.Zero(t, o.HashConcurrency, "-hash-concurrency 0: half the CPUs")

	c = config{}
	fs = serveFlags("t", &c)
	require.NoError(t, parse(fs, []string{"-bearer"}, envMap(map[string]string{"SG_HASH_CONCURRENCY": "3"}), io.Discard))
	o = c.options()
	assert.True(t, o.Bearer)
	assert.Equal(t, 3, o.HashConcurrency)
}

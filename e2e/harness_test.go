package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/users"
)

// serverConfig is one way of running the server. Every browser test runs
// once per config, so a second session strategy (jwt) joins the whole
// suite by adding a row to serverConfigs.
type serverConfig struct {
	name string
	// options are the assembly's options for this config; the harness
	// adds the directory, the static files, the accounts and the log.
	options app.Options
}

var serverConfigs = []serverConfig{
	{name: "database", options: app.Options{Strategy: "database"}},
	{name: "jwt", options: app.Options{Strategy: "jwt"}},
}

// forEachServer runs f as one subtest per server config. It skips (or
// fails) the test when there is no browser.
func forEachServer(t *testing.T, f func(t *testing.T, c serverConfig)) {
	t.Helper()
	requireBrowser(t)
	t.Parallel()
	for _, c := range serverConfigs {
		t.Run(c.name, func(t *testing.T) { f(t, c) })
	}
}

// The accounts every server has.
type account struct {
	Email, Password, Name, Role string
}

var (
	demoUser  = account{"user@example.com", "user-password", "Demo User", users.RoleUser}
	demoAdmin = account{"admin@example.com", "admin-password", "Demo Admin", users.RoleAdmin}
	// htmlUser's name is markup that runs script if a page inserts it as
	// HTML.
	htmlUser = account{"html@example.com", "html-password", `<img src=x onerror="window.__xss=1">`, users.RoleUser}
)

// fastParams keep sign-in quick; the users package tests the real cost.
var fastParams = users.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// serverOptions are the knobs a test may turn; the zero options are the
// server's defaults.
type serverOptions struct {
	lifetime session.Lifetime
	// static replaces the suite's static directory (an example app).
	static string
}

type serverOption func(*serverOptions)

func applyOptions(opts []serverOption) serverOptions {
	o := serverOptions{lifetime: session.DefaultLifetime}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// withStatic serves dir instead of the suite's static directory.
func withStatic(dir string) serverOption { return func(o *serverOptions) { o.static = dir } }

// withLifetime sets the idle lifetime and the update age.
func withLifetime(maxAge, updateAge time.Duration) serverOption {
	return func(o *serverOptions) {
		o.lifetime.MaxAge, o.lifetime.UpdateAge = maxAge, updateAge
		o.lifetime.AbsoluteMaxAge = max(o.lifetime.AbsoluteMaxAge, maxAge)
	}
}

// instance is the real server as the sessionguard command builds it
// (app.New: SQLite behind the session cache, argon2id, the default policy,
// secure cookies, metrics, the shared device key), serving suite.static on a
// loopback port.
type instance struct {
	URL      string // http://127.0.0.1:port
	addr     string // 127.0.0.1:port
	logs     *lockedBuffer
	accounts *users.Service
	sessions *session.Manager
	// streams counts the live event streams open now and ever opened.
	streams func() (open int, opened uint64)
}

// newInstance starts a server keeping its database in dir; stop stops it
// and closes the store.
func newInstance(c serverConfig, dir string, opts ...serverOption) (inst *instance, stop func(), err error) {
	o := applyOptions(opts)
	ctx := context.Background()
	logs := &lockedBuffer{}
	ao := c.options
	ao.DataDir = dir
	ao.StaticDir = suite.static
	if o.static != "" {
		ao.StaticDir = o.static
	}
	ao.Lifetime = o.lifetime
	ao.PasswordParams = fastParams
	ao.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, a := range []account{demoUser, demoAdmin, htmlUser} {
		ao.Accounts = append(ao.Accounts, users.NewAccount{Email: a.Email, Password: a.Password, Name: a.Name, Role: a.Role})
	}
	srv, err := app.New(ctx, ao)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	serveCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(serveCtx, ln) }()
	stop = func() {
		cancel() // Serve ends the live event streams, then waits for requests in flight
		<-done
		_ = srv.Close()
	}
	addr := ln.Addr().String()
	return &instance{URL: "http://" + addr, addr: addr, logs: logs, accounts: srv.Users(), sessions: srv.Sessions(), streams: srv.HTTP().StreamCounts}, stop, nil
}

// server is an instance as one test sees it.
type server struct {
	*instance
	t testing.TB
}

// startServer starts a server of its own for t, with options; it stops
// when t ends.
func startServer(t testing.TB, c serverConfig, opts ...serverOption) *server {
	t.Helper()
	inst, closeInst, err := newInstance(c, t.TempDir(), opts...)
	require.NoError(t, err)
	t.Cleanup(closeInst)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", inst.logs.String())
		}
	})
	return &server{instance: inst, t: t}
}

// sharedServer returns the server with these options that the tests of
// config c share (for the life of the test binary, so across -count runs
// too). Tests are isolated by their browser contexts (and so their
// sessions) and must not change what other tests see (the rate limit test
// uses an account of its own, see newAccount); a test that must, starts
// its own server. Sharing saves compressing the module once per test, which is
// slow under -race.
func sharedServer(t testing.TB, c serverConfig, opts ...serverOption) *server {
	t.Helper()
	key := sharedKey{config: c.name, options: applyOptions(opts)}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	inst, ok := shared.servers[key]
	if !ok {
		dir, err := os.MkdirTemp(suite.tmp, "server-")
		require.NoError(t, err)
		var closeInst func()
		inst, closeInst, err = newInstance(c, dir, opts...)
		require.NoError(t, err)
		shared.servers[key] = inst
		shared.closers = append(shared.closers, closeInst)
	}
	from := len(inst.logs.String())
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log since the test started (shared with other tests):\n%s", inst.logs.String()[from:])
		}
	})
	return &server{instance: inst, t: t}
}

type sharedKey struct {
	config  string
	options serverOptions
}

// shared holds the shared servers; closeShared stops them after m.Run.
var shared = struct {
	mu      sync.Mutex
	servers map[sharedKey]*instance
	closers []func()
}{servers: map[sharedKey]*instance{}}

func closeShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for _, c := range shared.closers {
		c()
	}
}

// accountSeq makes the e-mail addresses of newAccount unique.
var accountSeq atomic.Int64

// newAccount creates an account of role that no other test uses, for a
// test that changes an account's state on a shared server (such as its
// rate limit).
func (s *server) newAccount(role string) account {
	s.t.Helper()
	n := accountSeq.Add(1)
	a := account{fmt.Sprintf("user%d@example.com", n), fmt.Sprintf("password-%d", n), fmt.Sprintf("User %d", n), role}
	_, err := s.accounts.Create(context.Background(), users.NewAccount{Email: a.Email, Password: a.Password, Name: a.Name, Role: a.Role})
	require.NoError(s.t, err)
	return a
}

// rawGet sends path exactly as given in the request line, as a browser or
// an attacker would, and returns the status and Location.
func (s *server) rawGet(path string, cookie *http.Cookie) (int, string) {
	s.t.Helper()
	conn, err := net.Dial("tcp", s.addr)
	require.NoError(s.t, err)
	defer conn.Close()
	req := "GET " + path + " HTTP/1.1\r\nHost: " + s.addr + "\r\nConnection: close\r\n"
	if cookie != nil {
		req += "Cookie: " + cookie.Name + "=" + cookie.Value + "\r\n"
	}
	_, err = io.WriteString(conn, req+"\r\n")
	require.NoError(s.t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Location")
}

// postJSON posts v as JSON from Go (no browser, so no cross-origin
// headers) with the cookie, and returns the status and the body.
func (s *server) postJSON(path string, v any, cookie *http.Cookie) (int, string) {
	s.t.Helper()
	b, err := json.Marshal(v)
	require.NoError(s.t, err)
	req, err := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader(b))
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "application/json")
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return resp.StatusCode, string(body)
}

// get sends a GET with the cookie and returns the status and the body.
func (s *server) get(path string, cookie *http.Cookie) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	require.NoError(s.t, err)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return resp.StatusCode, string(body)
}

// signIn signs a in from Go and returns the session cookie.
func (s *server) signIn(a account) *http.Cookie {
	s.t.Helper()
	b, err := json.Marshal(map[string]string{"email": a.Email, "password": a.Password})
	require.NoError(s.t, err)
	resp, err := http.Post(s.URL+"/api/auth/signin", "application/json", bytes.NewReader(b))
	require.NoError(s.t, err)
	defer resp.Body.Close()
	require.Equal(s.t, http.StatusOK, resp.StatusCode)
	for _, c := range resp.Cookies() {
		if c.Name == session.CookieName {
			return c
		}
	}
	s.t.Fatalf("sign-in answered no %s cookie", session.CookieName)
	return nil
}

// signOut ends the session of cookie from outside the browser (another
// device, an admin), as POST /api/auth/signout does for any strategy.
func (s *server) signOut(cookie *http.Cookie) {
	s.t.Helper()
	code, body := s.postJSON("/api/auth/signout", map[string]string{}, cookie)
	require.Equal(s.t, http.StatusOK, code, body)
	code, body = s.get("/api/session", cookie)
	require.Equal(s.t, http.StatusOK, code)
	require.Equal(s.t, "null", strings.TrimSpace(body), "the session is gone on the server")
}

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

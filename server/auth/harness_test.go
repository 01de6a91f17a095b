package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/auth"
	"github.com/sessionguard/sessionguard/server/metrics"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/store/postgres"
	"github.com/sessionguard/sessionguard/server/store/redis"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
	"github.com/sessionguard/sessionguard/server/users"
)

// fastParams keep sign-in tests quick; the users package tests the real cost.
var fastParams = users.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// flakyStore wraps the memory store and can be switched off.
type flakyStore struct {
	store.Store
	down         atomic.Bool
	countersDown atomic.Bool
	// beforeUpdateUser, when set, runs before every UpdateUser reaches the
	// store: a hook that holds concurrent changes until all have arrived.
	beforeUpdateUser atomic.Pointer[func()]
	// beforeCreateSession, when set, runs before every CreateSession
	// reaches the store: after a sign-in's password check, before its
	// session exists.
	beforeCreateSession atomic.Pointer[func()]
}

func (f *flakyStore) CreateSession(ctx context.Context, s store.Session) error {
	if hook := f.beforeCreateSession.Load(); hook != nil {
		(*hook)()
	}
	return f.Store.CreateSession(ctx, s)
}

func (f *flakyStore) UpdateUser(ctx context.Context, id string, ch store.UserChange) (store.User, bool, error) {
	if hook := f.beforeUpdateUser.Load(); hook != nil {
		(*hook)()
	}
	return f.Store.UpdateUser(ctx, id, ch)
}

func (f *flakyStore) Count(ctx context.Context, key string, now time.Time) (int64, time.Time, error) {
	if f.down.Load() || f.countersDown.Load() {
		return 0, time.Time{}, errDown
	}
	return f.Store.Count(ctx, key, now)
}

func (f *flakyStore) Revoked(ctx context.Context, userID string, iat, now time.Time, ids ...string) (bool, error) {
	if f.down.Load() {
		return false, errDown
	}
	return f.Store.Revoked(ctx, userID, iat, now, ids...)
}

func (f *flakyStore) RedeemRefreshToken(ctx context.Context, h []byte, now time.Time) (store.RefreshToken, bool, bool, error) {
	if f.down.Load() {
		return store.RefreshToken{}, false, false, errDown
	}
	return f.Store.RedeemRefreshToken(ctx, h, now)
}

func (f *flakyStore) Deny(ctx context.Context, id string, until time.Time) error {
	if f.down.Load() {
		return errDown
	}
	return f.Store.Deny(ctx, id, until)
}

// strategies are the session strategies every API test runs under.
var strategies = []string{"database", "jwt"}

// forStrategies runs fn once per strategy, as a subtest named for it.
func forStrategies(t *testing.T, fn func(t *testing.T, strategy string)) {
	for _, s := range strategies {
		t.Run(s, func(t *testing.T) { fn(t, s) })
	}
}

// backends are the stores of forBackends. PostgreSQL and Redis come from
// SG_TEST_POSTGRES_URL and SG_TEST_REDIS_URL (a schema or key prefix of the
// test's own); without them those runs skip with a line, or fail with
// SG_REQUIRE_SERVICES=1.
var backends = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"memory", func(*testing.T) store.Store { return memory.New() }},
	{"sqlite", func(t *testing.T) store.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sg.db"))
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		return s
	}},
	{"postgres", func(t *testing.T) store.Store {
		url := testenv.Postgres(t)
		s, err := postgres.Open(t.Context(), url, postgres.WithSchema(testenv.PostgresSchema(t, url)))
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		return s
	}},
	{"redis", func(t *testing.T) store.Store {
		url := testenv.Redis(t)
		s, err := redis.Open(t.Context(), url, redis.WithPrefix(testenv.RedisPrefix(t, url)))
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		return s
	}},
}

// forBackends runs fn under both strategies on every backend, for the rules
// that must hold on each store (the second factor's steps and limits). on
// puts the env on that store, with the clock at the real time (Redis
// expires keys by the server's clock).
func forBackends(t *testing.T, fn func(t *testing.T, strategy string, on option)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			forStrategies(t, func(t *testing.T, strategy string) {
				st := b.open(t)
				fn(t, strategy, func(o *envOptions) {
					o.store = &flakyStore{Store: st}
					o.start = time.Now().UTC().Truncate(time.Second)
				})
			})
		})
	}
}

// withStrategy picks the session strategy ("database" when not given).
func withStrategy(s string) option {
	return func(o *envOptions) { o.app.Strategy = s }
}

var errDown = errors.New("connection refused")

func (f *flakyStore) Session(ctx context.Context, h []byte, now time.Time) (store.Session, bool, error) {
	if f.down.Load() {
		return store.Session{}, false, errDown
	}
	return f.Store.Session(ctx, h, now)
}

func (f *flakyStore) UserByEmail(ctx context.Context, e string) (store.User, bool, error) {
	if f.down.Load() {
		return store.User{}, false, errDown
	}
	return f.Store.UserByEmail(ctx, e)
}

func (f *flakyStore) DeleteSession(ctx context.Context, h []byte) error {
	if f.down.Load() {
		return errDown
	}
	return f.Store.DeleteSession(ctx, h)
}

func (f *flakyStore) Ping(ctx context.Context) error {
	if f.down.Load() {
		return errDown
	}
	return f.Store.Ping(ctx)
}

// env is one running server with the demo accounts.
type env struct {
	t     *testing.T
	srv   *httptest.Server
	clock *clock
	store *flakyStore
	auth  *auth.Server
	mgr   *session.Manager
	dir   string // the static directory
	users *users.Service
}

// envOptions says how newEnv builds its server: the assembly's options,
// and the store to share with another env.
type envOptions struct {
	app   app.Options
	store *flakyStore // shared with another env; nil: a new one
	shell string      // the app shell; "" for shellHTML
	start time.Time   // the clock's start; zero for 2026-11-23 12:00 UTC
}

// withShell serves html as the app shell (index.html).
func withShell(html string) option {
	return func(o *envOptions) { o.shell = html }
}

// withLogger sends the server's logs to l.
func withLogger(l *slog.Logger) option {
	return func(o *envOptions) { o.app.Logger = l }
}

// withMetrics counts into m, which the server serves at /metrics to
// loopback clients.
func withMetrics(m *metrics.Metrics) option {
	return func(o *envOptions) { o.app.Metrics = m }
}

// withTrustedProxies believes X-Forwarded-For from these addresses.
func withTrustedProxies(proxies ...string) option {
	return func(o *envOptions) { o.app.TrustedProxies = proxies }
}

// withSharedStore makes the server use another env's store, as a second
// instance would.
func withSharedStore(fs *flakyStore) option {
	return func(o *envOptions) { o.store = fs }
}

type option func(*envOptions)

const shellHTML = `<!doctype html><html><head><title>t</title></head><body><main id="app"></main></body></html>`

// newEnv builds the server as the sessionguard command does (app.New), on
// a memory store that can be made to fail, with the test's clock, the demo
// accounts and a static directory.
func newEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	eo := envOptions{app: app.Options{Strategy: "database"}}
	for _, o := range opts {
		o(&eo)
	}
	if eo.start.IsZero() {
		eo.start = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	}
	c := &clock{t: eo.start}
	fs := eo.store
	if fs == nil {
		fs = &flakyStore{Store: memory.New()}
	}

	dir := t.TempDir()
	if eo.shell == "" {
		eo.shell = shellHTML
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte(eo.shell), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app.js"), []byte(strings.Repeat("console.log('sessionguard');\n", 200)), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".secret"), []byte("dotfile"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(dir), "outside.txt"), []byte("outside"), 0o600))

	o := eo.app
	o.Store, o.Now, o.StaticDir, o.PasswordParams = fs, c.Now, dir, fastParams
	o.Accounts = []users.NewAccount{
		{Email: "user@example.com", Name: "Demo User", Role: "user", Password: "user-password"},
		{Email: "admin@example.com", Name: "Demo Admin", Role: "admin", Password: "admin-password"},
		{Email: "html@example.com", Name: `<img src=x onerror=alert(1)></script>`, Role: "user", Password: "html-password"},
	}
	a, err := app.New(t.Context(), o)
	require.NoError(t, err)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	// First (cleanups run last in, first out): end the event streams, which
	// would hold srv.Close up.
	t.Cleanup(func() { assert.NoError(t, a.Close()) })
	return &env{t: t, srv: srv, clock: c, store: fs, auth: a.HTTP(), mgr: a.Sessions(), dir: dir, users: a.Users()}
}

// client returns a client with its own cookies that does not follow
// redirects. It keeps cookies by hand: a cookie jar would drop the Secure
// cookie over the test server's plain http.
func (e *env) client() *client {
	return &client{e: e, cookies: map[string]*http.Cookie{}}
}

type client struct {
	e       *env
	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

// do sends a request and records Set-Cookie like a browser would.
func (c *client) do(method, path string, body io.Reader, hdr ...string) *http.Response {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.srv.URL+path, body)
	require.NoError(c.e.t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c.mu.Lock()
	for _, ck := range c.cookies {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	c.mu.Unlock()
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	require.NoError(c.e.t, err)
	c.mu.Lock()
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	c.mu.Unlock()
	return resp
}

func (c *client) get(path string, hdr ...string) *http.Response {
	return c.do("GET", path, nil, hdr...)
}

func (c *client) postJSON(path string, v any, hdr ...string) *http.Response {
	b, err := json.Marshal(v)
	require.NoError(c.e.t, err)
	return c.do("POST", path, strings.NewReader(string(b)), append([]string{"Content-Type", "application/json"}, hdr...)...)
}

func (c *client) signIn(email, password string) *http.Response {
	return c.postJSON("/api/auth/signin", map[string]string{"email": email, "password": password})
}

func (c *client) cookie() *http.Cookie {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cookies[session.CookieName]
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	return string(b)
}

func decode(t *testing.T, r *http.Response, v any) {
	t.Helper()
	defer r.Body.Close()
	require.NoError(t, json.NewDecoder(r.Body).Decode(v))
}

func form(kv ...string) io.Reader {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return strings.NewReader(v.Encode())
}

func jsonBody(s string) io.Reader { return strings.NewReader(s) }

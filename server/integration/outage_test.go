package integration_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/postgres"
	"github.com/sessionguard/sessionguard/server/store/redis"
	"github.com/sessionguard/sessionguard/server/users"
)

// queryTimeout is the stores' per-query timeout in these tests: short, so
// that a cut store fails calls quickly.
const queryTimeout = 500 * time.Millisecond

// backend is a shared store the server can run on.
type backend struct {
	name string
	// url returns the service's URL, or skips the test.
	url func(tb testing.TB) string
	// open opens a store at url (the proxy's) in a schema or key prefix
	// of the test's own, which it removes through direct, the service's
	// own URL, when t ends.
	open func(t *testing.T, url, direct string) store.Store
}

// TestStoreOutage runs the server on a shared store behind a proxy, cuts
// the store away and restores it: while it is away a signed-in client's
// status check answers 401 and /healthz 503, promptly, and once it is back
// the same cookie is signed in again, without a restart.
func TestStoreOutage(t *testing.T) {
	backends := []backend{
		{"postgres", testenv.Postgres, func(t *testing.T, url, direct string) store.Store {
			s, err := postgres.Open(t.Context(), url,
				postgres.WithSchema(testenv.PostgresSchema(t, direct)), postgres.WithQueryTimeout(queryTimeout))
			require.NoError(t, err)
			t.Cleanup(func() { assert.NoError(t, s.Close()) })
			return s
		}},
		{"redis", testenv.Redis, func(t *testing.T, url, direct string) store.Store {
			s, err := redis.Open(t.Context(), url,
				redis.WithPrefix(testenv.RedisPrefix(t, direct)), redis.WithQueryTimeout(queryTimeout))
			require.NoError(t, err)
			t.Cleanup(func() { assert.NoError(t, s.Close()) })
			return s
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			url := b.url(t)
			p := testenv.NewProxy(t, testenv.HostPort(t, url))
			srv := newServer(t, b.open(t, p.URL(t, url), url))
			c := &client{t: t, base: srv.URL}

			resp := c.post("/api/auth/signin", `{"email":"user@example.com","password":"user-password"}`)
			require.Equal(t, http.StatusOK, resp.code, resp.body)
			require.NotEmpty(t, c.cookies, "no session cookie")

			tests := []struct {
				name   string
				cut    bool
				status string // of /api/get-session-status
				health int    // of /healthz
			}{
				{"before", false, `{"status":200}`, http.StatusOK},
				{"cut", true, `{"status":401}`, http.StatusServiceUnavailable},
				{"restored", false, `{"status":200}`, http.StatusOK},
			}
			for _, tt := range tests {
				if tt.cut {
					p.Cut()
				} else {
					p.Restore()
				}
				t.Run(tt.name, func(t *testing.T) {
					c := c.with(t)
					status := c.get("/api/get-session-status")
					assert.Equal(t, http.StatusOK, status.code, "status check: HTTP code")
					assert.JSONEq(t, tt.status, status.body, "status check")
					health := c.get("/healthz")
					assert.Equal(t, tt.health, health.code, "healthz: %s", health.body)
					t.Logf("status check answered %s in %v, /healthz %d in %v",
						strings.TrimSpace(status.body), status.took.Round(time.Millisecond),
						health.code, health.took.Round(time.Millisecond))
				})
			}
		})
	}
}

// fastParams keep sign-in quick; package users tests the real cost.
var fastParams = users.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// newServer serves the server as the sessionguard command builds it
// (app.New) on st, with the demo user.
func newServer(t *testing.T, st store.Store) *httptest.Server {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html><html><head></head><body></body></html>"), 0o600))
	a, err := app.New(t.Context(), app.Options{
		Store: st, StaticDir: dir, PasswordParams: fastParams,
		Accounts: []users.NewAccount{{Email: "user@example.com", Name: "Demo User", Role: users.RoleUser, Password: "user-password"}},
	})
	require.NoError(t, err)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(func() { assert.NoError(t, a.Close()) }) // first: ends the event streams
	return srv
}

// client keeps the cookies it is sent, by hand: a cookie jar would not send
// the Secure cookie back over the test server's plain http.
type client struct {
	t       *testing.T
	base    string
	cookies []*http.Cookie
}

// with returns the client for use in the subtest t.
func (c *client) with(t *testing.T) *client {
	return &client{t: t, base: c.base, cookies: slices.Clone(c.cookies)}
}

// response is what a request got, and how long it took.
type response struct {
	code int
	body string
	took time.Duration
}

// hang bounds a request: a server that has not answered by then hangs.
const hang = 20 * queryTimeout

func (c *client) get(path string) response { return c.do(http.MethodGet, path, "") }

func (c *client) post(path, body string) response { return c.do(http.MethodPost, path, body) }

func (c *client) do(method, path, body string) response {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), hang)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, strings.NewReader(body))
	require.NoError(c.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, ck := range c.cookies {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err, "%s %s: no answer within %v", method, path, hang)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	took := time.Since(start)
	for _, ck := range resp.Cookies() {
		c.cookies = slices.DeleteFunc(c.cookies, func(old *http.Cookie) bool { return old.Name == ck.Name })
		if ck.MaxAge >= 0 {
			c.cookies = append(c.cookies, ck)
		}
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.True(c.t, json.Valid(b), "%s %s: not JSON: %s", method, path, b)
	}
	return response{resp.StatusCode, string(b), took}
}

package app_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/store/cache"
	"github.com/sessionguard/sessionguard/server/users"
)

// crossWait bounds the wait for something to cross from one instance to
// the other; the cache's bound is far below it.
const crossWait = 5 * time.Second

// instance is one server built by app.New, called through its handler.
type instance struct {
	srv *app.Server
	h   http.Handler
}

func newInstance(t *testing.T, o app.Options) *instance {
	t.Helper()
	o.PasswordParams = fastParams
	o.Accounts = []users.NewAccount{{Email: "user@example.com", Name: "Demo User", Role: "user", Password: "user-password"}}
	o.DataDir = t.TempDir()
	srv, err := app.New(t.Context(), o)
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	return &instance{srv: srv, h: srv.Handler()}
}

func (in *instance) do(method, path, body string, ck *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if ck != nil {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	in.h.ServeHTTP(rec, req)
	return rec
}

func (in *instance) signIn(t *testing.T) *http.Cookie {
	t.Helper()
	rec := in.do("POST", "/api/auth/signin", `{"email":"user@example.com","password":"user-password"}`, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	for _, ck := range rec.Result().Cookies() {
		if strings.HasSuffix(ck.Name, "sg_session") {
			return ck
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func (in *instance) signOut(t *testing.T, ck *http.Cookie) {
	t.Helper()
	rec := in.do("POST", "/api/auth/signout", `{}`, ck)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
}

// signedIn reports whether the status check with ck says signed in.
func (in *instance) signedIn(t *testing.T, ck *http.Cookie) bool {
	t.Helper()
	rec := in.do("GET", "/api/get-session-status", "", ck)
	require.Equal(t, http.StatusOK, rec.Code)
	return strings.Contains(rec.Body.String(), `"status":200`)
}

// TestStoreCacheAcrossInstances runs two instances, A and B, with
// -store-cache on one shared store, for each shared backend and strategy.
// B reaches the store through a fault proxy. A sign-out on A must reach B's
// cache; while B's channel is cut or slow, B reads the store, so a
// sign-out on A holds on B at once; once it is back, B's cache serves again.
func TestStoreCacheAcrossInstances(t *testing.T) {
	backends := []struct {
		name    string
		service func(testing.TB) string
		options func(t *testing.T, url string) app.Options
	}{
		{"postgres", testenv.Postgres, func(t *testing.T, url string) app.Options {
			return app.Options{StoreKind: "postgres", StoreSchema: testenv.PostgresSchema(t, url)}
		}},
		{"redis", testenv.Redis, func(t *testing.T, url string) app.Options {
			return app.Options{StoreKind: "redis", StorePrefix: testenv.RedisPrefix(t, url)}
		}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			url := be.service(t)
			for _, strategy := range []string{"database", "jwt"} {
				t.Run(strategy, func(t *testing.T) {
					o := be.options(t, url)
					o.Strategy, o.StoreCache = strategy, true
					oa, ob := o, o
					proxy := testenv.NewProxy(t, testenv.HostPort(t, url))
					oa.StoreURL, ob.StoreURL = url, proxy.URL(t, url)
					testStoreCache(t, newInstance(t, oa), newInstance(t, ob), proxy)
				})
			}
		})
	}
}

func testStoreCache(t *testing.T, a, b *instance, proxy *testenv.Proxy) {
	bc, ok := b.srv.Store().(*cache.Store)
	require.True(t, ok, "-store-cache wraps the store in a cache, got %T", b.srv.Store())
	current := func(why string) {
		t.Helper()
		require.Eventually(t, func() bool { return bc.Stats().Current }, crossWait, 10*time.Millisecond, why)
	}

	t.Run("SignOutOnAReachesB", func(t *testing.T) {
		current("B's heartbeat comes back")
		ck := a.signIn(t)
		hits := bc.Stats().Hits
		require.True(t, b.signedIn(t, ck))
		require.True(t, b.signedIn(t, ck))
		assert.Greater(t, bc.Stats().Hits, hits, "B serves from its cache")
		a.signOut(t, ck)
		assert.Eventually(t, func() bool { return !b.signedIn(t, ck) }, crossWait, 5*time.Millisecond, "the sign-out on A, on B")
	})

	t.Run("Metrics", func(t *testing.T) {
		current("B's heartbeat comes back")
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.RemoteAddr = "127.0.0.1:1234" // /metrics answers loopback clients
		rec := httptest.NewRecorder()
		b.h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code)
		body := rec.Body.String()
		assert.Contains(t, body, "\nsessionguard_store_cache_current 1\n")
		for _, name := range []string{"reads_total", "bypassed_total", "flushes_total"} {
			assert.Contains(t, body, "\nsessionguard_store_cache_"+name+" ")
		}
	})

	for _, fault := range []struct {
		name string
		make func()
	}{
		{"cut", proxy.Cut},
		// Each way 1 s: a query takes 2 s, within the stores' timeout.
		{"slow", func() { proxy.Slow(2 * cache.DefaultBound) }},
	} {
		t.Run("Channel"+fault.name, func(t *testing.T) {
			current("B's heartbeat comes back")
			ck := a.signIn(t)
			require.True(t, b.signedIn(t, ck), "B reads the session, and keeps it")

			fault.make()
			require.Eventually(t, func() bool { return !bc.Stats().Current }, crossWait, 10*time.Millisecond, "B stops using its cache")
			a.signOut(t, ck)
			assert.False(t, b.signedIn(t, ck), "the sign-out on A holds on B at once while B's channel is %s", fault.name)

			proxy.Restore()
			current("B's cache serves again once the channel is back")
			again := a.signIn(t)
			require.True(t, b.signedIn(t, again))
			hits := bc.Stats().Hits
			require.True(t, b.signedIn(t, again))
			assert.Greater(t, bc.Stats().Hits, hits, "B serves from its cache again")
		})
	}
}

// TestStoreCacheChangesNothingForEmbeddedStores: with SQLite (always
// cached) and memory, -store-cache is accepted and changes nothing.
func TestStoreCacheChangesNothingForEmbeddedStores(t *testing.T) {
	for _, kind := range []string{"sqlite", "memory"} {
		t.Run(kind, func(t *testing.T) {
			in := newInstance(t, app.Options{StoreKind: kind, StoreCache: true, StoreCacheSize: 10})
			ck := in.signIn(t)
			assert.True(t, in.signedIn(t, ck))
			in.signOut(t, ck)
			assert.False(t, in.signedIn(t, ck))
		})
	}
}

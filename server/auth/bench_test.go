package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/policy/policytest"
	"github.com/sessionguard/sessionguard/server/auth"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/session/keys"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/cache"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
	"github.com/sessionguard/sessionguard/server/users"
)

// benchHandler returns the full handler (logging off) over st and a signed-in
// session cookie, under the database strategy.
func benchHandler(b *testing.B, st store.Store) (http.Handler, *http.Cookie) {
	strategy, err := session.NewDatabase(st, session.DefaultLifetime)
	require.NoError(b, err)
	return benchHandlerWith(b, st, strategy)
}

// benchHandlerWith is benchHandler for any strategy.
func benchHandlerWith(b *testing.B, st store.Store, strategy session.Strategy) (http.Handler, *http.Cookie) {
	ctx := context.Background()
	svc, err := users.New(ctx, st, users.NewHasher(fastParams, 2))
	require.NoError(b, err)
	_, err = svc.Create(ctx, users.NewAccount{Email: "user@example.com", Name: "Demo User", Role: "user", Password: "user-password"})
	require.NoError(b, err)
	pol, err := policy.New(policytest.DefaultPublic, policytest.DefaultAdmin)
	require.NoError(b, err)
	a, err := auth.New(auth.Config{Sessions: session.New(strategy), Users: svc, Policy: pol, MaxAge: 30 * time.Minute})
	require.NoError(b, err)
	h := a.Handler()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/auth/signin", jsonBody(`{"email":"user@example.com","password":"user-password"}`))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	require.Equal(b, http.StatusOK, rec.Code)
	return h, rec.Result().Cookies()[0]
}

func benchStatus(b *testing.B, st store.Store) {
	h, ck := benchHandler(b, st)
	runStatus(b, h, ck)
}

func runStatus(b *testing.B, h http.Handler, ck *http.Cookie) {
	req := httptest.NewRequest("GET", "/api/get-session-status", nil)
	req.AddCookie(ck)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Body.Len() != len(`{"status":200}`)+1 {
			b.Fatalf("unexpected answer %d %q", rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkStatus measures GET /api/get-session-status through the whole
// handler stack (routing, cross-origin check, security headers, session
// load) for a signed-in visitor.
func BenchmarkStatus(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchStatus(b, memory.New()) })
	b.Run("sqlite+cache", func(b *testing.B) {
		st, err := sqlite.Open(b.Context(), b.TempDir()+"/b.db")
		require.NoError(b, err)
		b.Cleanup(func() { st.Close() })
		benchStatus(b, cache.New(st, 0))
	})
	b.Run("sqlite-uncached", func(b *testing.B) {
		st, err := sqlite.Open(b.Context(), b.TempDir()+"/b.db")
		require.NoError(b, err)
		b.Cleanup(func() { st.Close() })
		benchStatus(b, st)
	})
}

// BenchmarkStatusJWT is BenchmarkStatus under the jwt strategy: a cached
// signature check plus the revocation check on every read.
func BenchmarkStatusJWT(b *testing.B) {
	run := func(b *testing.B, st store.Store, full session.JWTStore) {
		set, err := keys.Load(b.Context(), keys.Config{Dir: b.TempDir(), Store: st.(store.Keys), Retire: time.Hour})
		require.NoError(b, err)
		j, err := session.NewJWT(session.JWTConfig{Keys: set, Store: full, RefreshKey: []byte("0123456789abcdef0123456789abcdef"), Lifetime: session.DefaultLifetime})
		require.NoError(b, err)
		h, ck := benchHandlerWith(b, st, j)
		runStatus(b, h, ck)
	}
	b.Run("memory", func(b *testing.B) {
		st := memory.New()
		run(b, st, st)
	})
	b.Run("sqlite+cache", func(b *testing.B) {
		inner, err := sqlite.Open(b.Context(), b.TempDir()+"/b.db")
		require.NoError(b, err)
		b.Cleanup(func() { inner.Close() })
		st := cache.New(inner, 0)
		run(b, st, st)
	})
}

// BenchmarkStatusAnonymous is the status check without a cookie.
func BenchmarkStatusAnonymous(b *testing.B) {
	h, _ := benchHandler(b, memory.New())
	req := httptest.NewRequest("GET", "/api/get-session-status", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

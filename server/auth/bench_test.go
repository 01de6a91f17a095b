package auth_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
	"github.com/sessionguard/sessionguard/server/users"
)

// benchHandler returns the server's handler as the sessionguard command
// builds it (app.New; logging off) over st, with strategy, and a signed-in
// session cookie.
func benchHandler(b *testing.B, strategy string, st store.Store) (http.Handler, *http.Cookie) {
	return benchServer(b, app.Options{Strategy: strategy, Store: st})
}

// benchServer builds the server with benchApp and returns its handler and
// the session cookie of the demo user, signed in.
func benchServer(b *testing.B, o app.Options) (http.Handler, *http.Cookie) {
	h := benchApp(b, o).Handler()
	return h, signedIn(b, h)
}

// benchApp builds the server with app.New from o (fast password hashing
// and the demo user unless o says otherwise), closed when b ends.
func benchApp(b *testing.B, o app.Options) *app.Server {
	if o.PasswordParams == (users.Params{}) {
		o.PasswordParams = fastParams
	}
	if o.Accounts == nil {
		o.Accounts = []users.NewAccount{{Email: "user@example.com", Name: "Demo User", Role: "user", Password: "user-password"}}
	}
	a, err := app.New(b.Context(), o)
	require.NoError(b, err)
	b.Cleanup(func() { a.Close() })
	return a
}

// signedIn signs the demo user in through h and returns the session cookie.
func signedIn(b *testing.B, h http.Handler) *http.Cookie {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/auth/signin", jsonBody(`{"email":"user@example.com","password":"user-password"}`))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	require.Equal(b, http.StatusOK, rec.Code)
	return rec.Result().Cookies()[0]
}

// exclusiveSQLite is the store the command serves by default: SQLite in a
// locked data directory, its session reads cached.
func exclusiveSQLite(b *testing.B) store.Store {
	st, err := sqlite.OpenExclusive(b.Context(), b.TempDir())
	require.NoError(b, err)
	b.Cleanup(func() { st.Close() })
	return st
}

func benchStatus(b *testing.B, strategy string, st store.Store) {
	h, ck := benchHandler(b, strategy, st)
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
	b.Run("memory", func(b *testing.B) { benchStatus(b, "database", memory.New()) })
	b.Run("sqlite+cache", func(b *testing.B) { benchStatus(b, "database", exclusiveSQLite(b)) })
	b.Run("sqlite-uncached", func(b *testing.B) {
		st, err := sqlite.Open(b.Context(), b.TempDir()+"/b.db")
		require.NoError(b, err)
		b.Cleanup(func() { st.Close() })
		benchStatus(b, "database", st)
	})
}

// BenchmarkStatusJWT is BenchmarkStatus under the jwt strategy: a cached
// signature check plus the revocation check on every read.
func BenchmarkStatusJWT(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchStatus(b, "jwt", memory.New()) })
	b.Run("sqlite+cache", func(b *testing.B) { benchStatus(b, "jwt", exclusiveSQLite(b)) })
}

// BenchmarkStatusParallel is BenchmarkStatus/sqlite+cache from one
// goroutine per processor, beside the bare handler the same way: a write
// to memory that every core shares costs little from one core and shows
// here, where the cores take turns with its cache line.
func BenchmarkStatusParallel(b *testing.B) {
	run := func(b *testing.B, h http.Handler, ck *http.Cookie) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			req := httptest.NewRequest("GET", "/api/get-session-status", nil)
			req.AddCookie(ck)
			for pb.Next() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Errorf("status %d", rec.Code)
					return
				}
			}
		})
	}
	for _, strategy := range []string{"database", "jwt"} {
		b.Run(strategy, func(b *testing.B) {
			h, ck := benchHandler(b, strategy, exclusiveSQLite(b))
			run(b, h, ck)
		})
	}
	b.Run("bare", func(b *testing.B) {
		run(b, bareStatus, &http.Cookie{Name: "sg_session", Value: strings.Repeat("a", 43)})
	})
}

// BenchmarkStatusAnonymous is the status check without a cookie.
func BenchmarkStatusAnonymous(b *testing.B) {
	h, _ := benchHandler(b, "database", memory.New())
	req := httptest.NewRequest("GET", "/api/get-session-status", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// BenchmarkStatusAnchors are the yardsticks of BenchmarkStatus, measured
// the same way in the same run: a bare net/http handler writing the same
// answer, and that handler behind gorilla/mux alone.
func BenchmarkStatusAnchors(b *testing.B) {
	ck := &http.Cookie{Name: "sg_session", Value: strings.Repeat("a", 43)}
	b.Run("bare", func(b *testing.B) { runStatus(b, bareStatus, ck) })
	b.Run("mux", func(b *testing.B) {
		r := mux.NewRouter()
		r.Handle("/api/get-session-status", bareStatus).Methods("GET", "HEAD")
		runStatus(b, r, ck)
	})
}

// bareStatus is the anchors' handler: a bare net/http handler writing the
// status check's answer.
var bareStatus = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(`{"status":200}` + "\n"))
})

// BenchmarkStatusLogged is BenchmarkStatus/sqlite+cache with the access
// log on, as the sessionguard command writes it (text, INFO).
func BenchmarkStatusLogged(b *testing.B) {
	for _, strategy := range []string{"database", "jwt"} {
		b.Run(strategy, func(b *testing.B) {
			h, ck := benchServer(b, app.Options{
				Strategy: strategy, Store: exclusiveSQLite(b), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			runStatus(b, h, ck)
		})
	}
}

package auth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/users"
)

// BenchmarkStatusShared is BenchmarkStatus on the shared stores, as the
// sessionguard command opens them (-store postgres|redis), without and with
// -store-cache, for both strategies. Compare with BenchmarkStatusAnchors/bare.
func BenchmarkStatusShared(b *testing.B) {
	backends := []struct {
		name    string
		options func(b *testing.B) app.Options
	}{
		{"postgres", func(b *testing.B) app.Options {
			url := testenv.Postgres(b)
			return app.Options{StoreKind: "postgres", StoreURL: url, StoreSchema: testenv.PostgresSchema(b, url)}
		}},
		{"redis", func(b *testing.B) app.Options {
			url := testenv.Redis(b)
			return app.Options{StoreKind: "redis", StoreURL: url, StorePrefix: testenv.RedisPrefix(b, url)}
		}},
	}
	for _, be := range backends {
		for _, strategy := range []string{"database", "jwt"} {
			for _, cached := range []bool{false, true} {
				name := be.name + "/" + strategy
				if cached {
					name += "+cache"
				}
				b.Run(name, func(b *testing.B) {
					o := be.options(b)
					o.Strategy, o.StoreCache = strategy, cached
					o.DataDir, o.PasswordParams = b.TempDir(), fastParams
					o.Accounts = []users.NewAccount{{Email: "user@example.com", Name: "Demo User", Role: "user", Password: "user-password"}}
					a, err := app.New(b.Context(), o)
					require.NoError(b, err)
					b.Cleanup(func() { a.Close() })
					h := a.Handler()
					rec := httptest.NewRecorder()
					req := httptest.NewRequest("POST", "/api/auth/signin", jsonBody(`{"email":"user@example.com","password":"user-password"}`))
					req.Header.Set("Content-Type", "application/json")
					h.ServeHTTP(rec, req)
					require.Equal(b, http.StatusOK, rec.Code)
					runStatus(b, h, rec.Result().Cookies()[0])
				})
			}
		}
	}
}

package auth_test

import (
	"testing"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/app"
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
					o.DataDir = b.TempDir()
					h, ck := benchServer(b, o)
					runStatus(b, h, ck)
				})
			}
		}
	}
}

package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/sessionguard/sessionguard/server/metrics"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/cache"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/store/postgres"
	"github.com/sessionguard/sessionguard/server/store/redis"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
)

// openStore opens the backend StoreKind names, for the server: SQLite with
// its data directory locked and its session reads cached; postgres and
// redis cached too with StoreCache.
func openStore(ctx context.Context, o Options) (store.Store, error) {
	switch o.StoreKind {
	case "sqlite":
		return sqlite.OpenExclusive(ctx, o.DataDir)
	case "postgres", "redis":
		s, err := OpenStore(ctx, o)
		if err != nil || !o.StoreCache {
			return s, err
		}
		c, err := cache.NewShared(s, o.StoreCacheSize)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("-store-cache: %w", err)
		}
		return c, nil
	}
	return OpenStore(ctx, o)
}

// OpenStore opens the backend o.StoreKind names ("sqlite" when empty) the
// way a command that works beside a running server needs it: SQLite without
// the data-directory lock (the server holds it) and without a cache. Accounts
// and keys written through it reach the server at once. Close it when done.
func OpenStore(ctx context.Context, o Options) (store.Store, error) {
	o = o.withDefaults()
	switch o.StoreKind {
	case "sqlite":
		s, err := sqlite.Open(ctx, filepath.Join(o.DataDir, sqlite.FileName))
		if err != nil {
			return nil, err
		}
		return s, nil
	case "memory":
		return memory.New(), nil
	case "postgres":
		if o.StoreURL == "" {
			return nil, errors.New("-store postgres needs -store-url")
		}
		var opts []postgres.Option
		if o.StoreSchema != "" {
			opts = append(opts, postgres.WithSchema(o.StoreSchema))
		}
		s, err := postgres.Open(ctx, o.StoreURL, opts...)
		if err != nil {
			return nil, err
		}
		return s, nil
	case "redis":
		if o.StoreURL == "" {
			return nil, errors.New("-store redis needs -store-url")
		}
		// A session's key outlives its stored idle expiry by the update
		// age: the database strategy extends sessions in memory between
		// writes.
		opts := []redis.Option{redis.WithExpiryGrace(o.Lifetime.UpdateAge)}
		if o.StorePrefix != "" {
			opts = append(opts, redis.WithPrefix(o.StorePrefix))
		}
		s, err := redis.Open(ctx, o.StoreURL, opts...)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("-store %q: want sqlite, memory, postgres or redis", o.StoreKind)
}

// cacheMetrics exports what the shared-store cache (-store-cache) does.
func cacheMetrics(m *metrics.Metrics, c *cache.Store) {
	m.Gauge("sessionguard_store_cache_current", "1 while the shared-store cache serves reads (its heartbeat through the events channel is current), 0 while reads go to the store.",
		func() float64 {
			if c.Stats().Current {
				return 1
			}
			return 0
		})
	m.Counter("sessionguard_store_cache_reads_total", "Session reads and revocation checks that consulted the shared-store cache.",
		func() float64 { return float64(c.Stats().Hits) })
	m.Counter("sessionguard_store_cache_bypassed_total", "Session reads and revocation checks sent to the store because the events channel was down, resyncing or slow.",
		func() float64 { return float64(c.Stats().Bypassed) })
	m.Counter("sessionguard_store_cache_flushes_total", "Times the shared-store cache was emptied (resync, a heartbeat gap, events possibly lost).",
		func() float64 { return float64(c.Stats().Flushes) })
}

//go:build !sgfuzz

package session_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/store/cache"
	"github.com/sessionguard/sessionguard/server/store/postgres"
	"github.com/sessionguard/sessionguard/server/store/redis"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
)

// jwtStores are the stores the jwt strategy's tests run on: memory, SQLite,
// SQLite behind the cache as the server runs it, PostgreSQL and Redis (from
// SG_TEST_POSTGRES_URL and SG_TEST_REDIS_URL; without them those runs skip
// with a line, or fail with SG_REQUIRE_SERVICES=1).
//
// They live in a file of their own because of what they link: a test
// binary built for fuzzing (./build.sh fuzz and the core targets of
// ./build.sh test build it with -tags sgfuzz) leaves this file out, and
// jwt_stores_fuzz_test.go's memory store alone stands in, so the package's
// fuzz targets run without SQLite and the two database clients
// instrumented beside them (docs/TESTING.md).
var jwtStores = []string{"memory", "sqlite", "sqlite+cache", "postgres", "redis"}

// openStoredJWTStore opens one of jwtStores other than memory, closed when
// t ends.
func openStoredJWTStore(t *testing.T, name string) jwtStore {
	t.Helper()
	switch name {
	case "postgres":
		url := testenv.Postgres(t)
		s, err := postgres.Open(t.Context(), url, postgres.WithSchema(testenv.PostgresSchema(t, url)))
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		return s
	case "redis":
		url := testenv.Redis(t)
		s, err := redis.Open(t.Context(), url, redis.WithPrefix(testenv.RedisPrefix(t, url)))
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		return wallClockStore{s}
	}
	sq, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sg.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = sq.Close() })
	if name == "sqlite+cache" {
		return cache.New(sq, 0)
	}
	return sq
}

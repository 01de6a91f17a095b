package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

// RedisTestPrefix starts every key prefix that RedisPrefix returns, so that
// a test can tell its keys, and other tests' keys, from keys made outside
// any test prefix.
const RedisTestPrefix = "sgtest:"

// cleanupTimeout bounds the removal of a test's schema or keys.
const cleanupTimeout = 10 * time.Second

// PostgresSchema returns a new schema name, "sgtest_" and 16 random hex
// digits, for a store under test on the server at url, and drops the schema
// with everything in it, if it exists, when tb ends.
func PostgresSchema(tb testing.TB, url string) string {
	tb.Helper()
	schema := "sgtest_" + randomHex()
	tb.Cleanup(func() { DropSchema(tb, url, schema) })
	return schema
}

// DropSchema drops schema with everything in it, if it exists, reporting a
// failure to tb. It does not need tb's context, so cleanups can call it.
func DropSchema(tb testing.TB, url, schema string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
	}
}

// RedisPrefix returns a new key prefix, RedisTestPrefix, 16 random hex
// digits and ":", for a store under test on the server at url, and deletes
// every key that starts with it when tb ends.
func RedisPrefix(tb testing.TB, url string) string {
	tb.Helper()
	prefix := RedisTestPrefix + randomHex() + ":"
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		opts, err := goredis.ParseURL(url)
		if err != nil {
			tb.Errorf("delete keys %s*: %v", prefix, err)
			return
		}
		c := goredis.NewClient(opts)
		defer c.Close()
		keys, err := RedisKeys(ctx, c, prefix+"*")
		if err == nil && len(keys) > 0 {
			err = c.Del(ctx, keys...).Err()
		}
		if err != nil {
			tb.Errorf("delete keys %s*: %v", prefix, err)
		}
	})
	return prefix
}

// RedisKeys returns the keys that match pattern, found with SCAN.
func RedisKeys(ctx context.Context, c *goredis.Client, pattern string) ([]string, error) {
	var keys []string
	iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	return keys, iter.Err()
}

func randomHex() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

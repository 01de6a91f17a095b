package testenv

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

// Names of the environment variables that this package reads.
const (
	PostgresURLVar  = "SG_TEST_POSTGRES_URL"
	RedisURLVar     = "SG_TEST_REDIS_URL"
	RequireServices = "SG_REQUIRE_SERVICES"
)

// reachTimeout bounds the check that a service answers.
const reachTimeout = 3 * time.Second

// Postgres returns the URL of the test PostgreSQL server from
// SG_TEST_POSTGRES_URL, after checking that it accepts a connection. See the
// package doc for what happens when it is unset or does not answer.
func Postgres(tb testing.TB) string {
	tb.Helper()
	return service(tb, "postgres", PostgresURLVar, func(ctx context.Context, url string) error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		return conn.Ping(ctx)
	})
}

// Redis returns the URL of the test Redis server from SG_TEST_REDIS_URL,
// after checking that it answers PING. See the package doc for what happens
// when it is unset or does not answer.
func Redis(tb testing.TB) string {
	tb.Helper()
	return service(tb, "redis", RedisURLVar, func(ctx context.Context, url string) error {
		opts, err := goredis.ParseURL(url)
		if err != nil {
			return err
		}
		// A plain dial first: go-redis logs a line of its own when it
		// cannot connect.
		var d net.Dialer
		conn, err := d.DialContext(ctx, opts.Network, opts.Addr)
		if err != nil {
			return err
		}
		conn.Close()
		opts.MaxRetries = -1
		c := goredis.NewClient(opts)
		defer c.Close()
		return c.Ping(ctx).Err()
	})
}

// service reads the URL of a service from the variable env and checks it
// with reach; when either fails it skips tb with one line, or fails it when
// services are required.
func service(tb testing.TB, name, env string, reach func(ctx context.Context, url string) error) string {
	tb.Helper()
	url := os.Getenv(env)
	var why string
	if url == "" {
		why = env + " not set"
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), reachTimeout)
		defer cancel()
		if err := reach(ctx, url); err != nil {
			// One line, whatever the driver's message.
			why = env + " does not answer: " + strings.Join(strings.Fields(err.Error()), " ")
		}
	}
	if why == "" {
		return url
	}
	if os.Getenv(RequireServices) == "1" {
		tb.Fatalf("%s tests cannot run: %s, and %s=1", name, why, RequireServices)
		return ""
	}
	tb.Skipf("%s tests skipped: %s (set %s to a test server's URL, or %s=1 to fail instead)", name, why, env, RequireServices)
	return ""
}

package redis_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/redis"
	"github.com/sessionguard/sessionguard/server/store/storetest"
)

// TestEventsOutage cuts the subscribed connection away through a proxy and
// brings it back: go-redis dials again and subscribes anew, and the
// subscription hears events again.
func TestEventsOutage(t *testing.T) {
	url := testenv.Redis(t)
	const timeout = 500 * time.Millisecond
	prefix := testenv.RedisPrefix(t, url)
	p := testenv.NewProxy(t, testenv.HostPort(t, url))
	sub, err := redis.Open(t.Context(), p.URL(t, url), redis.WithPrefix(prefix), redis.WithQueryTimeout(timeout))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, sub.Close()) })
	pub, err := redis.Open(t.Context(), url, redis.WithPrefix(prefix))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, pub.Close()) })

	storetest.RunEventsOutage(t, sub, pub, p, 3*timeout, 20*timeout)
}

// TestEventsBetween runs two stores on one prefix, as two instances, and a
// third on another.
func TestEventsBetween(t *testing.T) {
	url := testenv.Redis(t)
	prefix := testenv.RedisPrefix(t, url)
	var stores []store.Events
	for _, o := range []redis.Option{redis.WithPrefix(prefix), redis.WithPrefix(prefix), redis.WithPrefix(testenv.RedisPrefix(t, url))} {
		s, err := redis.Open(t.Context(), url, o)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		stores = append(stores, s)
	}
	storetest.RunEventsBetween(t, stores[0], stores[1], stores[2])
}

// TestEventsChannelNamesDatabase checks that stores with one prefix on two
// databases of one server, whose pub/sub channels Redis shares, do not hear
// each other.
func TestEventsChannelNamesDatabase(t *testing.T) {
	url := testenv.Redis(t)
	prefix := testenv.RedisPrefix(t, url)
	db1 := withDB(t, url, 1)
	c := client(t, db1)
	t.Cleanup(func() {
		// RedisPrefix's cleanup covers the URL's database only.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		keys, err := testenv.RedisKeys(ctx, c, prefix+"*")
		if assert.NoError(t, err) && len(keys) > 0 {
			assert.NoError(t, c.Del(ctx, keys...).Err())
		}
	})
	var stores []*redis.Store
	for _, u := range []string{url, url, db1} {
		s, err := redis.Open(t.Context(), u, redis.WithPrefix(prefix))
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		stores = append(stores, s)
	}
	assert.NotEqual(t, stores[0].Channel(), stores[2].Channel())
	storetest.RunEventsBetween(t, stores[0], stores[1], stores[2])
}

// withDB returns rawURL with the database number db.
func withDB(t *testing.T, rawURL string, db int) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	u.Path = "/" + strconv.Itoa(db)
	return u.String()
}

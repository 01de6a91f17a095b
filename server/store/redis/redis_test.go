package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/redis"
	"github.com/sessionguard/sessionguard/server/store/storetest"
)

// client returns a plain client of the test server, closed when tb ends.
func client(tb testing.TB, url string) *goredis.Client {
	tb.Helper()
	opts, err := goredis.ParseURL(url)
	require.NoError(tb, err)
	c := goredis.NewClient(opts)
	tb.Cleanup(func() { c.Close() })
	return c
}

// open opens a store with a prefix of its own on the test server; the caller
// closes it.
func open(tb testing.TB, url string, opts ...redis.Option) *redis.Store {
	tb.Helper()
	opts = append([]redis.Option{redis.WithPrefix(testenv.RedisPrefix(tb, url))}, opts...)
	s, err := redis.Open(tb.Context(), url, opts...)
	require.NoError(tb, err)
	return s
}

func TestStore(t *testing.T) {
	url := testenv.Redis(t)
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, url) })
}

func BenchmarkSessionRead(b *testing.B) {
	url := testenv.Redis(b)
	storetest.BenchmarkSessionRead(b, func(b *testing.B) store.Store { return open(b, url) })
}

func BenchmarkTouch(b *testing.B) {
	url := testenv.Redis(b)
	storetest.BenchmarkTouch(b, func(b *testing.B) store.Store { return open(b, url) })
}

func BenchmarkRevoked(b *testing.B) {
	url := testenv.Redis(b)
	storetest.BenchmarkRevoked(b, func(b *testing.B) store.Store { return open(b, url) })
}

func BenchmarkRedeemRefreshToken(b *testing.B) {
	url := testenv.Redis(b)
	storetest.BenchmarkRedeemRefreshToken(b, func(b *testing.B) store.Store { return open(b, url) })
}

func BenchmarkUserSessions(b *testing.B) {
	url := testenv.Redis(b)
	storetest.BenchmarkUserSessions(b, func(b *testing.B) store.Store { return open(b, url) })
}

func BenchmarkCountSessions(b *testing.B) {
	url := testenv.Redis(b)
	storetest.BenchmarkCountSessions(b, func(b *testing.B) store.Store { return open(b, url) })
}

// TestOutage takes the server away behind a proxy and brings it back.
func TestOutage(t *testing.T) {
	url := testenv.Redis(t)
	const timeout = 500 * time.Millisecond
	p := testenv.NewProxy(t, testenv.HostPort(t, url))
	s := open(t, p.URL(t, url), redis.WithQueryTimeout(timeout))
	t.Cleanup(func() { assert.NoError(t, s.Close()) })

	storetest.RunOutage(t, s, p, 10*timeout)
}

func TestOpenFails(t *testing.T) {
	url := testenv.Redis(t)
	tests := []struct {
		name string
		url  string
		opts []redis.Option
		msg  string
	}{
		{"empty prefix", url, []redis.Option{redis.WithPrefix("")}, "empty key prefix"},
		{"zero timeout", url, []redis.Option{redis.WithQueryTimeout(0)}, "query timeout 0s"},
		{"negative grace", url, []redis.Option{redis.WithExpiryGrace(-time.Second)}, "expiry grace -1s"},
		{"not a redis URL", "postgres://127.0.0.1/x", nil, "invalid URL scheme"},
		{"nobody listens", "redis://127.0.0.1:1/0", nil, "redis: open: ping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := redis.Open(t.Context(), tt.url, tt.opts...)
			if s != nil {
				s.Close()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestOpenCancelled(t *testing.T) {
	url := testenv.Redis(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s, err := redis.Open(ctx, url, redis.WithPrefix(testenv.RedisPrefix(t, url)))
	assert.Nil(t, s)
	assert.ErrorIs(t, err, context.Canceled)
}

// session returns a session of userID signed in at t0, live for an hour,
// with a random hash.
func session(userID string, t0 time.Time) store.Session {
	h := make([]byte, store.HashLen)
	rand.Read(h)
	return store.Session{
		IDHash: h, UserID: userID, Email: userID + "@example.com", Name: userID, Role: "user",
		CreatedAt: t0, Expires: t0.Add(time.Hour), AbsExpires: t0.Add(12 * time.Hour),
	}
}

// TestSessionWrittenBeforeAssurance reads a session record written before
// records kept the assurance level: it was proved with a password at
// sign-in (aal1 at its creation).
func TestSessionWrittenBeforeAssurance(t *testing.T) {
	url := testenv.Redis(t)
	prefix := testenv.RedisPrefix(t, url)
	s, err := redis.Open(t.Context(), url, redis.WithPrefix(prefix))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	sess := session("alice", t0)
	sess.AAL, sess.AuthenticatedAt = store.AAL2, t0.Add(time.Minute)
	require.NoError(t, s.CreateSession(t.Context(), sess))
	// What an earlier release wrote has neither field.
	key := prefix + "s:" + hex.EncodeToString(sess.IDHash)
	require.NoError(t, client(t, url).HDel(t.Context(), key, "l", "au").Err())

	got, found, err := s.Session(t.Context(), sess.IDHash, t0)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, store.AAL1, got.AAL)
	assert.True(t, t0.Equal(got.AuthenticatedAt), "AuthenticatedAt %v, want the creation %v", got.AuthenticatedAt, t0)
}

package cache_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/cache"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
	"github.com/sessionguard/sessionguard/server/store/storetest"
)

func TestConformanceOverMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return cache.New(memory.New(), 0) })
}

func TestConformanceOverSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(t.Context(), t.TempDir()+"/cache.db")
		require.NoError(t, err)
		return cache.New(s, 0)
	})
}

// counting counts the session reads that reach the wrapped store.
type counting struct {
	store.Store
	reads atomic.Int64
}

func (c *counting) Session(ctx context.Context, h []byte, now time.Time) (store.Session, bool, error) {
	c.reads.Add(1)
	return c.Store.Session(ctx, h, now)
}

func record(t0 time.Time, user string) store.Session {
	h := make([]byte, store.HashLen)
	_, _ = rand.Read(h)
	return store.Session{IDHash: h, UserID: user, Email: user + "@example.com", Name: user, Role: "user",
		CreatedAt: t0, Expires: t0.Add(time.Hour), AbsExpires: t0.Add(2 * time.Hour)}
}

func TestHitsDoNotReachTheStore(t *testing.T) {
	inner := &counting{Store: memory.New()}
	c := cache.New(inner, 0)
	ctx := context.Background()
	t0 := time.Now()
	s := record(t0, "ada")
	require.NoError(t, c.CreateSession(ctx, s))
	for range 10 {
		_, found, err := c.Session(ctx, s.IDHash, t0)
		require.NoError(t, err)
		require.True(t, found)
	}
	assert.Equal(t, int64(0), inner.reads.Load(), "created records are served from memory")

	// A record that was not created here is read once, then cached.
	other := record(t0, "bob")
	require.NoError(t, inner.Store.CreateSession(ctx, other))
	for range 3 {
		_, found, err := c.Session(ctx, other.IDHash, t0)
		require.NoError(t, err)
		require.True(t, found)
	}
	assert.Equal(t, int64(1), inner.reads.Load())

	_, found, err := c.Session(ctx, s.IDHash, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.False(t, found, "expiry is judged on hits too")
}

func TestTouchAndDeletesKeepTheCacheExact(t *testing.T) {
	c := cache.New(memory.New(), 0)
	ctx := context.Background()
	t0 := time.Now()
	a, b, x := record(t0, "ada"), record(t0, "ada"), record(t0, "bob")
	for _, s := range []store.Session{a, b, x} {
		require.NoError(t, c.CreateSession(ctx, s))
	}
	if found, err := c.TouchSession(ctx, a.IDHash, t0.Add(90*time.Minute)); assert.NoError(t, err) {
		assert.True(t, found, "TouchSession found")
	}
	got, found, err := c.Session(ctx, a.IDHash, t0)
	require.NoError(t, err)
	require.True(t, found)
	assert.True(t, t0.Add(90*time.Minute).Equal(got.Expires))

	require.NoError(t, c.DeleteSession(ctx, a.IDHash))
	_, found, _ = c.Session(ctx, a.IDHash, t0)
	assert.False(t, found)
	n, err := c.DeleteUserSessions(ctx, "ada")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, found, _ = c.Session(ctx, b.IDHash, t0)
	assert.False(t, found)
	_, found, _ = c.Session(ctx, x.IDHash, t0)
	assert.True(t, found)
}

func TestDeleteRacingReadsNeverResurrects(t *testing.T) {
	c := cache.New(memory.New(), 0)
	ctx := context.Background()
	t0 := time.Now()
	for range 200 {
		s := record(t0, "ada")
		require.NoError(t, c.Store.CreateSession(ctx, s)) // in the store only: reads miss
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { _, _, _ = c.Session(ctx, s.IDHash, t0) })
		}
		wg.Go(func() { _ = c.DeleteSession(ctx, s.IDHash) })
		wg.Wait()
		_, found, err := c.Session(ctx, s.IDHash, t0)
		require.NoError(t, err)
		require.False(t, found, "a deleted session stays deleted")
	}
}

func TestBounded(t *testing.T) {
	c := cache.New(memory.New(), 100)
	t0 := time.Now()
	for range 1000 {
		require.NoError(t, c.CreateSession(context.Background(), record(t0, "u")))
	}
	assert.LessOrEqual(t, c.Len(), 100)
}

func BenchmarkHit(b *testing.B) {
	s, err := sqlite.Open(b.Context(), b.TempDir()+"/bench.db")
	require.NoError(b, err)
	c := cache.New(s, 0)
	t0 := time.Now()
	r := record(t0, "ada")
	require.NoError(b, c.CreateSession(context.Background(), r))
	for b.Loop() {
		_, _, _ = c.Session(context.Background(), r.IDHash, t0)
	}
}

// countingRevocations counts the revocation checks that reach the store.
type countingRevocations struct {
	*memory.Store
	checks atomic.Int64
}

func (c *countingRevocations) Revoked(ctx context.Context, user string, iat, now time.Time, ids ...string) (bool, error) {
	c.checks.Add(1)
	return c.Store.Revoked(ctx, user, iat, now, ids...)
}

func TestRevocationChecksServedFromMemory(t *testing.T) {
	inner := &countingRevocations{Store: memory.New()}
	c := cache.New(inner, 0)
	ctx := context.Background()
	now := time.Now()
	for range 5 {
		revoked, err := c.Revoked(ctx, "ada", now, now, "jti-1", "sid:s1")
		require.NoError(t, err)
		assert.False(t, revoked)
	}
	assert.Equal(t, int64(2), inner.checks.Load(), "each id is read once, then known")

	require.NoError(t, c.Deny(ctx, "jti-1", now.Add(time.Minute)))
	revoked, err := c.Revoked(ctx, "ada", now, now, "jti-1", "sid:s1")
	require.NoError(t, err)
	assert.True(t, revoked, "a denial through the cache counts at once")
	revoked, err = c.Revoked(ctx, "ada", now, now.Add(2*time.Minute), "jti-1")
	require.NoError(t, err)
	assert.False(t, revoked, "until its time")

	require.NoError(t, c.SetUserValidAfter(ctx, "ada", now.Add(time.Second)))
	revoked, err = c.Revoked(ctx, "ada", now, now, "jti-2")
	require.NoError(t, err)
	assert.True(t, revoked, "valid-after counts at once")
	revoked, err = c.Revoked(ctx, "ada", now.Add(time.Second), now, "jti-2")
	require.NoError(t, err)
	assert.False(t, revoked)
}

func TestDenyRacingChecksNeverForgets(t *testing.T) {
	c := cache.New(memory.New(), 0)
	ctx := context.Background()
	now := time.Now()
	for i := range 200 {
		id := fmt.Sprintf("jti-%d", i)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { _, _ = c.Revoked(ctx, "ada", now, now, id) })
		}
		wg.Go(func() { _ = c.Deny(ctx, id, now.Add(time.Hour)) })
		wg.Wait()
		revoked, err := c.Revoked(ctx, "ada", now, now, id)
		require.NoError(t, err)
		require.True(t, revoked, "a denied id stays denied")
	}
}

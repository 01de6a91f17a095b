package cache_test

import (
	"context"
	"crypto/rand"
	"fmt"
	mathrand "math/rand/v2"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testgate"
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

// pausing holds a read that missed the cache between the wrapped store's
// answer and the cache's use of it: the armed read ("session", "revoked" or
// "valid-after") stops at its gate. The test writes through the cache
// meanwhile.
type pausing struct {
	store.Store
	testgate.Gate
}

func (p *pausing) Session(ctx context.Context, h []byte, now time.Time) (store.Session, bool, error) {
	s, found, err := p.Store.Session(ctx, h, now)
	p.At("session")
	return s, found, err
}

func (p *pausing) Revoked(ctx context.Context, user string, iat, now time.Time, ids ...string) (bool, error) {
	revoked, err := p.Store.Revoked(ctx, user, iat, now, ids...)
	p.At("revoked")
	return revoked, err
}

func (p *pausing) UserValidAfter(ctx context.Context, user string) (time.Time, error) {
	t, err := p.Store.UserValidAfter(ctx, user)
	p.At("valid-after")
	return t, err
}

// racing runs read in the background with the wrapped store's op paused
// after it answered, runs write to completion, then lets the read finish.
func racing(t *testing.T, p *pausing, op string, read func(), write func()) {
	t.Helper()
	p.Arm(op)
	done := make(chan struct{})
	go func() { defer close(done); read() }()
	select {
	case <-p.Reached():
	case <-done:
		t.Fatalf("the read did not reach the store's %s", op)
	}
	write()
	p.Resume()
	<-done
}

// TestDeleteRacingReadsNeverResurrects: a read that missed the cache and
// found the record in the store before a delete must not put it in the
// cache after the delete returned.
func TestDeleteRacingReadsNeverResurrects(t *testing.T) {
	ctx := context.Background()
	t0 := time.Now()
	for _, tt := range []struct {
		name   string
		delete func(c *cache.Store, s store.Session) error
	}{
		{"delete one", func(c *cache.Store, s store.Session) error { return c.DeleteSession(ctx, s.IDHash) }},
		{"delete the user's", func(c *cache.Store, s store.Session) error { _, err := c.DeleteUserSessions(ctx, s.UserID); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &pausing{Store: memory.New()}
			c := cache.New(p, 0)
			s := record(t0, "ada")
			require.NoError(t, p.Store.CreateSession(ctx, s)) // in the store only: the read misses
			racing(t, p, "session", func() {
				_, found, err := c.Session(ctx, s.IDHash, t0)
				assert.NoError(t, err)
				assert.True(t, found, "read before the delete")
			}, func() { require.NoError(t, tt.delete(c, s)) })
			_, found, err := c.Session(ctx, s.IDHash, t0)
			require.NoError(t, err)
			assert.False(t, found, "a deleted session stays deleted")
		})
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

// TestDenyRacingChecksNeverForgets: a check that read "not revoked" from
// the store before a revocation must not be remembered after the
// revocation returned.
func TestDenyRacingChecksNeverForgets(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	t.Run("deny", func(t *testing.T) {
		p := &pausing{Store: memory.New()}
		c := cache.New(p, 0)
		_, err := c.UserValidAfter(ctx, "ada") // known: only the id is read below
		require.NoError(t, err)
		racing(t, p, "revoked", func() {
			revoked, err := c.Revoked(ctx, "ada", now, now, "jti-1")
			assert.NoError(t, err)
			assert.False(t, revoked, "checked before the denial")
		}, func() { require.NoError(t, c.Deny(ctx, "jti-1", now.Add(time.Hour))) })
		revoked, err := c.Revoked(ctx, "ada", now, now, "jti-1")
		require.NoError(t, err)
		assert.True(t, revoked, "a denied id stays denied")
	})
	t.Run("valid-after", func(t *testing.T) {
		p := &pausing{Store: memory.New()}
		c := cache.New(p, 0)
		racing(t, p, "valid-after", func() {
			revoked, err := c.Revoked(ctx, "ada", now, now, "jti-1")
			assert.NoError(t, err)
			assert.False(t, revoked, "checked before the revocation")
		}, func() { require.NoError(t, c.SetUserValidAfter(ctx, "ada", now.Add(time.Second))) })
		revoked, err := c.Revoked(ctx, "ada", now, now, "jti-1")
		require.NoError(t, err)
		assert.True(t, revoked, "a token issued before valid-after stays revoked")
	})
}

// TestDenyOfAForgottenIDLearnsNothing: once the cache's revocation entries
// have been dropped for room, a deny of an id denied before must not take
// the time it wrote for the id's: the store keeps the later of the two.
func TestDenyOfAForgottenIDLearnsNothing(t *testing.T) {
	ctx := t.Context()
	c := cache.New(memory.New(), 0)
	t0 := time.Now()
	require.NoError(t, c.Deny(ctx, "jti-1", t0.Add(2*time.Hour)))
	// Checks of other ids fill the revocation entries until they are
	// dropped for room (200,000 of them).
	for i := range 200_000 {
		_, err := c.Revoked(ctx, "ada", t0, t0, "other-"+strconv.Itoa(i))
		require.NoError(t, err)
	}
	require.NoError(t, c.Deny(ctx, "jti-1", t0.Add(time.Hour)))
	revoked, err := c.Revoked(ctx, "ada", t0, t0.Add(2*time.Hour-time.Millisecond), "jti-1")
	require.NoError(t, err)
	assert.True(t, revoked, "denied until the later of the two times")
}

// TestUserIndexFollowsEveryChange: after any mix of creates (past the
// bound, so entries are evicted), touches of gone records, deletions one by
// one, by user and of expired records, the user index lists exactly the
// cached records, and ending a user's sessions ends all of them.
func TestUserIndexFollowsEveryChange(t *testing.T) {
	inner := memory.New()
	c := cache.New(inner, 50)
	ctx := context.Background()
	t0 := time.Now()
	rng := mathrand.New(mathrand.NewPCG(1, 2))
	var live []store.Session
	for i := range 2000 {
		user := fmt.Sprintf("u%d", rng.IntN(30))
		switch op := rng.IntN(10); {
		case op < 5 || len(live) == 0:
			s := record(t0, user)
			if rng.IntN(5) == 0 {
				s.Expires = t0.Add(-time.Minute) // already expired
			}
			require.NoError(t, c.CreateSession(ctx, s))
			live = append(live, s)
		case op < 7:
			s := live[rng.IntN(len(live))]
			require.NoError(t, c.DeleteSession(ctx, s.IDHash))
		case op < 8:
			_, err := c.DeleteUserSessions(ctx, user)
			require.NoError(t, err)
			for _, s := range live {
				if s.UserID == user {
					_, found, err := c.Session(ctx, s.IDHash, t0)
					require.NoError(t, err)
					require.False(t, found, "a session of %s outlived DeleteUserSessions", user)
				}
			}
		case op < 9:
			s := live[rng.IntN(len(live))]
			require.NoError(t, inner.DeleteSession(ctx, s.IDHash)) // behind the cache's back
			_, err := c.TouchSession(ctx, s.IDHash, t0.Add(time.Hour))
			require.NoError(t, err)
		default:
			_, err := c.DeleteExpiredSessions(ctx, t0)
			require.NoError(t, err)
		}
		require.NoError(t, c.CheckIndex(), "after step %d", i)
	}
	require.Positive(t, c.Len())
}

package redis_test

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/redis"
)

// TestTTL checks that a session's key, and its user's index, expire when the
// session dies (plus the grace, never past the absolute expiry), and follow
// touches. Times are on the wall clock, in the future: Redis keeps the keys.
func TestTTL(t *testing.T) {
	url := testenv.Redis(t)
	c := client(t, url)
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	// expireAt returns when key expires, in unix ms.
	expireAt := func(t *testing.T, key string) int64 {
		t.Helper()
		v, err := c.Do(t.Context(), "PEXPIRETIME", key).Int64()
		require.NoError(t, err)
		require.Positive(t, v, "key %s has no expiry (or is missing)", key)
		return v
	}

	tests := []struct {
		name    string
		grace   time.Duration
		touch   time.Duration // after sign-in; 0 = no touch
		wantKey time.Duration // when the key expires, after sign-in
	}{
		{"at the idle expiry", 0, 0, time.Hour},
		{"grace after the idle expiry", 10 * time.Minute, 0, time.Hour + 10*time.Minute},
		{"grace capped at the absolute expiry", 20 * time.Hour, 0, 12 * time.Hour},
		{"a touch extends it", 0, 2 * time.Hour, 2 * time.Hour},
		{"a touch with grace", 10 * time.Minute, 2 * time.Hour, 2*time.Hour + 10*time.Minute},
		{"a touch shortens it", 0, 30 * time.Minute, 30 * time.Minute},
		{"a touch past the absolute expiry", 0, 20 * time.Hour, 12 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, url, redis.WithExpiryGrace(tt.grace))
			t.Cleanup(func() { assert.NoError(t, s.Close()) })
			t0 := time.Now().UTC().Truncate(time.Millisecond)
			sess := session("alice", t0) // idle expiry in an hour, absolute in 12
			require.NoError(t, s.CreateSession(t.Context(), sess))
			if tt.touch != 0 {
				if found, err := s.TouchSession(t.Context(), sess.IDHash, t0.Add(tt.touch)); assert.NoError(t, err) {
					assert.True(t, found, "TouchSession found")
				}
			}

			key := s.Prefix() + "s:" + hex.EncodeToString(sess.IDHash)
			assert.Equal(t, ms(t0.Add(tt.wantKey)), expireAt(t, key), "session key")
			assert.Equal(t, ms(t0.Add(tt.wantKey)), expireAt(t, s.Prefix()+"us:alice"), "user index")
		})
	}

	t.Run("the user index lives as long as the last session", func(t *testing.T) {
		s := open(t, url)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		long, short := session("alice", t0), session("alice", t0)
		short.Expires = t0.Add(time.Minute)
		require.NoError(t, s.CreateSession(t.Context(), long))
		require.NoError(t, s.CreateSession(t.Context(), short))
		index := s.Prefix() + "us:alice"
		assert.Equal(t, ms(t0.Add(time.Hour)), expireAt(t, index), "after sign-ins")

		// Shortening the longer session lets the index go with the
		// other one; extending the shorter one keeps the index as long.
		if found, err := s.TouchSession(t.Context(), long.IDHash, t0.Add(30*time.Second)); assert.NoError(t, err) {
			assert.True(t, found, "TouchSession found")
		}
		assert.Equal(t, ms(t0.Add(time.Minute)), expireAt(t, index), "after shortening")
		if found, err := s.TouchSession(t.Context(), short.IDHash, t0.Add(3*time.Hour)); assert.NoError(t, err) {
			assert.True(t, found, "TouchSession found")
		}
		assert.Equal(t, ms(t0.Add(3*time.Hour)), expireAt(t, index), "after extending")
	})

	t.Run("a refresh token's key expires with it", func(t *testing.T) {
		s := open(t, url)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		tok := store.RefreshToken{Hash: hash(), SessionHash: hash(), UserID: "alice", CreatedAt: t0, ExpiresAt: t0.Add(12 * time.Hour)}
		require.NoError(t, s.CreateRefreshToken(t.Context(), tok))

		assert.Equal(t, ms(tok.ExpiresAt), expireAt(t, s.Prefix()+"rt:"+hex.EncodeToString(tok.Hash)), "token key")
		assert.Equal(t, ms(tok.ExpiresAt), expireAt(t, s.Prefix()+"rf:"+hex.EncodeToString(tok.SessionHash)), "family index")
	})

	t.Run("accounts do not expire", func(t *testing.T) {
		s := open(t, url)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		require.NoError(t, s.CreateUser(t.Context(), store.User{ID: "alice", Email: "alice@example.com", CreatedAt: time.Now()}))
		for _, key := range []string{"u:alice", "ue:alice@example.com"} {
			ttl, err := c.PTTL(t.Context(), s.Prefix()+key).Result()
			require.NoError(t, err)
			assert.Equal(t, time.Duration(-1), ttl, "%s: -1 is no expiry", key)
		}
	})
}

// TestIndexPruned checks that a user's index loses the sessions whose keys
// Redis has expired when the user signs in again, so that it does not grow
// with every sign-in of a long-lived account.
func TestIndexPruned(t *testing.T) {
	url := testenv.Redis(t)
	c := client(t, url)
	s := open(t, url)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	now := time.Now().UTC()
	index := s.Prefix() + "us:alice"

	// Sessions that died an hour ago: Redis drops their keys at once.
	for range 3 {
		require.NoError(t, s.CreateSession(t.Context(), session("alice", now.Add(-2*time.Hour))))
	}
	live := session("alice", now)
	require.NoError(t, s.CreateSession(t.Context(), live))

	members, err := c.ZRange(t.Context(), index, 0, -1).Result()
	require.NoError(t, err)
	assert.Equal(t, []string{hex.EncodeToString(live.IDHash)}, members, "members of the index")
	n, err := s.DeleteUserSessions(t.Context(), "alice")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

// TestSharedPrefix checks that stores on one prefix are one store, as for
// several instances, and that stores on different prefixes share nothing.
func TestSharedPrefix(t *testing.T) {
	url := testenv.Redis(t)
	prefix := testenv.RedisPrefix(t, url)
	a, err := redis.Open(t.Context(), url, redis.WithPrefix(prefix))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, a.Close()) })
	b, err := redis.Open(t.Context(), url, redis.WithPrefix(prefix))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, b.Close()) })
	other := open(t, url)
	t.Cleanup(func() { assert.NoError(t, other.Close()) })

	t0 := time.Now().UTC().Truncate(time.Millisecond)
	sess := session("alice", t0)
	require.NoError(t, a.CreateSession(t.Context(), sess))
	got, found, err := b.Session(t.Context(), sess.IDHash, t0)
	require.NoError(t, err)
	require.True(t, found, "a session made on a is not seen on b")
	assert.Equal(t, sess.UserID, got.UserID)
	_, found, err = other.Session(t.Context(), sess.IDHash, t0)
	require.NoError(t, err)
	assert.False(t, found, "a session seen through another prefix")

	n, err := b.DeleteUserSessions(t.Context(), "alice")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, found, err = a.Session(t.Context(), sess.IDHash, t0)
	require.NoError(t, err)
	assert.False(t, found, "revoked on b, still found on a")
}

// hash returns a random hash.
func hash() []byte {
	h := make([]byte, store.HashLen)
	rand.Read(h)
	return h
}

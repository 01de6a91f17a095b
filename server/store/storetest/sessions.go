package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// runSessions covers store.Sessions one method, or one rule, per subtest.
func runSessions(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CreateAndRead", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		want := newSession("alice", t0)
		create(t, s, want)

		assertSession(t, want, mustFind(t, s, want.IDHash, t0))
	})

	t.Run("AssuranceLevelAndAuthenticatedAt", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		password, second := newSession("alice", t0), newSession("alice", t0)
		password.AAL, password.AuthenticatedAt = store.AAL1, t0
		second.AAL, second.AuthenticatedAt = store.AAL2, t0.Add(90*time.Minute+7*time.Millisecond)
		create(t, s, password, second)

		for _, want := range []store.Session{password, second} {
			assertSession(t, want, mustFind(t, s, want.IDHash, t0))
		}
		// Touching moves the idle expiry only.
		touched, err := s.TouchSession(t.Context(), second.IDHash, t0.Add(idle+time.Minute))
		require.NoError(t, err)
		require.True(t, touched)
		got := mustFind(t, s, second.IDHash, t0)
		assert.Equal(t, store.AAL2, got.AAL, "AAL after a touch")
		assertTime(t, second.AuthenticatedAt, got.AuthenticatedAt, "AuthenticatedAt after a touch")
		list, err := s.UserSessions(t.Context(), "alice", t0)
		require.NoError(t, err)
		require.Len(t, list, 2)
		for _, sess := range list {
			if string(sess.IDHash) == string(second.IDHash) {
				assert.Equal(t, store.AAL2, sess.AAL, "AAL in the list")
				assertTime(t, second.AuthenticatedAt, sess.AuthenticatedAt, "AuthenticatedAt in the list")
			} else {
				assert.Equal(t, store.AAL1, sess.AAL, "AAL in the list")
				assertTime(t, t0, sess.AuthenticatedAt, "AuthenticatedAt in the list")
			}
		}
	})

	t.Run("MissingIsNotFound", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		create(t, s, newSession("alice", t0))

		assertGone(t, s, newHash(), t0)
	})

	t.Run("Expiry", func(t *testing.T) { testExpiry(t, open) })
	t.Run("Touch", func(t *testing.T) { testTouch(t, open) })

	t.Run("Delete", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		gone, kept := newSession("alice", t0), newSession("alice", t0)
		create(t, s, gone, kept)

		require.NoError(t, s.DeleteSession(t.Context(), gone.IDHash))
		assertGone(t, s, gone.IDHash, t0)
		mustFind(t, s, kept.IDHash, t0)

		assert.NoError(t, s.DeleteSession(t.Context(), gone.IDHash), "delete again")
		assert.NoError(t, s.DeleteSession(t.Context(), newHash()), "delete never created")
		mustFind(t, s, kept.IDHash, t0)
	})

	t.Run("DeleteUserSessions", func(t *testing.T) { testDeleteUserSessions(t, open) })
	t.Run("DeleteExpiredSessions", func(t *testing.T) { testDeleteExpired(t, open) })

	t.Run("DuplicateHash", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		first := newSession("alice", t0)
		create(t, s, first)

		second := newSession("mallory", t0)
		second.IDHash = first.IDHash
		assert.ErrorIs(t, s.CreateSession(t.Context(), second), store.ErrDuplicate)
		assertSession(t, first, mustFind(t, s, first.IDHash, t0))
	})

	t.Run("CopiesIn", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		sess := newSession("alice", t0)
		want := sess
		want.IDHash = append([]byte(nil), sess.IDHash...)
		create(t, s, sess)

		sess.IDHash[0] ^= 0xff // the caller reuses its buffer
		assertSession(t, want, mustFind(t, s, want.IDHash, t0))
		assertGone(t, s, sess.IDHash, t0)
	})

	t.Run("CopiesOut", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		want := newSession("alice", t0)
		create(t, s, want)

		got := mustFind(t, s, want.IDHash, t0)
		got.IDHash[0] ^= 0xff
		assert.Equal(t, want.IDHash, mustFind(t, s, want.IDHash, t0).IDHash)
	})

	t.Run("TimesRoundTripInUTC", func(t *testing.T) {
		s := openStore(t, open)
		// A zone east of UTC and a time between milliseconds: the store
		// keeps at least the millisecond and hands back UTC.
		east := time.FixedZone("UTC+5", 5*60*60)
		t0 := epoch()
		signIn := t0.Add(123_456_789 * time.Nanosecond).In(east)
		want := newSession("alice", signIn)
		create(t, s, want)

		assertSession(t, want, mustFind(t, s, want.IDHash, t0))
	})
}

// testExpiry checks that Session judges idle and absolute expiry against the
// now it is given: a session is live strictly before both.
func testExpiry(t *testing.T, open func(t *testing.T) store.Store) {
	s := openStore(t, open)
	t0 := epoch()
	const ms = time.Millisecond
	tests := []struct {
		name              string
		expires, absolute time.Duration // after sign-in
		now               time.Duration // after sign-in
		live              bool
	}{
		{"at sign-in", idle, absolute, 0, true},
		{"one ms before idle expiry", idle, absolute, idle - ms, true},
		{"at idle expiry", idle, absolute, idle, false},
		{"after idle expiry", idle, absolute, idle + time.Hour, false},
		{"one ms before absolute expiry", absolute, absolute, absolute - ms, true},
		{"at absolute expiry", absolute, absolute, absolute, false},
		// Callers keep Expires at or before AbsExpires; a store must not
		// rely on that.
		{"absolute expiry wins over a later idle expiry", 2 * absolute, absolute, absolute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess := newSession("alice", t0)
			sess.Expires = t0.Add(tt.expires)
			sess.AbsExpires = t0.Add(tt.absolute)
			create(t, s, sess)

			got, found, err := s.Session(t.Context(), sess.IDHash, t0.Add(tt.now))
			require.NoError(t, err)
			assert.Equal(t, tt.live, found, "found")
			if tt.live {
				assertSession(t, sess, got)
			} else {
				assert.Zero(t, got, "record returned with found=false")
			}
		})
	}
}

// testTouch checks that TouchSession sets the idle expiry, changes nothing
// else, and reports a missing session as not found without creating it.
func testTouch(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name    string
		expires time.Duration // new idle expiry, after sign-in
		now     time.Duration // when it is read, after sign-in
		live    bool
	}{
		{"extends past the old idle expiry", idle + time.Hour, idle + time.Minute, true},
		{"live until the new expiry", idle + time.Hour, idle + time.Hour - time.Millisecond, true},
		{"dead at the new expiry", idle + time.Hour, idle + time.Hour, false},
		{"shortens", time.Minute, 2 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, open)
			t0 := epoch()
			sess, other := newSession("alice", t0), newSession("alice", t0)
			create(t, s, sess, other)

			// In a zone other than UTC: the store hands back UTC.
			east := time.FixedZone("UTC+5", 5*60*60)
			touch(t, s, sess.IDHash, t0.Add(tt.expires).In(east))

			got, found, err := s.Session(t.Context(), sess.IDHash, t0.Add(tt.now))
			require.NoError(t, err)
			require.Equal(t, tt.live, found, "found")
			want := sess
			want.Expires = t0.Add(tt.expires)
			// The same record read at sign-in shows every field.
			assertSession(t, want, mustFind(t, s, sess.IDHash, t0))
			if tt.live {
				assertSession(t, want, got)
			}
			assertSession(t, other, mustFind(t, s, other.IDHash, t0))
		})
	}

	t.Run("missing session is not found and not created", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		missing := newHash()

		found, err := s.TouchSession(t.Context(), missing, t0.Add(time.Hour))
		assert.NoError(t, err)
		assert.False(t, found, "TouchSession found a session never created")
		assertGone(t, s, missing, t0)
		// Not even a record without the other fields: at the end of time
		// every stored session is expired and counted.
		n, err := s.DeleteExpiredSessions(t.Context(), t0.Add(100*absolute))
		require.NoError(t, err)
		assert.Zero(t, n, "TouchSession stored a session")
	})

	t.Run("touch of a deleted record reports not found and does not create it", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		sess := newSession("alice", t0)
		create(t, s, sess)
		require.NoError(t, s.DeleteSession(t.Context(), sess.IDHash))

		found, err := s.TouchSession(t.Context(), sess.IDHash, t0.Add(time.Hour))
		assert.NoError(t, err)
		assert.False(t, found, "TouchSession found a deleted session")
		assertGone(t, s, sess.IDHash, t0)
		n, err := s.DeleteExpiredSessions(t.Context(), t0.Add(100*absolute))
		require.NoError(t, err)
		assert.Zero(t, n, "TouchSession stored the deleted session again")
	})
}

// testDeleteUserSessions checks that DeleteUserSessions counts and removes
// one user's sessions and leaves everyone else's.
func testDeleteUserSessions(t *testing.T, open func(t *testing.T) store.Store) {
	s := openStore(t, open)
	t0 := epoch()
	alice := []store.Session{newSession("alice", t0), newSession("alice", t0), newSession("alice", t0)}
	bob := []store.Session{newSession("bob", t0), newSession("bob", t0)}
	// A user id that has alice's as a prefix must not match.
	alicia := newSession("alice2", t0)
	create(t, s, alice...)
	create(t, s, bob...)
	create(t, s, alicia)

	n, err := s.DeleteUserSessions(t.Context(), "alice")
	require.NoError(t, err)
	assert.Equal(t, len(alice), n, "count")
	for _, sess := range alice {
		assertGone(t, s, sess.IDHash, t0)
	}
	for _, sess := range append(bob, alicia) {
		mustFind(t, s, sess.IDHash, t0)
	}

	n, err = s.DeleteUserSessions(t.Context(), "alice")
	assert.NoError(t, err, "again")
	assert.Zero(t, n, "count again")

	n, err = s.DeleteUserSessions(t.Context(), "nobody")
	assert.NoError(t, err, "unknown user")
	assert.Zero(t, n, "count for an unknown user")
}

// testDeleteExpired checks that DeleteExpiredSessions removes exactly the
// sessions that are not live at now, and counts them.
func testDeleteExpired(t *testing.T, open func(t *testing.T) store.Store) {
	s := openStore(t, open)
	t0 := epoch()
	now := t0.Add(2 * time.Hour)
	at := func(expires, absExpires time.Time) store.Session {
		sess := newSession("alice", t0)
		sess.Expires, sess.AbsExpires = expires, absExpires
		return sess
	}
	live := []store.Session{
		at(now.Add(time.Millisecond), t0.Add(absolute)),
		at(now.Add(idle), now.Add(time.Millisecond)),
		newSession("bob", now),
	}
	dead := []store.Session{
		at(t0.Add(idle), t0.Add(absolute)),           // idle expiry passed
		at(now, t0.Add(absolute)),                    // idle expiry is now
		at(now.Add(idle), now),                       // absolute expiry is now
		at(t0.Add(3*absolute), t0.Add(time.Hour)),    // absolute passed, idle not
		at(t0.Add(time.Minute), t0.Add(time.Minute)), // both long passed
	}
	create(t, s, live...)
	create(t, s, dead...)

	n, err := s.DeleteExpiredSessions(t.Context(), now)
	require.NoError(t, err)
	assert.Equal(t, len(dead), n, "count")
	// Read at sign-in, when every one of them was live: the dead ones are
	// gone from the store, not merely expired.
	for _, sess := range dead {
		assertGone(t, s, sess.IDHash, t0)
	}
	for _, sess := range live {
		assertSession(t, sess, mustFind(t, s, sess.IDHash, now))
	}

	n, err = s.DeleteExpiredSessions(t.Context(), now)
	assert.NoError(t, err, "again")
	assert.Zero(t, n, "count again")
}

package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// runSessionCounter covers store.LiveSessionCounter: CountSessions counts every
// user's sessions live at the now it is given, by the rule of Session (live
// strictly before both expiries), and follows creates, touches and deletes.
func runSessionCounter(t *testing.T, open func(t *testing.T) store.Store) {
	// One failure, not one per subtest, for a store without the ability.
	openAs[store.LiveSessionCounter](t, open)

	t.Run("NoneIsZero", func(t *testing.T) {
		s := openStore(t, open)
		c := as[store.LiveSessionCounter](t, s)
		require.NoError(t, s.CreateUser(t.Context(), newUser("alice", epoch()))) // an account is not a session

		assert.Zero(t, countSessions(t, c, epoch()))
	})

	t.Run("LiveAtNow", func(t *testing.T) { testCountLiveAtNow(t, open) })

	t.Run("FollowsChanges", func(t *testing.T) {
		s := openStore(t, open)
		c := as[store.LiveSessionCounter](t, s)
		t0 := epoch()
		alice := []store.Session{newSession("alice", t0), newSession("alice", t0), newSession("alice", t0)}
		bob := []store.Session{newSession("bob", t0), newSession("bob", t0)}
		carol := newSession("carol", t0)
		create(t, s, alice...)
		create(t, s, bob...)
		create(t, s, carol)

		steps := []struct {
			name string
			do   func() error
			now  time.Time
			want int64
		}{
			{"created", func() error { return nil }, t0, 6},
			{"one deleted", func() error { return s.DeleteSession(t.Context(), alice[0].IDHash) }, t0, 5},
			{"one deleted again", func() error { return s.DeleteSession(t.Context(), alice[0].IDHash) }, t0, 5},
			{"a user's deleted", func() error { _, err := s.DeleteUserSessions(t.Context(), "bob"); return err }, t0, 3},
			{"one shortened", func() error { _, err := s.TouchSession(t.Context(), alice[1].IDHash, t0.Add(time.Minute)); return err }, t0.Add(time.Minute), 2},
			{"one extended, at the old idle expiry", func() error {
				_, err := s.TouchSession(t.Context(), carol.IDHash, t0.Add(2*idle))
				return err
			}, t0.Add(idle), 1},
			{"expired ones swept", func() error { _, err := s.DeleteExpiredSessions(t.Context(), t0.Add(idle)); return err }, t0.Add(idle), 1},
			{"after the sweep, at sign-in", func() error { return nil }, t0, 1},
			{"one created", func() error { return s.CreateSession(t.Context(), newSession("dave", t0)) }, t0, 2},
			{"a duplicate refused", func() error {
				dup := newSession("mallory", t0)
				dup.IDHash = carol.IDHash
				if err := s.CreateSession(t.Context(), dup); !assert.ErrorIs(t, err, store.ErrDuplicate) {
					return err
				}
				return nil
			}, t0, 2},
		}
		for _, step := range steps {
			require.NoError(t, step.do(), step.name)
			assert.Equal(t, step.want, countSessions(t, c, step.now), step.name)
		}
	})
}

// testCountLiveAtNow checks, by moving now over one set of sessions of
// several users, that CountSessions counts exactly those live at now.
func testCountLiveAtNow(t *testing.T, open func(t *testing.T) store.Store) {
	s := openStore(t, open)
	c := as[store.LiveSessionCounter](t, s)
	t0 := epoch()
	const ms = time.Millisecond
	at := func(userID string, expires, absExpires time.Duration) store.Session {
		sess := newSession(userID, t0)
		sess.Expires, sess.AbsExpires = t0.Add(expires), t0.Add(absExpires)
		return sess
	}
	create(t, s,
		at("alice", 10*time.Minute, absolute),
		at("alice", idle, absolute),
		at("bob", idle, absolute),
		at("bob", time.Hour, absolute),
		at("carol", 2*time.Hour, time.Hour), // the absolute expiry comes first
		at("carol", absolute, absolute),
	)
	tests := []struct {
		name string
		now  time.Duration // after t0
		want int64
	}{
		{"at sign-in", 0, 6},
		{"one ms before the first expiry", 10*time.Minute - ms, 6},
		{"at the first expiry", 10 * time.Minute, 5},
		{"one ms before two idle expiries", idle - ms, 5},
		{"at two idle expiries", idle, 3},
		{"at an idle and an absolute expiry", time.Hour, 1},
		{"one ms before the last", absolute - ms, 1},
		{"at the last", absolute, 0},
		{"long after", 10 * absolute, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, countSessions(t, c, t0.Add(tt.now)))
		})
	}
	// Counting deletes nothing: at sign-in, all are there still.
	assert.Equal(t, int64(6), countSessions(t, c, t0), "at sign-in, after the others")
}

// countSessions calls CountSessions and fails the test on an error.
func countSessions(t *testing.T, c store.LiveSessionCounter, now time.Time) int64 {
	t.Helper()
	n, err := c.CountSessions(t.Context(), now)
	require.NoError(t, err, "CountSessions")
	return n
}

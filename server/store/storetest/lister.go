package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// runSessionLister covers store.SessionLister one rule per subtest. The rule
// it pins where the interface's doc leaves room: sessions made at the same
// time come in order of their id hash, byte by byte (unsigned), so that a
// list shown twice does not reorder. The suite makes such ties to the
// millisecond, which every backend keeps.
func runSessionLister(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("NewestFirst", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		at := func(created time.Duration, firstByte byte) store.Session {
			sess := newSession("alice", t0.Add(created))
			sess.IDHash[0] = firstByte
			return sess
		}
		// Three made in the same millisecond, whose hashes begin with
		// 0x00, 0x7f and 0x80: made in neither that order nor its reverse,
		// and 0x80 is last only when bytes compare unsigned.
		tie80, tie00, tie7f := at(-time.Minute, 0x80), at(-time.Minute, 0x00), at(-time.Minute, 0x7f)
		newest := at(0, 0xff)
		msOlder := at(-time.Millisecond, 0x01)
		oldest := at(-20*time.Minute, 0x00)
		// Made in a zone east of UTC: its clock reads later than the
		// others', the instant is the earliest but one.
		east := at(-10*time.Minute, 0x02)
		east.CreatedAt = east.CreatedAt.In(time.FixedZone("UTC+5", 5*60*60))
		create(t, s, tie80, oldest, newest, tie00, east, msOlder, tie7f)

		got, err := s.UserSessions(t.Context(), "alice", t0)
		require.NoError(t, err)
		assertSessions(t, []store.Session{newest, msOlder, tie00, tie7f, tie80, east, oldest}, got)
	})

	t.Run("OnlyThatUser", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		alice := []store.Session{newSession("alice", t0), newSession("alice", t0.Add(-time.Second))}
		create(t, s, alice[1])
		// Users whose ids are alice's with a prefix, a suffix, another
		// case, or a prefix of it, made between alice's sessions.
		for _, id := range []string{"bob", "alice2", "Alice", "alic", "xalice", "alice "} {
			create(t, s, newSession(id, t0))
		}
		create(t, s, alice[0])

		got, err := s.UserSessions(t.Context(), "alice", t0)
		require.NoError(t, err)
		assertSessions(t, alice, got)
		got, err = s.UserSessions(t.Context(), "alic", t0)
		require.NoError(t, err)
		require.Len(t, got, 1, "alic")
		assert.Equal(t, "alic", got[0].UserID)
	})

	t.Run("OnlyLive", func(t *testing.T) { testListerOnlyLive(t, open) })

	t.Run("NoneIsEmpty", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		dead := newSession("dead", t0)
		dead.Expires = t0.Add(time.Minute)
		gone := newSession("gone", t0)
		create(t, s, newSession("alice", t0), dead, gone)
		_, err := s.DeleteUserSessions(t.Context(), gone.UserID)
		require.NoError(t, err)

		tests := []struct {
			name, userID string
		}{
			{"unknown user", "nobody"},
			{"every session expired", dead.UserID},
			{"every session deleted", gone.UserID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.UserSessions(t.Context(), tt.userID, t0.Add(time.Minute))
				assert.NoError(t, err)
				assert.NotNil(t, got, "nil, not an empty list")
				assert.Empty(t, got)
			})
		}
	})

	t.Run("FollowsChanges", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		kept, extended, shortened, deleted := newSession("alice", t0), newSession("alice", t0.Add(-time.Second)),
			newSession("alice", t0.Add(-2*time.Second)), newSession("alice", t0.Add(-3*time.Second))
		create(t, s, kept, extended, shortened, deleted)

		extended.Expires = t0.Add(3 * idle)
		touch(t, s, extended.IDHash, extended.Expires)
		shortened.Expires = t0.Add(time.Minute)
		touch(t, s, shortened.IDHash, shortened.Expires)
		require.NoError(t, s.DeleteSession(t.Context(), deleted.IDHash))

		got, err := s.UserSessions(t.Context(), "alice", t0)
		require.NoError(t, err)
		assertSessions(t, []store.Session{kept, extended, shortened}, got)
		got, err = s.UserSessions(t.Context(), "alice", t0.Add(idle))
		require.NoError(t, err)
		assertSessions(t, []store.Session{extended}, got)
	})

	t.Run("CopiesOut", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		want := newSession("alice", t0)
		create(t, s, want)

		got, err := s.UserSessions(t.Context(), "alice", t0)
		require.NoError(t, err)
		require.Len(t, got, 1)
		got[0].IDHash[0] ^= 0xff
		again, err := s.UserSessions(t.Context(), "alice", t0)
		require.NoError(t, err)
		assertSessions(t, []store.Session{want}, again)
		assertSession(t, want, mustFind(t, s, want.IDHash, t0))
	})
}

// testListerOnlyLive checks that UserSessions judges expiry against the now
// it is given, like Session: a session is listed strictly before both of its
// expiries.
func testListerOnlyLive(t *testing.T, open func(t *testing.T) store.Store) {
	s := openStore(t, open)
	t0 := epoch()
	now := t0.Add(2 * time.Hour)
	// at returns a session of alice made at t0 plus a second more on each
	// call, so that the order of the list is known: the live ones first.
	made := 0
	at := func(expires, absExpires time.Time) store.Session {
		made++
		sess := newSession("alice", t0.Add(time.Duration(made)*time.Second))
		sess.Expires, sess.AbsExpires = expires, absExpires
		return sess
	}
	live := []store.Session{
		at(now.Add(time.Millisecond), t0.Add(absolute)), // idle expiry a ms after now
		at(now.Add(idle), now.Add(time.Millisecond)),    // absolute expiry a ms after now
	}
	dead := []store.Session{
		at(now, t0.Add(absolute)),                    // idle expiry is now
		at(now.Add(idle), now),                       // absolute expiry is now
		at(t0.Add(idle), t0.Add(absolute)),           // idle expiry passed
		at(t0.Add(3*absolute), t0.Add(time.Hour)),    // absolute passed, idle not
		at(t0.Add(time.Minute), t0.Add(time.Minute)), // both long passed
	}
	create(t, s, dead...)
	create(t, s, live...)
	newestFirst := func(sessions []store.Session) []store.Session {
		out := make([]store.Session, len(sessions))
		for i, sess := range sessions {
			out[len(out)-1-i] = sess
		}
		return out
	}

	got, err := s.UserSessions(t.Context(), "alice", now)
	require.NoError(t, err)
	assertSessions(t, newestFirst(live), got)
	// At sign-in every one of them was live: the store judges by the now
	// it is given, not by its own clock.
	got, err = s.UserSessions(t.Context(), "alice", t0)
	require.NoError(t, err)
	assertSessions(t, newestFirst(append(live, dead...)), got)
}

// assertSessions checks that got holds the sessions of want, in that order,
// each as assertSession checks it.
func assertSessions(t *testing.T, want, got []store.Session) {
	t.Helper()
	if !assert.Len(t, got, len(want), "sessions") {
		for i, sess := range got {
			t.Logf("got[%d]: user %q, hash %x…, created %v", i, sess.UserID, sess.IDHash[:4], sess.CreatedAt)
		}
		return
	}
	for i := range want {
		assert.Equal(t, want[i].IDHash, got[i].IDHash, "session %d: IDHash (the order)", i)
		assertSession(t, want[i], got[i])
	}
}

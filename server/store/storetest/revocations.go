package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// runRevocations covers store.Revocations one rule per subtest.
func runRevocations(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("DeniedUntilUntil", func(t *testing.T) { testDeniedUntil(t, open) })
	t.Run("DenyKeepsTheLaterTime", func(t *testing.T) { testDenyKeepsLater(t, open) })
	t.Run("AnyOfSeveralIDs", func(t *testing.T) { testRevokedIDs(t, open) })
	t.Run("IssuedBeforeValidAfter", func(t *testing.T) { testRevokedValidAfter(t, open) })
	t.Run("ValidAfterOnlyMovesForward", func(t *testing.T) { testValidAfterForward(t, open) })

	t.Run("UserValidAfterOfUnknownUserIsZero", func(t *testing.T) {
		r := openStore(t, open)
		require.NoError(t, r.SetUserValidAfter(t.Context(), "bob", epoch().Add(time.Hour)))

		for _, user := range []string{"alice", "bo", "bob2", ""} {
			got, err := r.UserValidAfter(t.Context(), user)
			assert.NoError(t, err, "user %q", user)
			assert.True(t, got.IsZero(), "user %q: valid after %v", user, got)
		}
	})

	t.Run("UserValidAfterInUTC", func(t *testing.T) {
		r := openStore(t, open)
		// A zone east of UTC and a time between milliseconds: the store
		// keeps at least the millisecond and hands back UTC.
		east := time.FixedZone("UTC+5", 5*60*60)
		want := epoch().Add(time.Hour + 123_456_789*time.Nanosecond)
		require.NoError(t, r.SetUserValidAfter(t.Context(), "alice", want.In(east)))

		got, err := r.UserValidAfter(t.Context(), "alice")
		require.NoError(t, err)
		assertTime(t, want, got, "UserValidAfter")
	})

	t.Run("DeleteExpiredDenials", func(t *testing.T) { testDeleteExpiredDenials(t, open) })

	t.Run("Invalid", func(t *testing.T) {
		r := openStore(t, open)
		t0 := epoch()
		assert.ErrorIs(t, r.Deny(t.Context(), "", t0.Add(time.Hour)), store.ErrInvalid, "Deny with empty id")
		assert.ErrorIs(t, r.SetUserValidAfter(t.Context(), "", t0.Add(time.Hour)), store.ErrInvalid, "SetUserValidAfter with empty user id")

		// Nothing was stored: no denial to sweep, and a token of any user
		// issued long ago is not revoked.
		n, err := r.DeleteExpiredDenials(t.Context(), t0.Add(100*absolute))
		require.NoError(t, err)
		assert.Zero(t, n, "denials stored")
		revoked, err := r.Revoked(t.Context(), "", t0.Add(-time.Hour), t0, "")
		require.NoError(t, err)
		assert.False(t, revoked, "Revoked")
	})
}

// revoked calls Revoked and fails the test on an error.
func revoked(t *testing.T, r store.Revocations, userID string, issuedAt, now time.Time, ids ...string) bool {
	t.Helper()
	got, err := r.Revoked(t.Context(), userID, issuedAt, now, ids...)
	require.NoError(t, err, "Revoked")
	return got
}

// deny calls Deny and fails the test on an error.
func deny(t *testing.T, r store.Revocations, id string, until time.Time) {
	t.Helper()
	require.NoError(t, r.Deny(t.Context(), id, until), "Deny %q", id)
}

// testDeniedUntil checks that a denied id is revoked strictly before its
// until, and only the id that was denied.
func testDeniedUntil(t *testing.T, open func(t *testing.T) store.Store) {
	r := openStore(t, open)
	t0 := epoch()
	until := t0.Add(time.Hour)
	// In a zone other than UTC: the instant counts, not the zone.
	deny(t, r, "jti-1", until.In(time.FixedZone("UTC-7", -7*60*60)))

	const ms = time.Millisecond
	tests := []struct {
		name    string
		id      string
		now     time.Time
		revoked bool
	}{
		{"when denied", "jti-1", t0, true},
		{"one ms before until", "jti-1", until.Add(-ms), true},
		{"at until", "jti-1", until, false},
		{"one ms after until", "jti-1", until.Add(ms), false},
		{"long after until", "jti-1", until.Add(absolute), false},
		{"another id", "jti-2", t0, false},
		{"a prefix of the id", "jti-", t0, false},
		{"the id with a suffix", "jti-10", t0, false},
		{"the id in another case", "JTI-1", t0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.revoked, revoked(t, r, "alice", t0, tt.now, tt.id))
		})
	}
}

// testDenyKeepsLater checks that denying an id twice keeps the later time,
// in one entry.
func testDenyKeepsLater(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name          string
		first, second time.Duration // until, after t0
	}{
		{"later second", time.Hour, 2 * time.Hour},
		{"earlier second", 2 * time.Hour, time.Hour},
		{"same time twice", time.Hour, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := openStore(t, open)
			t0 := epoch()
			deny(t, r, "jti-1", t0.Add(tt.first))
			deny(t, r, "jti-1", t0.Add(tt.second))
			until := t0.Add(max(tt.first, tt.second))

			assert.True(t, revoked(t, r, "alice", t0, until.Add(-time.Millisecond), "jti-1"), "one ms before the later time")
			assert.False(t, revoked(t, r, "alice", t0, until, "jti-1"), "at the later time")

			// One entry, which dies at the later time: a sweep just before
			// it finds nothing (an entry kept for the earlier time would
			// be dead by then), one at the later time finds one.
			n, err := r.DeleteExpiredDenials(t.Context(), until.Add(-time.Millisecond))
			require.NoError(t, err)
			assert.Zero(t, n, "entries expired before the later time")
			n, err = r.DeleteExpiredDenials(t.Context(), until)
			require.NoError(t, err)
			assert.Equal(t, 1, n, "entries expired at the later time")
		})
	}
}

// testRevokedIDs checks that Revoked reports a denial of any of the ids it is
// given, however many.
func testRevokedIDs(t *testing.T, open func(t *testing.T) store.Store) {
	r := openStore(t, open)
	t0 := epoch()
	now := t0.Add(30 * time.Minute)
	deny(t, r, "jti-a", t0.Add(time.Hour))
	deny(t, r, "sid:s1", t0.Add(time.Hour))
	deny(t, r, "jti-old", t0.Add(time.Minute)) // passed at now
	// The user's valid-after time is before issuedAt: only ids revoke.
	require.NoError(t, r.SetUserValidAfter(t.Context(), "alice", t0.Add(-time.Hour)))

	tests := []struct {
		name    string
		ids     []string
		revoked bool
	}{
		{"no ids", nil, false},
		{"one unknown", []string{"jti-x"}, false},
		{"one denied", []string{"jti-a"}, true},
		{"first of two denied", []string{"jti-a", "sid:x"}, true},
		{"second of two denied", []string{"jti-x", "sid:s1"}, true},
		{"both denied", []string{"jti-a", "sid:s1"}, true},
		{"two unknown", []string{"jti-x", "sid:x"}, false},
		{"the same unknown id twice", []string{"jti-x", "jti-x"}, false},
		{"denial passed beside an unknown id", []string{"jti-old", "sid:x"}, false},
		{"denial passed beside a denied id", []string{"jti-old", "sid:s1"}, true},
		{"last of many denied", []string{"a", "b", "c", "d", "e", "f", "g", "jti-a"}, true},
		{"many, none denied", []string{"a", "b", "c", "d", "e", "f", "g", "h"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.revoked, revoked(t, r, "alice", t0, now, tt.ids...))
		})
	}
}

// testRevokedValidAfter checks that Revoked reports a token issued strictly
// before its user's valid-after time, whatever the ids.
func testRevokedValidAfter(t *testing.T, open func(t *testing.T) store.Store) {
	r := openStore(t, open)
	t0 := epoch()
	validAfter := t0.Add(time.Hour)
	now := validAfter.Add(time.Minute)
	require.NoError(t, r.SetUserValidAfter(t.Context(), "alice", validAfter))

	const ms = time.Millisecond
	tests := []struct {
		name     string
		user     string
		issuedAt time.Time
		ids      []string
		revoked  bool
	}{
		{"issued long before", "alice", t0, nil, true},
		{"issued one ms before", "alice", validAfter.Add(-ms), nil, true},
		{"issued at the time", "alice", validAfter, nil, false},
		{"issued one ms after", "alice", validAfter.Add(ms), nil, false},
		{"issued before, with ids not denied", "alice", validAfter.Add(-ms), []string{"jti-x", "sid:x"}, true},
		{"issued after, with ids not denied", "alice", validAfter.Add(ms), []string{"jti-x", "sid:x"}, false},
		{"another user", "bob", t0, nil, false},
		{"a user whose id has alice's as prefix", "alice2", t0, nil, false},
		{"a prefix of alice's id", "ali", t0, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.revoked, revoked(t, r, tt.user, tt.issuedAt, now, tt.ids...))
		})
	}
}

// testValidAfterForward checks that SetUserValidAfter ignores a time before
// the one set, and sets each user's time alone.
func testValidAfterForward(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		sets []time.Duration // after t0, in call order
		want time.Duration
	}{
		{"first time", []time.Duration{time.Hour}, time.Hour},
		{"later moves it", []time.Duration{time.Hour, 2 * time.Hour}, 2 * time.Hour},
		{"earlier is ignored", []time.Duration{2 * time.Hour, time.Hour}, 2 * time.Hour},
		{"same twice", []time.Duration{time.Hour, time.Hour}, time.Hour},
		{"up, down, up", []time.Duration{time.Hour, time.Minute, 3 * time.Hour, 2 * time.Hour}, 3 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := openStore(t, open)
			t0 := epoch()
			require.NoError(t, r.SetUserValidAfter(t.Context(), "bob", t0.Add(10*time.Hour)))
			for _, d := range tt.sets {
				require.NoError(t, r.SetUserValidAfter(t.Context(), "alice", t0.Add(d)))
			}
			want := t0.Add(tt.want)

			got, err := r.UserValidAfter(t.Context(), "alice")
			require.NoError(t, err)
			assertTime(t, want, got, "UserValidAfter")
			now := t0.Add(absolute)
			assert.True(t, revoked(t, r, "alice", want.Add(-time.Millisecond), now), "issued one ms before")
			assert.False(t, revoked(t, r, "alice", want, now), "issued at the time")

			got, err = r.UserValidAfter(t.Context(), "bob")
			require.NoError(t, err)
			assertTime(t, t0.Add(10*time.Hour), got, "another user's UserValidAfter")
		})
	}
}

// testDeleteExpiredDenials checks that DeleteExpiredDenials removes exactly
// the entries whose time has passed, counts them, and leaves valid-after
// times alone.
func testDeleteExpiredDenials(t *testing.T, open func(t *testing.T) store.Store) {
	r := openStore(t, open)
	t0 := epoch()
	now := t0.Add(2 * time.Hour)
	live := map[string]time.Time{
		"live-1ms": now.Add(time.Millisecond),
		"live-1h":  now.Add(time.Hour),
	}
	dead := map[string]time.Time{
		"dead-now": now,
		"dead-1ms": now.Add(-time.Millisecond),
		"dead-1h":  t0.Add(time.Hour),
		"dead-1m":  t0.Add(time.Minute),
	}
	for id, until := range live {
		deny(t, r, id, until)
	}
	for id, until := range dead {
		deny(t, r, id, until)
	}
	validAfter := t0.Add(time.Hour)
	require.NoError(t, r.SetUserValidAfter(t.Context(), "alice", validAfter))

	n, err := r.DeleteExpiredDenials(t.Context(), now)
	require.NoError(t, err)
	assert.Equal(t, len(dead), n, "count")
	// Asked at t0, when every entry was in force: the dead ones are gone
	// from the store, not merely passed.
	for id := range dead {
		assert.False(t, revoked(t, r, "bob", t0, t0, id), "%s kept", id)
	}
	for id := range live {
		assert.True(t, revoked(t, r, "bob", t0, now, id), "%s removed", id)
	}
	got, err := r.UserValidAfter(t.Context(), "alice")
	require.NoError(t, err)
	assertTime(t, validAfter, got, "UserValidAfter after the sweep")

	n, err = r.DeleteExpiredDenials(t.Context(), now)
	assert.NoError(t, err, "again")
	assert.Zero(t, n, "count again")
}

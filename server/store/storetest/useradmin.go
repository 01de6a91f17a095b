package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

// runUserAdmin covers store.UserAdmin one rule per subtest. The rules it pins
// where the interface's doc leaves room:
//   - ListUsers orders accounts made at the same time by id, byte by byte,
//     as Go compares strings (PostgreSQL's "C" collation, SQLite's BINARY,
//     Redis's order of equal scores): "B" before "a", and "ä" after "z",
//     whatever the locale. The suite makes such ties to the millisecond,
//     which every backend keeps.
//   - UpdateUser changes nothing but the fields it is given of that one
//     account: the account is still found by its e-mail, and an empty
//     change is a read of the account.
func runUserAdmin(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("ListOldestFirst", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		user := func(id string, created time.Duration) store.User {
			u := newUser(id, t0.Add(created))
			u.Disabled = len(id)%2 == 0 // some of each
			return u
		}
		// Five made in the same millisecond, whose ids sort differently
		// byte by byte, case-insensitively and in a natural-language
		// collation.
		b, ae, B, a0, z := user("b", 0), user("ä", 0), user("B", 0), user("a", 0), user("z", 0)
		// Made later and earlier, with ids that would sort them the other
		// way: the time comes first.
		later, earlier := user("0", time.Millisecond), user("~", -time.Millisecond)
		// Made in a zone east of UTC: its clock reads later than every
		// other's, the instant is the earliest.
		east := user("east", -time.Hour)
		east.CreatedAt = east.CreatedAt.In(time.FixedZone("UTC+5", 5*60*60))
		for _, u := range []store.User{b, later, ae, east, B, earlier, a0, z} {
			require.NoError(t, s.CreateUser(t.Context(), u))
		}

		got, err := s.ListUsers(t.Context())
		require.NoError(t, err)
		assertUsers(t, []store.User{east, earlier, B, a0, b, z, ae, later}, got)
	})

	t.Run("HasUsers", func(t *testing.T) {
		s := openStore(t, open)
		create(t, s, newSession("alice", epoch())) // a session is not an account
		has, err := s.HasUsers(t.Context())
		require.NoError(t, err)
		assert.False(t, has, "a store without accounts")

		u := newUser("alice", epoch())
		u.Disabled = true // a disabled account is an account
		require.NoError(t, s.CreateUser(t.Context(), u))
		has, err = s.HasUsers(t.Context())
		require.NoError(t, err)
		assert.True(t, has, "after the first account")
	})

	t.Run("ListNoneIsEmpty", func(t *testing.T) {
		s := openStore(t, open)
		create(t, s, newSession("alice", epoch())) // a session is not an account

		got, err := s.ListUsers(t.Context())
		assert.NoError(t, err)
		assert.Empty(t, got)
	})

	t.Run("Update", func(t *testing.T) { testUpdateUser(t, open) })

	t.Run("UpdateUnknownIsNotFound", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		alice := newUser("alice", t0)
		require.NoError(t, s.CreateUser(t.Context(), alice))

		got, found, err := s.UpdateUser(t.Context(), "bob", store.UserChange{Name: ptr("Impostor"), Disabled: ptr(true)})
		assert.NoError(t, err)
		assert.False(t, found, "found")
		assert.Zero(t, got, "the account returned")

		_, found, err = s.UserByID(t.Context(), "bob")
		require.NoError(t, err)
		assert.False(t, found, "UpdateUser created the account")
		assertAccount(t, s, alice)
		list, err := s.ListUsers(t.Context())
		require.NoError(t, err)
		assertUsers(t, []store.User{alice}, list)
	})

	t.Run("LastAdmin", func(t *testing.T) { runLastAdmin(t, open) })

	t.Run("ConcurrentChangesOfOneAccount", func(t *testing.T) { testConcurrentChanges(t, open) })

	t.Run("UpdateEmptyIDIsInvalid", func(t *testing.T) {
		s := openStore(t, open)
		alice := newUser("alice", epoch())
		require.NoError(t, s.CreateUser(t.Context(), alice))

		_, found, err := s.UpdateUser(t.Context(), "", store.UserChange{Name: ptr("Impostor"), Disabled: ptr(true)})
		assert.ErrorIs(t, err, store.ErrInvalid)
		assert.False(t, found, "found")
		assertAccount(t, s, alice)
	})
}

// testUpdateUser checks that UpdateUser sets the fields of a change of one
// account and no other, returns the account as it was before, keeps its
// e-mail and creation time, and leaves every other account alone.
func testUpdateUser(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name     string
		disabled bool // at creation
		change   store.UserChange
	}{
		{"name", false, store.UserChange{Name: ptr("Alice Liddell")}},
		{"role", false, store.UserChange{Role: ptr("user")}},
		{"password hash", false, store.UserChange{PasswordHash: ptr("$argon2id$v=19$m=65536,t=3,p=4$bmV3c2FsdA$bmV3aGFzaA")}},
		{"disable", false, store.UserChange{Disabled: ptr(true)}},
		{"enable", true, store.UserChange{Disabled: ptr(false)}},
		{"disable a disabled account", true, store.UserChange{Disabled: ptr(true)}},
		{"nothing", false, store.UserChange{}},
		{"nothing of a disabled account", true, store.UserChange{}},
		{"to empty strings", false, store.UserChange{Name: ptr(""), Role: ptr(""), PasswordHash: ptr("")}},
		{"to what they are", false, store.UserChange{Name: ptr("Name of alice"), Role: ptr(wire.RoleAdmin), Disabled: ptr(false)}},
		{"all four", false, store.UserChange{Name: ptr("Alice Liddell"), Role: ptr("user"), PasswordHash: ptr("$argon2id$new"), Disabled: ptr(true)}},
		{"all four of a disabled account", true, store.UserChange{Name: ptr("Alice Liddell"), Role: ptr("user"), PasswordHash: ptr("$argon2id$new"), Disabled: ptr(false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, open)
			t0 := epoch()
			// Neighbours made just before and after, in the same
			// millisecond, and with ids that sort either side.
			before, alice, after := newUser("a", t0.Add(-time.Millisecond)), newUser("alice", t0), newUser("alicf", t0)
			alice.Disabled = tt.disabled
			for _, u := range []store.User{before, alice, after} {
				require.NoError(t, s.CreateUser(t.Context(), u))
			}

			got, found, err := s.UpdateUser(t.Context(), alice.ID, tt.change)
			require.NoError(t, err)
			assert.True(t, found, "found")
			assertUser(t, alice, got)

			want := tt.change.Apply(alice)
			assertAccount(t, s, want)
			assertAccount(t, s, before)
			assertAccount(t, s, after)
			list, err := s.ListUsers(t.Context())
			require.NoError(t, err)
			assertUsers(t, []store.User{before, want, after}, list)
		})
	}
}

// assertAccount checks that the account want.ID reads back as want by id and
// by e-mail.
func assertAccount(t *testing.T, s store.Store, want store.User) {
	t.Helper()
	got, found, err := s.UserByID(t.Context(), want.ID)
	require.NoError(t, err, "UserByID %s", want.ID)
	if assert.True(t, found, "UserByID %s: found", want.ID) {
		assertUser(t, want, got)
	}
	got, found, err = s.UserByEmail(t.Context(), want.Email)
	require.NoError(t, err, "UserByEmail %s", want.Email)
	if assert.True(t, found, "UserByEmail %s: found", want.Email) {
		assertUser(t, want, got)
	}
}

// assertUsers checks that got holds the accounts of want, in that order, each
// as assertUser checks it.
func assertUsers(t *testing.T, want, got []store.User) {
	t.Helper()
	wantIDs := make([]string, len(want))
	for i, u := range want {
		wantIDs[i] = u.ID
	}
	gotIDs := make([]string, len(got))
	for i, u := range got {
		gotIDs[i] = u.ID
	}
	if !assert.Equal(t, wantIDs, gotIDs, "ids, in order") {
		return
	}
	for i := range want {
		assertUser(t, want[i], got[i])
	}
}

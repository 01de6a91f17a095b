package storetest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

// runLastAdmin checks that UpdateUser never leaves the store without an
// enabled administrator, one rule per subtest, and that the check and the
// write are one step when two administrators are demoted at once.
func runLastAdmin(t *testing.T, open func(t *testing.T) store.Store) {
	// account is one account of a case: its id, role and whether it is
	// disabled.
	type account struct {
		id, role string
		disabled bool
	}
	admin := func(id string) account { return account{id, wire.RoleAdmin, false} }
	disabledAdmin := func(id string) account { return account{id, wire.RoleAdmin, true} }
	user := func(id string) account { return account{id, "user", false} }

	tests := []struct {
		name     string
		accounts []account
		id       string // the account changed
		change   store.UserChange
		refused  bool // with ErrLastAdmin, changing nothing
	}{
		{"demote the last admin", []account{admin("a"), user("u")}, "a", demote(), true},
		{"disable the last admin", []account{admin("a"), user("u")}, "a", disable(), true},
		{"demote and disable the last admin", []account{admin("a")}, "a", store.UserChange{Role: ptr("user"), Disabled: ptr(true)}, true},
		{"demote the last admin, renaming it", []account{admin("a")}, "a", store.UserChange{Role: ptr("user"), Name: ptr("Renamed")}, true},
		{"disable the last admin, setting its role as it is", []account{admin("a")}, "a", store.UserChange{Role: ptr(wire.RoleAdmin), Disabled: ptr(true)}, true},
		{"demote to another spelling of admin", []account{admin("a")}, "a", store.UserChange{Role: ptr("Admin")}, true},
		{"a disabled admin does not count", []account{admin("a"), disabledAdmin("b")}, "a", demote(), true},
		{"an admin spelt otherwise does not count", []account{admin("a"), {"b", "Admin", false}}, "a", disable(), true},
		{"a user does not count", []account{user("0"), admin("a"), user("z")}, "a", demote(), true},
		{"demote one of two admins", []account{admin("a"), admin("b")}, "a", demote(), false},
		{"disable one of two admins", []account{admin("a"), admin("b")}, "b", disable(), false},
		{"demote one of two admins, the other made later", []account{admin("b"), admin("a")}, "b", demote(), false},
		{"rename the last admin", []account{admin("a")}, "a", store.UserChange{Name: ptr("Renamed")}, false},
		{"change the password of the last admin", []account{admin("a")}, "a", store.UserChange{PasswordHash: ptr("$argon2id$new")}, false},
		{"set the last admin to what it is", []account{admin("a")}, "a", store.UserChange{Role: ptr(wire.RoleAdmin), Disabled: ptr(false)}, false},
		{"keep the last admin as it is", []account{admin("a")}, "a", store.UserChange{}, false},
		{"demote a disabled admin", []account{admin("a"), disabledAdmin("b")}, "b", demote(), false},
		{"enable a disabled admin", []account{disabledAdmin("a")}, "a", store.UserChange{Disabled: ptr(false)}, false},
		{"change a user when there is no admin", []account{user("u"), disabledAdmin("b")}, "u", store.UserChange{Name: ptr("Renamed"), Disabled: ptr(true)}, false},
		{"change a disabled admin when there is no admin", []account{disabledAdmin("b")}, "b", store.UserChange{Role: ptr("user"), Name: ptr("Renamed")}, false},
		{"promote a user beside the last admin", []account{admin("a"), user("u")}, "u", store.UserChange{Role: ptr(wire.RoleAdmin)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, open)
			t0 := epoch()
			var before []store.User
			var target store.User
			for _, acc := range tt.accounts {
				u := newUser(acc.id, t0)
				u.Role, u.Disabled = acc.role, acc.disabled
				require.NoError(t, s.CreateUser(t.Context(), u))
				before = append(before, u)
				if u.ID == tt.id {
					target = u
				}
			}
			require.NotEmpty(t, target.ID, "the case changes an account it makes")

			got, found, err := s.UpdateUser(t.Context(), tt.id, tt.change)

			want := before
			if tt.refused {
				assert.ErrorIs(t, err, store.ErrLastAdmin)
				assert.False(t, found, "found")
				assert.Zero(t, got, "the account returned")
			} else {
				require.NoError(t, err)
				assert.True(t, found, "found")
				assertUser(t, target, got)
				want = make([]store.User, len(before))
				for i, u := range before {
					if u.ID == tt.id {
						u = tt.change.Apply(u)
					}
					want[i] = u
				}
			}
			for _, u := range want {
				assertAccount(t, s, u)
			}
		})
	}

	// Two administrators, each demoted (or disabled) by its own goroutine,
	// both let go at once, round after round: exactly one change wins and
	// one enabled administrator is left every round. A store whose check
	// and write are two steps lets both pass.
	t.Run("ConcurrentDemotions", func(t *testing.T) {
		const rounds = 50
		s := openStore(t, open)
		t0 := epoch()
		admins := []store.User{newUser("a", t0), newUser("b", t0)}
		other := newUser("u", t0)
		other.Role = "user"
		require.NoError(t, s.CreateUser(t.Context(), other))
		for _, u := range admins {
			require.NoError(t, s.CreateUser(t.Context(), u))
		}
		changes := []store.UserChange{demote(), disable()}

		for round := range rounds {
			// Round by round, each pairing of a demotion and a disabling.
			edits := [2]store.UserChange{changes[round%2], changes[round/2%2]}
			var ready, done sync.WaitGroup
			start := make(chan struct{})
			errs := make([]error, len(admins))
			found := make([]bool, len(admins))
			for i, u := range admins {
				ready.Add(1)
				done.Go(func() {
					ready.Done()
					<-start
					_, found[i], errs[i] = s.UpdateUser(t.Context(), u.ID, edits[i])
				})
			}
			ready.Wait()
			close(start)
			done.Wait()

			won := 0
			for i, err := range errs {
				if err == nil {
					won++
					assert.True(t, found[i], "round %d: %s: found", round, admins[i].ID)
				} else {
					assert.ErrorIs(t, err, store.ErrLastAdmin, "round %d: %s", round, admins[i].ID)
				}
			}
			assert.Equal(t, 1, won, "round %d: changes that succeeded (errors %v)", round, errs)
			list, err := s.ListUsers(t.Context())
			require.NoError(t, err)
			assert.Equal(t, 1, enabledAdmins(list), "round %d: enabled administrators left", round)
			if t.Failed() {
				return
			}
			// Both administrators again for the next round.
			for _, u := range admins {
				_, found, err := s.UpdateUser(t.Context(), u.ID, store.UserChange{Role: ptr(wire.RoleAdmin), Disabled: ptr(false)})
				require.NoError(t, err, "round %d: restore %s", round, u.ID)
				require.True(t, found, "round %d: restore %s", round, u.ID)
			}
		}
	})
}

// demote takes the administrator role from an account.
func demote() store.UserChange { return store.UserChange{Role: ptr("user")} }

// disable disables an account.
func disable() store.UserChange { return store.UserChange{Disabled: ptr(true)} }

// enabledAdmins counts the enabled administrators of list.
func enabledAdmins(list []store.User) int {
	n := 0
	for _, u := range list {
		if store.IsEnabledAdmin(u) {
			n++
		}
	}
	return n
}

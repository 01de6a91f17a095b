package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

// field is one field of an account that a change sets: its name and the
// change that sets it to its value for a round.
type field struct {
	name   string
	change func(round int) store.UserChange
}

// accountFields are the fields UpdateUser changes, each with a value per
// round that differs from the round before (so that a lost change shows).
var accountFields = map[string]field{
	"name": {"name", func(round int) store.UserChange { return store.UserChange{Name: ptr(fmt.Sprintf("Name %d", round))} }},
	"role": {"role", func(round int) store.UserChange {
		return store.UserChange{Role: ptr([]string{"user", wire.RoleAdmin}[round%2])}
	}},
	"password": {"password", func(round int) store.UserChange {
		return store.UserChange{PasswordHash: ptr(fmt.Sprintf("$argon2id$round-%d", round))}
	}},
	"disabled": {"disabled", func(round int) store.UserChange { return store.UserChange{Disabled: ptr(round%2 == 0)} }},
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// testConcurrentChanges checks that two changes of different fields of one
// account, made at once, are both kept: an administrator disabling an
// account while its user changes the password must not see the account
// enabled again by the password change, nor a demotion undone by it. Two
// goroutines are let go together, round after round; a store (or an
// interface) that writes back fields a change did not touch loses one.
func testConcurrentChanges(t *testing.T, open func(t *testing.T) store.Store) {
	const rounds = 50
	pairs := [][2]string{
		{"password", "disabled"},
		{"password", "role"},
		{"name", "disabled"},
		{"role", "disabled"},
		{"name", "password"},
	}
	for _, pair := range pairs {
		t.Run(pair[0]+" and "+pair[1], func(t *testing.T) {
			s := openStore(t, open)
			t0 := epoch()
			// Another enabled administrator, so that the last-administrator
			// rule refuses none of the changes.
			keeper, target := newUser("keeper", t0), newUser("target", t0)
			for _, u := range []store.User{keeper, target} {
				require.NoError(t, s.CreateUser(t.Context(), u))
			}
			fields := [2]field{accountFields[pair[0]], accountFields[pair[1]]}

			want := target
			for round := range rounds {
				var ready, done sync.WaitGroup
				start := make(chan struct{})
				var errs [2]error
				for i, f := range fields {
					ready.Add(1)
					done.Go(func() {
						ready.Done()
						<-start
						var found bool
						_, found, errs[i] = s.UpdateUser(t.Context(), target.ID, f.change(round))
						if errs[i] == nil && !found {
							errs[i] = fmt.Errorf("account %s not found", target.ID)
						}
					})
				}
				ready.Wait()
				close(start)
				done.Wait()

				for i, err := range errs {
					require.NoError(t, err, "round %d: change %s", round, fields[i].name)
				}
				for _, f := range fields {
					want = f.change(round).Apply(want)
				}
				got, found, err := s.UserByID(t.Context(), target.ID)
				require.NoError(t, err)
				require.True(t, found, "round %d: found", round)
				assertUser(t, want, got)
				if t.Failed() {
					t.Logf("round %d: a change of %s or %s was lost", round, fields[0].name, fields[1].name)
					return
				}
			}
			assertAccount(t, s, keeper)
		})
	}
}

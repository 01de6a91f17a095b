package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// runUsers covers store.Users.
func runUsers(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CreateAndRead", func(t *testing.T) {
		s := openStore(t, open)
		east := time.FixedZone("UTC+5", 5*60*60)
		want := newUser("alice", epoch().Add(123_456_789*time.Nanosecond).In(east))
		require.NoError(t, s.CreateUser(t.Context(), want))
		require.NoError(t, s.CreateUser(t.Context(), newUser("bob", epoch())))

		got, found, err := s.UserByEmail(t.Context(), want.Email)
		require.NoError(t, err, "UserByEmail")
		require.True(t, found, "UserByEmail: found")
		assertUser(t, want, got)

		got, found, err = s.UserByID(t.Context(), want.ID)
		require.NoError(t, err, "UserByID")
		require.True(t, found, "UserByID: found")
		assertUser(t, want, got)
	})

	t.Run("Disabled", func(t *testing.T) {
		s := openStore(t, open)
		t0 := epoch()
		disabled, enabled := newUser("mallory", t0), newUser("alice", t0)
		disabled.Disabled = true
		// Made in that order, so that a store that gives every account
		// the flag of the last one made (or of the first) shows it.
		require.NoError(t, s.CreateUser(t.Context(), disabled))
		require.NoError(t, s.CreateUser(t.Context(), enabled))

		for _, want := range []store.User{disabled, enabled} {
			got, found, err := s.UserByID(t.Context(), want.ID)
			require.NoError(t, err, "UserByID %s", want.ID)
			require.True(t, found, "UserByID %s: found", want.ID)
			assertUser(t, want, got)
			got, found, err = s.UserByEmail(t.Context(), want.Email)
			require.NoError(t, err, "UserByEmail %s", want.Email)
			require.True(t, found, "UserByEmail %s: found", want.Email)
			assertUser(t, want, got)
		}
	})

	t.Run("UnknownIsNotFound", func(t *testing.T) {
		s := openStore(t, open)
		require.NoError(t, s.CreateUser(t.Context(), newUser("alice", epoch())))

		tests := []struct {
			name   string
			lookup func() (store.User, bool, error)
		}{
			{"by unknown e-mail", func() (store.User, bool, error) { return s.UserByEmail(t.Context(), "bob@example.com") }},
			{"by unknown id", func() (store.User, bool, error) { return s.UserByID(t.Context(), "bob") }},
			{"by empty e-mail", func() (store.User, bool, error) { return s.UserByEmail(t.Context(), "") }},
			{"by empty id", func() (store.User, bool, error) { return s.UserByID(t.Context(), "") }},
			// A lookup by one key never matches the other.
			{"by an id as e-mail", func() (store.User, bool, error) { return s.UserByEmail(t.Context(), "alice") }},
			{"by an e-mail as id", func() (store.User, bool, error) { return s.UserByID(t.Context(), "alice@example.com") }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, found, err := tt.lookup()
				assert.NoError(t, err)
				assert.False(t, found, "found")
				assert.Zero(t, got, "record returned with found=false")
			})
		}
	})

	t.Run("Duplicate", func(t *testing.T) {
		tests := []struct {
			name      string
			id, email string
			// unclaimed is the key of the refused record that must
			// stay free: "id" or "email".
			unclaimed string
		}{
			{"same id, other e-mail", "alice", "other@example.com", "email"},
			{"same e-mail, other id", "other", "alice@example.com", "id"},
			{"same id and e-mail", "alice", "alice@example.com", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := openStore(t, open)
				first := newUser("alice", epoch())
				require.NoError(t, s.CreateUser(t.Context(), first))

				dup := newUser(tt.id, epoch())
				dup.Email = tt.email
				dup.Name = "Impostor"
				assert.ErrorIs(t, s.CreateUser(t.Context(), dup), store.ErrDuplicate)

				got, found, err := s.UserByID(t.Context(), first.ID)
				require.NoError(t, err)
				require.True(t, found, "first still found by id")
				assertUser(t, first, got)
				got, found, err = s.UserByEmail(t.Context(), first.Email)
				require.NoError(t, err)
				require.True(t, found, "first still found by e-mail")
				assertUser(t, first, got)

				switch tt.unclaimed {
				case "id":
					_, found, err = s.UserByID(t.Context(), dup.ID)
				case "email":
					_, found, err = s.UserByEmail(t.Context(), dup.Email)
				default:
					return
				}
				assert.NoError(t, err)
				assert.False(t, found, "the refused record's other key was stored")
			})
		}
	})
}

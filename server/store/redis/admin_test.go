package redis_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/store"
)

// TestAdmin covers the device fields, store.SessionLister and
// store.UserAdmin until storetest does.
func TestAdmin(t *testing.T) {
	url := testenv.Redis(t)
	s := open(t, url)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	runAdmin(t, s)
}

// adminStore is what runAdmin needs of a backend.
type adminStore interface {
	store.Store
	store.SessionLister
	store.UserAdmin
}

// runAdmin is the same in package postgres's tests.
func runAdmin(t *testing.T, s adminStore) {
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	ctx := t.Context()

	t.Run("UserSessions", func(t *testing.T) {
		at := func(created, dies time.Duration) store.Session {
			sess := session("alice", t0.Add(created))
			sess.Expires = t0.Add(dies)
			sess.ClientAddr, sess.UserAgent = "203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64)"
			return sess
		}
		older, newer, newest := at(0, time.Hour), at(time.Minute, time.Hour), at(2*time.Minute, time.Hour)
		dead := at(3*time.Minute, 4*time.Minute)
		for _, sess := range []store.Session{newer, dead, older, newest, session("bob", t0)} {
			require.NoError(t, s.CreateSession(ctx, sess))
		}
		now := t0.Add(4 * time.Minute) // dead has just died

		got, err := s.UserSessions(ctx, "alice", now)
		require.NoError(t, err)
		want := []store.Session{newest, newer, older}
		require.Len(t, got, len(want))
		for i := range want {
			assert.Equal(t, want[i].IDHash, got[i].IDHash, "session %d", i)
			assert.Equal(t, want[i].ClientAddr, got[i].ClientAddr, "session %d: ClientAddr", i)
			assert.Equal(t, want[i].UserAgent, got[i].UserAgent, "session %d: UserAgent", i)
			assert.WithinDuration(t, want[i].Expires, got[i].Expires, time.Millisecond, "session %d: Expires", i)
			assert.Equal(t, time.UTC, got[i].CreatedAt.Location(), "session %d: CreatedAt in UTC", i)
		}
		one, found, err := s.Session(ctx, newer.IDHash, now)
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, newer.ClientAddr, one.ClientAddr, "Session: ClientAddr")
		assert.Equal(t, newer.UserAgent, one.UserAgent, "Session: UserAgent")

		none, err := s.UserSessions(ctx, "nobody", now)
		require.NoError(t, err)
		assert.NotNil(t, none, "an empty list, not nil")
		assert.Empty(t, none)
	})

	t.Run("UserAdmin", func(t *testing.T) {
		user := func(id string, created time.Duration) store.User {
			return store.User{ID: id, Email: id + "@example.com", Name: "Name of " + id, Role: "user", PasswordHash: "$argon2id$" + id, CreatedAt: t0.Add(created)}
		}
		b, a, c := user("b", 0), user("a", 0), user("c", -time.Hour)
		c.Disabled = true
		for _, u := range []store.User{b, a, c} {
			require.NoError(t, s.CreateUser(ctx, u))
		}
		list, err := s.ListUsers(ctx)
		require.NoError(t, err)
		ids := make([]string, len(list))
		for i, u := range list {
			ids[i] = u.ID
		}
		assert.Equal(t, []string{"c", "a", "b"}, ids, "oldest first, then by id")
		assert.True(t, list[0].Disabled, "c: Disabled")
		assert.False(t, list[1].Disabled, "a: Disabled")

		changed := a
		changed.Name, changed.Role, changed.PasswordHash, changed.Disabled = "Alice", "admin", "$argon2id$new", true
		changed.Email, changed.CreatedAt = "other@example.com", t0.Add(time.Hour) // stay as they were
		found, err := s.UpdateUser(ctx, changed)
		require.NoError(t, err)
		assert.True(t, found)
		got, found, err := s.UserByEmail(ctx, a.Email)
		require.NoError(t, err)
		require.True(t, found, "found by the e-mail it had")
		assert.Equal(t, "Alice", got.Name)
		assert.Equal(t, "admin", got.Role)
		assert.Equal(t, "$argon2id$new", got.PasswordHash)
		assert.True(t, got.Disabled)
		assert.WithinDuration(t, a.CreatedAt, got.CreatedAt, time.Millisecond, "CreatedAt")
		_, found, err = s.UserByEmail(ctx, "other@example.com")
		require.NoError(t, err)
		assert.False(t, found, "the e-mail changed")

		found, err = s.UpdateUser(ctx, user("nobody", 0))
		assert.NoError(t, err)
		assert.False(t, found, "unknown id")
		_, err = s.UpdateUser(ctx, user("", 0))
		assert.ErrorIs(t, err, store.ErrInvalid, "empty id")
	})
}

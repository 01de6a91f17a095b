package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// testInvalid checks that a record or key that breaks a rule of package store
// gives ErrInvalid and stores nothing.
func testInvalid(t *testing.T, open func(t *testing.T) store.Store) {
	s := openStore(t, open)
	t0 := epoch()
	withHash := func(h []byte) store.Session {
		sess := newSession("alice", t0)
		sess.IDHash = h
		return sess
	}
	short, long := newHash()[:store.HashLen-1], append(newHash(), 0)
	noUserID := newSession("", t0)
	noID := newUser("", t0)
	noID.Email = "no-id@example.com"
	noEmail := newUser("no-email", t0)
	noEmail.Email = ""

	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"CreateSession with nil hash", func(ctx context.Context) error { return s.CreateSession(ctx, withHash(nil)) }},
		{"CreateSession with short hash", func(ctx context.Context) error { return s.CreateSession(ctx, withHash(short)) }},
		{"CreateSession with long hash", func(ctx context.Context) error { return s.CreateSession(ctx, withHash(long)) }},
		{"CreateSession with empty user id", func(ctx context.Context) error { return s.CreateSession(ctx, noUserID) }},
		{"Session with short hash", func(ctx context.Context) error { _, _, err := s.Session(ctx, short, t0); return err }},
		{"TouchSession with short hash", func(ctx context.Context) error { _, err := s.TouchSession(ctx, short, t0.Add(time.Hour)); return err }},
		{"DeleteSession with short hash", func(ctx context.Context) error { return s.DeleteSession(ctx, short) }},
		{"DeleteUserSessions with empty user id", func(ctx context.Context) error { _, err := s.DeleteUserSessions(ctx, ""); return err }},
		{"CreateUser with empty id", func(ctx context.Context) error { return s.CreateUser(ctx, noID) }},
		{"CreateUser with empty e-mail", func(ctx context.Context) error { return s.CreateUser(ctx, noEmail) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, tt.call(t.Context()), store.ErrInvalid)
		})
	}

	t.Run("nothing was stored", func(t *testing.T) {
		// Every session above is live at t0, so any that was stored
		// counts as expired at the end of time.
		n, err := s.DeleteExpiredSessions(t.Context(), t0.Add(100*absolute))
		require.NoError(t, err)
		assert.Zero(t, n, "sessions stored")
		_, found, err := s.UserByEmail(t.Context(), noID.Email)
		require.NoError(t, err)
		assert.False(t, found, "user with empty id stored")
		_, found, err = s.UserByID(t.Context(), noEmail.ID)
		require.NoError(t, err)
		assert.False(t, found, "user with empty e-mail stored")
	})
}

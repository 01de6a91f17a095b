package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sessionguard/sessionguard/server/store"
)

// testContext checks that every method returns the context's error, rather
// than working or waiting, once the context is done.
func testContext(t *testing.T, open func(t *testing.T) store.Store) {
	s := openStore(t, open)
	t0 := epoch()
	sess := newSession("alice", t0)
	user := newUser("alice", t0)
	create(t, s, sess)
	assert.NoError(t, s.CreateUser(t.Context(), user))

	// Arguments that would succeed with a live context.
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"CreateSession", func(ctx context.Context) error { return s.CreateSession(ctx, newSession("bob", t0)) }},
		{"Session", func(ctx context.Context) error { _, _, err := s.Session(ctx, sess.IDHash, t0); return err }},
		{"TouchSession", func(ctx context.Context) error { return s.TouchSession(ctx, sess.IDHash, t0.Add(time.Hour)) }},
		{"DeleteSession", func(ctx context.Context) error { return s.DeleteSession(ctx, sess.IDHash) }},
		{"DeleteUserSessions", func(ctx context.Context) error { _, err := s.DeleteUserSessions(ctx, sess.UserID); return err }},
		{"DeleteExpiredSessions", func(ctx context.Context) error { _, err := s.DeleteExpiredSessions(ctx, t0.Add(absolute)); return err }},
		{"CreateUser", func(ctx context.Context) error { return s.CreateUser(ctx, newUser("bob", t0)) }},
		{"UserByEmail", func(ctx context.Context) error { _, _, err := s.UserByEmail(ctx, user.Email); return err }},
		{"UserByID", func(ctx context.Context) error { _, _, err := s.UserByID(ctx, user.ID); return err }},
		{"Ping", func(ctx context.Context) error { return s.Ping(ctx) }},
	}
	contexts := []struct {
		name string
		ctx  func(t *testing.T) context.Context
		want error
	}{
		{"cancelled", func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx
		}, context.Canceled},
		{"deadline passed", func(t *testing.T) context.Context {
			ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
			t.Cleanup(cancel)
			return ctx
		}, context.DeadlineExceeded},
	}
	for _, c := range contexts {
		for _, tt := range calls {
			t.Run(c.name+"/"+tt.name, func(t *testing.T) {
				assert.ErrorIs(t, tt.call(c.ctx(t)), c.want)
			})
		}
	}

	t.Run("nothing changed", func(t *testing.T) {
		assertSession(t, sess, mustFind(t, s, sess.IDHash, t0))
		_, found, err := s.UserByID(t.Context(), "bob")
		assert.NoError(t, err)
		assert.False(t, found, "user created with a done context")
	})
}

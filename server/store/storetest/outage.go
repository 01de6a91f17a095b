package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// Outage takes a store's server away and brings it back; testenv.Proxy
// between a store and its server is one.
type Outage interface {
	// Cut makes the server stop answering.
	Cut()
	// Restore makes it answer again.
	Restore()
}

// RunOutage checks that s, a store whose server o takes away, fails every
// call while its server does not answer, rather than hang, and serves again,
// without being reopened, once the server is back. A call that has not
// returned after hang fails the test: pass a few times the store's own
// timeout. The calls get contexts without a deadline, so the bound must come
// from the store. RunOutage logs how long each failing call took, and leaves
// s open.
func RunOutage(t *testing.T, s store.Store, o Outage, hang time.Duration) {
	t0 := epoch()
	sess, kept := newSession("alice", t0), newSession("alice", t0)
	user := newUser("alice", t0)
	create(t, s, sess, kept)
	require.NoError(t, s.CreateUser(t.Context(), user))
	assertSession(t, sess, mustFind(t, s, sess.IDHash, t0))

	type call struct {
		name string
		call func(ctx context.Context) error
	}
	calls := []call{
		{"Session", func(ctx context.Context) error { _, _, err := s.Session(ctx, sess.IDHash, t0); return err }},
		{"Ping", func(ctx context.Context) error { return s.Ping(ctx) }},
		{"TouchSession", func(ctx context.Context) error {
			_, err := s.TouchSession(ctx, sess.IDHash, t0.Add(time.Hour))
			return err
		}},
		{"CreateSession", func(ctx context.Context) error { return s.CreateSession(ctx, newSession("bob", t0)) }},
		{"DeleteSession", func(ctx context.Context) error { return s.DeleteSession(ctx, kept.IDHash) }},
		{"DeleteUserSessions", func(ctx context.Context) error { _, err := s.DeleteUserSessions(ctx, "alice"); return err }},
		{"DeleteExpiredSessions", func(ctx context.Context) error { _, err := s.DeleteExpiredSessions(ctx, t0.Add(absolute)); return err }},
		{"CreateUser", func(ctx context.Context) error { return s.CreateUser(ctx, newUser("bob", t0)) }},
		{"UserByEmail", func(ctx context.Context) error { _, _, err := s.UserByEmail(ctx, user.Email); return err }},
		{"UserByID", func(ctx context.Context) error { _, _, err := s.UserByID(ctx, user.ID); return err }},
	}

	// The jwt strategy's hot path.
	calls = append(calls, call{"Revoked", func(ctx context.Context) error { _, err := s.Revoked(ctx, "alice", t0, t0, "jti-1"); return err }})

	o.Cut()
	t.Run("down", func(t *testing.T) {
		for _, tt := range calls {
			t.Run(tt.name, func(t *testing.T) {
				took, err := within(t, hang, tt.call)
				assert.Error(t, err, "a call succeeded while the server was away")
				t.Logf("%s failed after %v: %v", tt.name, took.Round(time.Millisecond), err)
			})
		}
	})

	o.Restore()
	t.Run("back", func(t *testing.T) {
		// The first call after the return succeeds: the store replaces
		// the connections that broke on its own.
		_, err := within(t, hang, func(ctx context.Context) error {
			got, found, err := s.Session(ctx, sess.IDHash, t0)
			if err == nil {
				assert.True(t, found, "session lost in the outage")
				assertSession(t, sess, got)
			}
			return err
		})
		require.NoError(t, err, "Session after the return")
		_, err = within(t, hang, s.Ping)
		assert.NoError(t, err, "Ping after the return")

		// Nothing that failed was done, and writes work again.
		mustFind(t, s, kept.IDHash, t0)
		got, found, err := s.UserByID(t.Context(), "bob")
		assert.NoError(t, err)
		assert.False(t, found, "a user created while the server was away: %+v", got)
		touch(t, s, sess.IDHash, t0.Add(time.Hour))
		touched := sess
		touched.Expires = t0.Add(time.Hour)
		assertSession(t, touched, mustFind(t, s, sess.IDHash, t0))
		create(t, s, newSession("carol", t0))
		n, err := s.DeleteUserSessions(t.Context(), "alice")
		assert.NoError(t, err)
		assert.Equal(t, 2, n, "alice's sessions after the return")
	})
}

// within runs call with a context that has no deadline, and fails the test
// when it has not returned after hang. It returns how long call took.
func within(t *testing.T, hang time.Duration, call func(ctx context.Context) error) (time.Duration, error) {
	t.Helper()
	// The context ends with the test, so a hung call ends then too.
	ctx := t.Context()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- call(ctx) }()
	timer := time.NewTimer(hang)
	defer timer.Stop()
	select {
	case err := <-done:
		return time.Since(start), err
	case <-timer.C:
		t.Fatalf("the call has not returned after %v: it hangs", hang)
		return 0, nil
	}
}

package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	type call struct {
		name string
		call func(ctx context.Context) error
	}
	calls := []call{
		{"CreateSession", func(ctx context.Context) error { return s.CreateSession(ctx, newSession("bob", t0)) }},
		{"Session", func(ctx context.Context) error { _, _, err := s.Session(ctx, sess.IDHash, t0); return err }},
		{"TouchSession", func(ctx context.Context) error {
			_, err := s.TouchSession(ctx, sess.IDHash, t0.Add(time.Hour))
			return err
		}},
		{"DeleteSession", func(ctx context.Context) error { return s.DeleteSession(ctx, sess.IDHash) }},
		{"DeleteUserSessions", func(ctx context.Context) error { _, err := s.DeleteUserSessions(ctx, sess.UserID); return err }},
		{"DeleteExpiredSessions", func(ctx context.Context) error { _, err := s.DeleteExpiredSessions(ctx, t0.Add(absolute)); return err }},
		{"CreateUser", func(ctx context.Context) error { return s.CreateUser(ctx, newUser("bob", t0)) }},
		{"UserByEmail", func(ctx context.Context) error { _, _, err := s.UserByEmail(ctx, user.Email); return err }},
		{"UserByID", func(ctx context.Context) error { _, _, err := s.UserByID(ctx, user.ID); return err }},
		{"Ping", func(ctx context.Context) error { return s.Ping(ctx) }},
	}
	// The jwt strategy's records, with a record of each to read.
	tok := newRefreshToken("alice", sess.IDHash, t0)
	calls = append(calls, []call{
		{"Deny", func(ctx context.Context) error { return s.Deny(ctx, "jti-1", t0.Add(time.Hour)) }},
		{"SetUserValidAfter", func(ctx context.Context) error { return s.SetUserValidAfter(ctx, "alice", t0.Add(time.Hour)) }},
		{"UserValidAfter", func(ctx context.Context) error { _, err := s.UserValidAfter(ctx, "alice"); return err }},
		{"Revoked", func(ctx context.Context) error {
			_, err := s.Revoked(ctx, "alice", t0, t0, "jti-1", "sid:1")
			return err
		}},
		{"Revoked without ids", func(ctx context.Context) error { _, err := s.Revoked(ctx, "alice", t0, t0); return err }},
		{"DeleteExpiredDenials", func(ctx context.Context) error { _, err := s.DeleteExpiredDenials(ctx, t0.Add(absolute)); return err }},
	}...)
	require.NoError(t, s.CreateRefreshToken(t.Context(), tok))
	calls = append(calls, []call{
		{"CreateRefreshToken", func(ctx context.Context) error {
			return s.CreateRefreshToken(ctx, newRefreshToken("bob", newHash(), t0))
		}},
		{"RedeemRefreshToken", func(ctx context.Context) error { _, _, _, err := s.RedeemRefreshToken(ctx, tok.Hash, t0); return err }},
		{"DeleteFamily", func(ctx context.Context) error { _, err := s.DeleteFamily(ctx, tok.SessionHash); return err }},
		{"DeleteExpiredRefreshTokens", func(ctx context.Context) error {
			_, err := s.DeleteExpiredRefreshTokens(ctx, t0.Add(2*absolute))
			return err
		}},
	}...)
	calls = append(calls, []call{
		{"PublishKey", func(ctx context.Context) error { return s.PublishKey(ctx, newPublicKey("k1", t0, t0.Add(absolute))) }},
		{"PublicKeys", func(ctx context.Context) error { _, err := s.PublicKeys(ctx, t0); return err }},
		{"Secret", func(ctx context.Context) error { _, err := s.Secret(ctx, "hmac", newSecret()); return err }},
	}...)
	_, err := s.Incr(t.Context(), "counted", time.Hour, t0)
	require.NoError(t, err)
	calls = append(calls, []call{
		{"Incr", func(ctx context.Context) error { _, err := s.Incr(ctx, "counted", time.Hour, t0); return err }},
		{"Count", func(ctx context.Context) error { _, _, err := s.Count(ctx, "counted", t0); return err }},
		{"ResetCounter", func(ctx context.Context) error { return s.ResetCounter(ctx, "counted") }},
	}...)
	// The abilities of the device list, the admin API and the metrics.
	calls = append(calls, call{"UserSessions", func(ctx context.Context) error {
		_, err := s.UserSessions(ctx, sess.UserID, t0)
		return err
	}})
	calls = append(calls, []call{
		{"ListUsers", func(ctx context.Context) error { _, err := s.ListUsers(ctx); return err }},
		{"UpdateUser", func(ctx context.Context) error {
			_, _, err := s.UpdateUser(ctx, user.ID, store.UserChange{
				Name: ptr("Changed"), Role: ptr("user"), PasswordHash: ptr("$argon2id$changed"), Disabled: ptr(true),
			})
			return err
		}},
	}...)
	calls = append(calls, call{"CountSessions", func(ctx context.Context) error {
		_, err := s.CountSessions(ctx, t0)
		return err
	}})
	// A subscriber that sees whether anything was published.
	var events <-chan store.Event
	events = subscribe(t, s)
	calls = append(calls, []call{
		{"Publish", func(ctx context.Context) error { return s.Publish(ctx, newEvent("alice", t0)) }},
		{"Subscribe", func(ctx context.Context) error { _, err := s.Subscribe(ctx); return err }},
	}...)
	for _, c := range doneContexts {
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
		got, found, err := s.UserByID(t.Context(), user.ID)
		assert.NoError(t, err)
		if assert.True(t, found, "user") {
			assertUser(t, user, got) // not updated with a done context
		}

		revoked, err := s.Revoked(t.Context(), "alice", t0, t0, "jti-1")
		assert.NoError(t, err)
		assert.False(t, revoked, "denied or valid-after set with a done context")
		_, first, found, err := s.RedeemRefreshToken(t.Context(), tok.Hash, t0)
		assert.NoError(t, err)
		assert.True(t, found, "refresh token deleted with a done context")
		assert.True(t, first, "refresh token redeemed with a done context")
		keys, err := s.PublicKeys(t.Context(), t0)
		assert.NoError(t, err)
		assert.Empty(t, keys, "key published with a done context")
		want := newSecret()
		secret, err := s.Secret(t.Context(), "hmac", want)
		assert.NoError(t, err)
		assert.Equal(t, want, secret, "secret stored with a done context")
		n, _, err := s.Count(t.Context(), "counted", t0)
		assert.NoError(t, err)
		assert.Equal(t, int64(1), n, "counter incremented or reset with a done context")
		// Events from one publisher arrive in order: the marker
		// comes first unless something was published before it.
		marker := newEvent("marker", t0)
		publishEvent(t, s, marker)
		assertEvent(t, marker, receive(t, events), "the first event after the calls with a done context")
	})
}

// doneContexts are the two ways a context is done before a call, and the
// error each gives.
var doneContexts = []struct {
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

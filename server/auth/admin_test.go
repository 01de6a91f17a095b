package auth_test

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/users"
	"github.com/sessionguard/sessionguard/wire"
)

// barrier holds each caller of wait until n have arrived, or until a
// generous time has passed (so a caller that never comes fails the test
// instead of hanging it).
type barrier struct {
	mu      sync.Mutex
	n       int
	arrived int
	all     chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, all: make(chan struct{})} }

func (b *barrier) wait() {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
	case <-time.After(10 * time.Second):
	}
}

// count reports how many callers have arrived.
func (b *barrier) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.arrived
}

// Two administrators demote each other at once, and both requests reach the
// store's write together (the store holds each until the other arrives):
// one wins, the other is told that no administrator would be left, and one
// administrator remains.
func TestConcurrentDemotionsLeaveOneAdmin(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		_, err := e.users.Create(t.Context(), users.NewAccount{Email: "second@example.com", Name: "Second Admin", Role: users.RoleAdmin, Password: "second-password"})
		require.NoError(t, err)
		first, second := e.client(), e.client()
		require.Equal(t, http.StatusOK, first.signIn("admin@example.com", "admin-password").StatusCode)
		require.Equal(t, http.StatusOK, second.signIn("second@example.com", "second-password").StatusCode)
		firstID, secondID := otherUserID(t, e, "admin@example.com"), otherUserID(t, e, "second@example.com")

		b := newBarrier(2)
		hook := b.wait
		e.store.beforeUpdateUser.Store(&hook)
		var wg sync.WaitGroup
		var codes [2]int
		var bodies [2]string
		for i, req := range []struct {
			c      *client
			target string
		}{{first, secondID}, {second, firstID}} {
			wg.Go(func() {
				r := req.c.do("PATCH", "/api/admin/users/"+req.target, strings.NewReader(`{"role":"user"}`), "Content-Type", "application/json")
				codes[i], bodies[i] = r.StatusCode, body(t, r)
			})
		}
		wg.Wait()
		e.store.beforeUpdateUser.Store(nil)

		assert.Equal(t, 2, b.count(), "both demotions reached the store")
		assert.ElementsMatch(t, []int{http.StatusOK, http.StatusConflict}, codes[:], "answers (bodies %q)", bodies)
		for i, code := range codes {
			if code == http.StatusConflict {
				assert.JSONEq(t, `{"error":"that would leave no administrator"}`, bodies[i])
			}
		}
		list, err := e.users.List(t.Context())
		require.NoError(t, err)
		admins := 0
		for _, u := range list {
			if u.Role == users.RoleAdmin && !u.Disabled {
				admins++
			}
		}
		assert.Equal(t, 1, admins, "enabled administrators left")
	})
}

// A PATCH of both the role and the disabled flag is one write, so that it
// is applied whole or, refused, not at all.
func TestPatchUserIsOneWrite(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		admin := e.client()
		require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)
		userID, adminID := otherUserID(t, e, "user@example.com"), otherUserID(t, e, "admin@example.com")
		var writes atomic.Int32
		hook := func() { writes.Add(1) }
		e.store.beforeUpdateUser.Store(&hook)
		patch := func(id, body string) *http.Response {
			return admin.do("PATCH", "/api/admin/users/"+id, strings.NewReader(body), "Content-Type", "application/json")
		}

		r := patch(userID, `{"role":"admin","disabled":true}`)
		require.Equal(t, http.StatusOK, r.StatusCode)
		var got struct {
			Role     string
			Disabled bool
		}
		decode(t, r, &got)
		assert.Equal(t, "admin", got.Role)
		assert.True(t, got.Disabled)
		assert.Equal(t, int32(1), writes.Load(), "writes for one PATCH")

		// The demo admin is the last enabled one (the user was disabled
		// above): refused whole, nothing changed.
		r = patch(adminID, `{"role":"user","disabled":true}`)
		assert.Equal(t, http.StatusConflict, r.StatusCode)
		assert.JSONEq(t, `{"error":"that would leave no administrator"}`, body(t, r))
		u, err := e.users.ByID(t.Context(), adminID)
		require.NoError(t, err)
		assert.Equal(t, "admin", u.Role)
		assert.False(t, u.Disabled)
		assert.JSONEq(t, `{"status":200}`, body(t, admin.get("/api/get-session-status")), "the refused change ended no session")
	})
}

// holdFirst returns a hook that holds the first caller until release is
// closed, after closing held, and lets every later caller through.
func holdFirst() (hook func(), held, release chan struct{}) {
	held, release = make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	hook = func() {
		if first.CompareAndSwap(false, true) {
			close(held)
			select {
			case <-release:
			case <-time.After(10 * time.Second):
			}
		}
	}
	return hook, held, release
}

// A password change that read the account before an administrator changed
// its access, and writes after, keeps that change: the account stays
// disabled (neither password signs in, no session is left) or demoted (the
// password change's new session has the new role).
func TestPasswordChangeKeepsConcurrentAccessChange(t *testing.T) {
	tests := []struct {
		name  string
		email string // the account, which changes its own password
		patch string // what the administrator sends meanwhile
		check func(t *testing.T, e *env, me *client, changed *http.Response, id string)
	}{
		{"disable", "third@example.com", `{"disabled":true}`, func(t *testing.T, e *env, me *client, changed *http.Response, id string) {
			u, err := e.users.ByID(t.Context(), id)
			require.NoError(t, err)
			assert.True(t, u.Disabled, "the account is disabled")
			assert.Equal(t, http.StatusForbidden, changed.StatusCode, "the password change (body %s)", body(t, changed))
			assert.JSONEq(t, `{"status":401}`, body(t, me.get("/api/get-session-status")), "no session is left")
			for _, pw := range []string{"old-password", "new-password"} {
				assert.NotEqual(t, http.StatusOK, e.client().signIn(u.Email, pw).StatusCode, "sign-in with the %s", pw)
			}
		}},
		{"demote", "second@example.com", `{"role":"user"}`, func(t *testing.T, e *env, me *client, changed *http.Response, id string) {
			u, err := e.users.ByID(t.Context(), id)
			require.NoError(t, err)
			assert.Equal(t, users.RoleUser, u.Role, "the account is demoted")
			require.Equal(t, http.StatusOK, changed.StatusCode, "the password change (body %s)", body(t, changed))
			assert.Equal(t, http.StatusForbidden, me.get("/api/admin/users").StatusCode, "the new session is no administrator's")
			other := e.client()
			require.Equal(t, http.StatusOK, other.signIn(u.Email, "new-password").StatusCode)
			assert.Equal(t, http.StatusForbidden, other.get("/api/admin/users").StatusCode, "a new sign-in is no administrator's")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forStrategies(t, func(t *testing.T, strategy string) {
				e := newEnv(t, withStrategy(strategy))
				_, err := e.users.Create(t.Context(), users.NewAccount{Email: "second@example.com", Name: "Second Admin", Role: users.RoleAdmin, Password: "old-password"})
				require.NoError(t, err)
				_, err = e.users.Create(t.Context(), users.NewAccount{Email: "third@example.com", Name: "Third User", Role: users.RoleUser, Password: "old-password"})
				require.NoError(t, err)
				admin, me := e.client(), e.client()
				require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)
				require.Equal(t, http.StatusOK, me.signIn(tt.email, "old-password").StatusCode)
				id := otherUserID(t, e, tt.email)

				// The password change reaches the store's write and waits
				// there, having read the account; the administrator's
				// change passes it and is done.
				hook, held, release := holdFirst()
				e.store.beforeUpdateUser.Store(&hook)
				defer e.store.beforeUpdateUser.Store(nil)
				changed := make(chan *http.Response, 1)
				go func() {
					changed <- me.do("POST", "/api/auth/password", jsonBody(`{"currentPassword":"old-password","newPassword":"new-password"}`), "Content-Type", "application/json")
				}()
				select {
				case <-held:
				case <-time.After(10 * time.Second):
					t.Fatal("the password change never reached the store")
				}
				r := admin.do("PATCH", "/api/admin/users/"+id, strings.NewReader(tt.patch), "Content-Type", "application/json")
				require.Equal(t, http.StatusOK, r.StatusCode, "the administrator's change (body %s)", body(t, r))
				close(release)

				tt.check(t, e, me, <-changed, id)
			})
		})
	}
}

// A PATCH that reaches the store after another administrator's change of
// the same account judges what it changed by the account as it was just
// before its own write: a demotion that read the account while it was
// still a user, and writes after a promotion and a sign-in, ends the
// session that sign-in gave (it carries the administrator role).
func TestStaleAccessChangeStillEndsSessions(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		_, err := e.users.Create(t.Context(), users.NewAccount{Email: "third@example.com", Name: "Third User", Role: users.RoleUser, Password: "third-password"})
		require.NoError(t, err)
		first, second := e.client(), e.client()
		require.Equal(t, http.StatusOK, first.signIn("admin@example.com", "admin-password").StatusCode)
		require.Equal(t, http.StatusOK, second.signIn("admin@example.com", "admin-password").StatusCode)
		id := otherUserID(t, e, "third@example.com")
		patch := func(c *client, body string) *http.Response {
			return c.do("PATCH", "/api/admin/users/"+id, strings.NewReader(body), "Content-Type", "application/json")
		}

		// The demotion waits at the store's write; the promotion passes it.
		hook, held, release := holdFirst()
		e.store.beforeUpdateUser.Store(&hook)
		defer e.store.beforeUpdateUser.Store(nil)
		demoted := make(chan *http.Response, 1)
		go func() { demoted <- patch(first, `{"role":"user"}`) }()
		select {
		case <-held:
		case <-time.After(10 * time.Second):
			t.Fatal("the demotion never reached the store")
		}
		r := patch(second, `{"role":"admin"}`)
		require.Equal(t, http.StatusOK, r.StatusCode, "the promotion (body %s)", body(t, r))
		promoted := e.client()
		require.Equal(t, http.StatusOK, promoted.signIn("third@example.com", "third-password").StatusCode)
		require.Equal(t, http.StatusOK, promoted.get("/api/admin/users").StatusCode, "signed in as an administrator")
		close(release)
		r = <-demoted
		require.Equal(t, http.StatusOK, r.StatusCode, "the demotion (body %s)", body(t, r))

		u, err := e.users.ByID(t.Context(), id)
		require.NoError(t, err)
		assert.Equal(t, users.RoleUser, u.Role, "the account is demoted")
		assert.JSONEq(t, `{"status":401}`, body(t, promoted.get("/api/get-session-status")), "the administrator's session ended")
		assert.NotEqual(t, http.StatusOK, promoted.get("/api/admin/users").StatusCode, "no administrator's access is left")
	})
}

// TestSignInAfterStackedRevocations: many revocations of one account in a
// row (an administrator ending its sessions again and again) never lock
// out the sign-in that follows: it answers 200 and its session is live on
// the next request and a while after.
func TestSignInAfterStackedRevocations(t *testing.T) {
	forBackends(t, func(t *testing.T, strategy string, on option) {
		e := newEnv(t, withStrategy(strategy), on)
		e.clock.Add(200 * time.Millisecond)
		admin, user := e.client(), e.client()
		require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)
		userID := otherUserID(t, e, "user@example.com")
		for i := range 15 {
			r := admin.do("DELETE", "/api/admin/users/"+userID+"/sessions", nil)
			require.Equal(t, http.StatusOK, r.StatusCode, "revocation %d", i+1)
			r.Body.Close()
			e.clock.Add(10 * time.Millisecond)
		}
		require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
		for i := range 3 {
			var s *wire.Session
			decode(t, user.get("/api/session"), &s)
			require.NotNil(t, s, "read %d after the sign-in", i+1)
			assert.Equal(t, "user@example.com", s.User.Email)
			e.clock.Add(2 * time.Second)
		}
	})
}

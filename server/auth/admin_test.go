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

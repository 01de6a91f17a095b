package auth_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/users"
)

// An administrator's change of an account that lands after a password
// check and before the session it earns exists is never missed: every
// path that issues a session after a password check (the JSON sign-in,
// the no-JS form and a password change's rotation) answers as for a
// disabled account, or with a session of the new role, or, when the role
// changes again while the session is issued once more, 503 and no session.
// The store runs each administrator's PATCH to completion when the
// request's session is about to be created.
func TestSessionIssueKeepsConcurrentAccessChange(t *testing.T) {
	const password = "old-password"
	paths := []struct {
		name     string
		prepare  func(t *testing.T, c *client, email string) // before the race
		issue    func(c *client, email string) *http.Response
		ok       int    // the status of a session issued
		disabled string // the 403 body ("" for a page)
	}{
		{"json sign-in", nil,
			func(c *client, email string) *http.Response { return c.signIn(email, password) },
			http.StatusOK, `{"error":"this account is disabled"}`},
		{"form sign-in", nil,
			func(c *client, email string) *http.Response {
				return refusalOf(c.formPost("/api/auth/signin", "/ssr-login", "email", email, "password", password))
			},
			http.StatusSeeOther, ""},
		{"password change",
			func(t *testing.T, c *client, email string) {
				require.Equal(t, http.StatusOK, c.signIn(email, password).StatusCode)
			},
			func(c *client, _ string) *http.Response {
				return c.do("POST", "/api/auth/password", jsonBody(`{"currentPassword":"old-password","newPassword":"new-password"}`), "Content-Type", "application/json")
			},
			http.StatusOK, `{"error":"account disabled"}`},
	}
	changes := []struct {
		name    string
		email   string
		patches []string // the administrator's PATCH at the 1st, 2nd... session creation
		check   func(t *testing.T, e *env, admin, me *client, r *http.Response, id string, ok int, disabled string)
	}{
		{"disable", "third@example.com", []string{`{"disabled":true}`},
			func(t *testing.T, e *env, admin, me *client, r *http.Response, id string, _ int, disabled string) {
				got := body(t, r)
				require.Equal(t, http.StatusForbidden, r.StatusCode, "the answer (body %s)", got)
				if disabled != "" {
					assert.JSONEq(t, disabled, got)
				}
				noSession(t, admin, me, id)
			}},
		{"demote", "second@example.com", []string{`{"role":"user"}`},
			func(t *testing.T, e *env, admin, me *client, r *http.Response, id string, ok int, _ string) {
				require.Equal(t, ok, r.StatusCode, "the answer (body %s)", body(t, r))
				assert.JSONEq(t, `{"status":200}`, body(t, me.get("/api/get-session-status")), "a session was issued")
				assert.Equal(t, http.StatusForbidden, me.get("/api/admin/users").StatusCode, "the session is no administrator's")
				list, err := e.mgr.UserSessions(t.Context(), id)
				require.NoError(t, err)
				require.Len(t, list, 1, "sessions of the account")
				assert.Equal(t, users.RoleUser, list[0].User.Role)
			}},
		{"demote, then promote again", "second@example.com", []string{`{"role":"user"}`, `{"role":"admin"}`},
			func(t *testing.T, e *env, admin, me *client, r *http.Response, id string, ok int, disabled string) {
				got := body(t, r)
				require.Equal(t, http.StatusServiceUnavailable, r.StatusCode, "the answer (body %s)", got)
				if disabled != "" {
					assert.JSONEq(t, `{"error":"the account's access changed while signing in; try again"}`, got)
				}
				noSession(t, admin, me, id)
			}},
	}
	for _, ch := range changes {
		for _, p := range paths {
			t.Run(ch.name+"/"+p.name, func(t *testing.T) {
				forStrategies(t, func(t *testing.T, strategy string) {
					e := newEnv(t, withStrategy(strategy))
					_, err := e.users.Create(t.Context(), users.NewAccount{Email: "second@example.com", Name: "Second Admin", Role: users.RoleAdmin, Password: password})
					require.NoError(t, err)
					_, err = e.users.Create(t.Context(), users.NewAccount{Email: "third@example.com", Name: "Third User", Role: users.RoleUser, Password: password})
					require.NoError(t, err)
					admin, me := e.client(), e.client()
					require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)
					if p.prepare != nil {
						p.prepare(t, me, ch.email)
					}
					id := otherUserID(t, e, ch.email)

					// The password is checked; the session is about to be
					// created: the administrator's change runs to its end.
					var mu sync.Mutex
					var codes []int
					hook := func() {
						mu.Lock()
						n := len(codes)
						mu.Unlock()
						if n >= len(ch.patches) {
							return
						}
						r := admin.do("PATCH", "/api/admin/users/"+id, strings.NewReader(ch.patches[n]), "Content-Type", "application/json")
						r.Body.Close()
						mu.Lock()
						codes = append(codes, r.StatusCode)
						mu.Unlock()
					}
					e.store.beforeCreateSession.Store(&hook)
					r := p.issue(me, ch.email)
					e.store.beforeCreateSession.Store(nil)

					mu.Lock()
					want := make([]int, len(ch.patches))
					for i := range want {
						want[i] = http.StatusOK
					}
					assert.Equal(t, want, codes, "the administrator's changes")
					mu.Unlock()
					ch.check(t, e, admin, me, r, id, p.ok, p.disabled)
				})
			})
		}
	}
}

// noSession asserts that the client holds no working session and that the
// account id has none.
func noSession(t *testing.T, admin, me *client, id string) {
	t.Helper()
	assert.JSONEq(t, `{"status":401}`, body(t, me.get("/api/get-session-status")), "no session works")
	assert.Equal(t, http.StatusUnauthorized, me.get("/api/auth/sessions").StatusCode)
	r := admin.get("/api/admin/users/" + id + "/sessions")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.JSONEq(t, `{"sessions":[]}`, body(t, r), "sessions of the account")
}

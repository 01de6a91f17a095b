package auth_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wire"
)

type devicesOut struct {
	Sessions []struct {
		Handle, Device, UserAgent, ClientAddr, CreatedAt, LastSeen, Expires string
		Current                                                             bool
	}
}

func (c *client) devices(t *testing.T) devicesOut {
	t.Helper()
	r := c.get("/api/auth/sessions")
	require.Equal(t, http.StatusOK, r.StatusCode)
	var out devicesOut
	decode(t, r, &out)
	return out
}

func TestDevices(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		laptop, phone := e.client(), e.client()
		require.Equal(t, http.StatusOK, laptop.do("POST", "/api/auth/signin", jsonBody(`{"email":"user@example.com","password":"user-password"}`),
			"Content-Type", "application/json", "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36").StatusCode)
		e.clock.Add(time.Minute)
		require.Equal(t, http.StatusOK, phone.do("POST", "/api/auth/signin", jsonBody(`{"email":"user@example.com","password":"user-password"}`),
			"Content-Type", "application/json", "User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile Safari/604.1").StatusCode)
		other := e.client()
		require.Equal(t, http.StatusOK, other.signIn("admin@example.com", "admin-password").StatusCode)

		list := laptop.devices(t)
		require.Len(t, list.Sessions, 2, "only this user's sessions")
		assert.Equal(t, "Safari on iOS", list.Sessions[0].Device, "newest first")
		assert.Equal(t, "Chrome on Linux", list.Sessions[1].Device)
		assert.True(t, list.Sessions[1].Current)
		assert.False(t, list.Sessions[0].Current)
		assert.Equal(t, "127.0.0.1", list.Sessions[1].ClientAddr)
		assert.NotEmpty(t, list.Sessions[0].LastSeen)
		raw := body(t, laptop.get("/api/auth/sessions"))
		assert.NotContains(t, raw, laptop.cookie().Value, "never the secret")
		for _, s := range list.Sessions {
			assert.Len(t, s.Handle, 22)
		}

		// Another user's handle is not found, as an unknown one.
		assert.Equal(t, http.StatusNotFound, other.do("DELETE", "/api/auth/sessions/"+list.Sessions[0].Handle, nil).StatusCode)
		assert.Equal(t, http.StatusNotFound, laptop.do("DELETE", "/api/auth/sessions/nope", nil).StatusCode)
		assert.Equal(t, http.StatusForbidden, laptop.do("DELETE", "/api/auth/sessions/"+list.Sessions[0].Handle, nil, "Sec-Fetch-Site", "cross-site").StatusCode)

		// End the phone from the laptop.
		r := laptop.do("DELETE", "/api/auth/sessions/"+list.Sessions[0].Handle, nil)
		require.Equal(t, http.StatusOK, r.StatusCode)
		assert.JSONEq(t, `{"status":401}`, body(t, phone.get("/api/get-session-status")), "the ended device is signed out at once")
		assert.JSONEq(t, `{"status":200}`, body(t, laptop.get("/api/get-session-status")))
		assert.Len(t, laptop.devices(t).Sessions, 1)

		assert.Equal(t, http.StatusUnauthorized, e.client().get("/api/auth/sessions").StatusCode)
	})
}

func TestRevokeOthers(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		clients := []*client{e.client(), e.client(), e.client()}
		for _, c := range clients {
			require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		}
		r := clients[0].postJSON("/api/auth/sessions/revoke-others", nil)
		require.Equal(t, http.StatusOK, r.StatusCode)
		assert.JSONEq(t, `{"revoked":2}`, body(t, r))
		assert.JSONEq(t, `{"status":200}`, body(t, clients[0].get("/api/get-session-status")))
		for _, c := range clients[1:] {
			assert.JSONEq(t, `{"status":401}`, body(t, c.get("/api/get-session-status")))
		}
	})
}

func TestChangePassword(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		me, elsewhere := e.client(), e.client()
		require.Equal(t, http.StatusOK, me.signIn("user@example.com", "user-password").StatusCode)
		require.Equal(t, http.StatusOK, elsewhere.signIn("user@example.com", "user-password").StatusCode)
		before := me.cookie().Value

		for _, tt := range []struct {
			name, body string
			code       int
		}{
			{"wrong current", `{"currentPassword":"nope","newPassword":"a-new-password"}`, http.StatusUnauthorized},
			{"short new", `{"currentPassword":"user-password","newPassword":"short"}`, http.StatusBadRequest},
			{"missing", `{"newPassword":"a-new-password"}`, http.StatusBadRequest},
			{"malformed", `{`, http.StatusBadRequest},
			{"wrong type", `{"currentPassword":1,"newPassword":"a-new-password"}`, http.StatusBadRequest},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := me.do("POST", "/api/auth/password", jsonBody(tt.body), "Content-Type", "application/json")
				assert.Equal(t, tt.code, r.StatusCode)
				var out wire.Error
				decode(t, r, &out)
				assert.NotEmpty(t, out.Error)
			})
		}
		assert.Equal(t, before, me.cookie().Value, "nothing changed yet")

		r := me.do("POST", "/api/auth/password", jsonBody(`{"currentPassword":"user-password","newPassword":"a-new-password"}`), "Content-Type", "application/json")
		require.Equal(t, http.StatusOK, r.StatusCode)
		assert.NotEqual(t, before, me.cookie().Value, "this session was rotated to a new id")
		assert.JSONEq(t, `{"status":200}`, body(t, me.get("/api/get-session-status")))
		assert.JSONEq(t, `{"status":401}`, body(t, elsewhere.get("/api/get-session-status")), "every other session ended")
		old := e.client()
		old.cookies[me.cookie().Name] = &http.Cookie{Name: me.cookie().Name, Value: before}
		assert.JSONEq(t, `{"status":401}`, body(t, old.get("/api/get-session-status")), "the pre-change id is dead")
		assert.Equal(t, http.StatusUnauthorized, e.client().signIn("user@example.com", "user-password").StatusCode)
		assert.Equal(t, http.StatusOK, e.client().signIn("user@example.com", "a-new-password").StatusCode)
	})
}

func TestAdminAPI(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		var logs bytes.Buffer
		e := newEnv(t, withStrategy(strategy), withLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		admin, user := e.client(), e.client()
		require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)
		require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
		userID := otherUserID(t, e, "user@example.com")

		assert.Equal(t, http.StatusForbidden, user.get("/api/admin/users").StatusCode, "not admin → 403")
		assert.Equal(t, http.StatusUnauthorized, e.client().get("/api/admin/users").StatusCode)

		r := admin.get("/api/admin/users")
		require.Equal(t, http.StatusOK, r.StatusCode)
		var list struct{ Users []map[string]any }
		decode(t, r, &list)
		require.Len(t, list.Users, 3)
		emails := []any{}
		for _, u := range list.Users {
			assert.NotContains(t, u, "passwordHash")
			assert.NotContains(t, u, "PasswordHash")
			emails = append(emails, u["email"])
		}
		assert.ElementsMatch(t, []any{"user@example.com", "admin@example.com", "html@example.com"}, emails)

		r = admin.get("/api/admin/users/" + userID + "/sessions")
		require.Equal(t, http.StatusOK, r.StatusCode)
		var sessions devicesOut
		decode(t, r, &sessions)
		require.Len(t, sessions.Sessions, 1)
		assert.Equal(t, http.StatusNotFound, admin.get("/api/admin/users/nobody/sessions").StatusCode)

		patch := func(c *client, id, body string, hdr ...string) *http.Response {
			return c.do("PATCH", "/api/admin/users/"+id, strings.NewReader(body), append([]string{"Content-Type", "application/json"}, hdr...)...)
		}
		assert.Equal(t, http.StatusForbidden, patch(user, userID, `{"role":"admin"}`).StatusCode)
		assert.Equal(t, http.StatusForbidden, patch(admin, userID, `{"role":"admin"}`, "Sec-Fetch-Site", "cross-site").StatusCode)
		assert.Equal(t, http.StatusBadRequest, patch(admin, userID, `{"role":"root"}`).StatusCode)
		assert.Equal(t, http.StatusBadRequest, patch(admin, userID, `{}`).StatusCode)
		assert.Equal(t, http.StatusBadRequest, patch(admin, userID, `{"disabled":"yes"}`).StatusCode)
		assert.Equal(t, http.StatusNotFound, patch(admin, "nobody", `{"role":"admin"}`).StatusCode)

		// A role change takes effect at once: the user's session ends (its
		// snapshot carries the old role) and the next sign-in has the new one.
		r = patch(admin, userID, `{"role":"admin"}`)
		require.Equal(t, http.StatusOK, r.StatusCode)
		assert.Contains(t, body(t, r), `"role":"admin"`)
		assert.JSONEq(t, `{"status":401}`, body(t, user.get("/api/get-session-status")))
		require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
		var s wire.Session
		decode(t, user.get("/api/session"), &s)
		assert.Equal(t, "admin", s.User.Role)
		assert.Equal(t, http.StatusOK, user.get("/admin").StatusCode, "the guard follows the new role")
		assert.Contains(t, logs.String(), "event=role_changed")

		// Disable: sessions end, sign-in refused.
		require.Equal(t, http.StatusOK, patch(admin, userID, `{"disabled":true}`).StatusCode)
		assert.JSONEq(t, `{"status":401}`, body(t, user.get("/api/get-session-status")))
		r = e.client().signIn("user@example.com", "user-password")
		assert.Equal(t, http.StatusForbidden, r.StatusCode)
		assert.Contains(t, body(t, r), "disabled")
		assert.Equal(t, http.StatusUnauthorized, e.client().signIn("user@example.com", "wrong").StatusCode, "a wrong password still says only that")
		require.Equal(t, http.StatusOK, patch(admin, userID, `{"disabled":false,"role":"user"}`).StatusCode)
		assert.Equal(t, http.StatusOK, e.client().signIn("user@example.com", "user-password").StatusCode)

		// The last administrator cannot remove themselves.
		adminID := otherUserID(t, e, "admin@example.com")
		r = patch(admin, adminID, `{"role":"user"}`)
		assert.Equal(t, http.StatusConflict, r.StatusCode)

		// End one session of a user.
		e.clock.Add(time.Second) // so this session is the newest
		require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
		decode(t, admin.get("/api/admin/users/"+userID+"/sessions"), &sessions)
		require.NotEmpty(t, sessions.Sessions)
		assert.Equal(t, http.StatusNotFound, admin.do("DELETE", "/api/admin/users/"+adminID+"/sessions/"+sessions.Sessions[0].Handle, nil).StatusCode,
			"a handle under the wrong user is 404")
		require.Equal(t, http.StatusOK, admin.do("DELETE", "/api/admin/users/"+userID+"/sessions/"+sessions.Sessions[0].Handle, nil).StatusCode)
		assert.JSONEq(t, `{"status":401}`, body(t, user.get("/api/get-session-status")))
		assert.Contains(t, logs.String(), "event=sessions_revoked")

		// End every session of a user at once.
		other := e.client()
		require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
		require.Equal(t, http.StatusOK, other.signIn("user@example.com", "user-password").StatusCode)
		assert.Equal(t, http.StatusForbidden, user.do("DELETE", "/api/admin/users/"+userID+"/sessions", nil).StatusCode)
		assert.Equal(t, http.StatusNotFound, admin.do("DELETE", "/api/admin/users/nobody/sessions", nil).StatusCode)
		require.Equal(t, http.StatusOK, admin.do("DELETE", "/api/admin/users/"+userID+"/sessions", nil).StatusCode)
		for _, c := range []*client{user, other} {
			assert.JSONEq(t, `{"status":401}`, body(t, c.get("/api/get-session-status")))
		}
		assert.JSONEq(t, `{"status":200}`, body(t, admin.get("/api/get-session-status")), "the admin's own session stays")
	})
}

func TestSecurityEventsAreLogged(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, withLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	c := e.client()
	c.signIn("user@example.com", "wrong")
	require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
	for range 6 {
		e.client().signIn("user@example.com", "wrong")
	}
	events := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		if ev, ok := rec["event"].(string); ok {
			events[ev]++
			assert.NotContains(t, line, "user-password")
			assert.NotContains(t, line, c.cookie().Value)
		}
	}
	assert.Equal(t, 6, events["signin_failure"])
	assert.Equal(t, 1, events["signin_success"])
	assert.Equal(t, 1, events["new_device"])
	assert.Equal(t, 1, events["signin_rate_limited"])
}

func TestNewAddressEvent(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		var logs bytes.Buffer
		e := newEnv(t, withStrategy(strategy), withLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		h := e.auth.Handler()
		do := func(method, path, body, from string, cookies []*http.Cookie) *http.Response {
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			req.RemoteAddr = from + ":1234"
			req.Header.Set("Content-Type", "application/json")
			for _, c := range cookies {
				req.AddCookie(c)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec.Result()
		}
		r := do("POST", "/api/auth/signin", `{"email":"user@example.com","password":"user-password"}`, "192.0.2.1", nil)
		require.Equal(t, http.StatusOK, r.StatusCode)
		cookies := r.Cookies()
		var refresh []*http.Cookie
		for _, c := range cookies {
			if c.Name == "__Secure-sg_refresh" {
				refresh = append(refresh, c)
			}
		}
		do("GET", "/api/get-session-status", "", "192.0.2.1", cookies)
		assert.NotContains(t, logs.String(), "event=new_address", "same address: nothing to say")
		if strategy == "jwt" {
			do("POST", "/api/auth/refresh", "", "198.51.100.2", refresh) // jwt reads the record on refresh
		} else {
			do("GET", "/api/get-session-status", "", "198.51.100.2", cookies)
			do("GET", "/api/get-session-status", "", "198.51.100.2", cookies)
		}
		assert.Equal(t, 1, strings.Count(logs.String(), "event=new_address"), "once per session and address")
		assert.Contains(t, logs.String(), "signed_in_from=192.0.2.1")
	})
}

// TestOneClientAddress: behind a trusted proxy, the address a session
// records at sign-in and the one the HTTP layer compares it with come from
// the one resolver the Manager holds, so a client that stays put raises no
// new_address, and the device list shows the client, not the proxy.
func TestOneClientAddress(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, withTrustedProxies("127.0.0.1", "::1"), withLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	from := []string{"X-Forwarded-For", "203.0.113.9"}
	c := e.client()
	require.Equal(t, http.StatusOK, c.postJSON("/api/auth/signin", map[string]string{"email": "user@example.com", "password": "user-password"}, from...).StatusCode)
	c.get("/api/get-session-status", from...)
	assert.NotContains(t, logs.String(), "event=new_address", "the same client, seen through the same proxy")
	var out devicesOut
	decode(t, c.get("/api/auth/sessions", from...), &out)
	require.Len(t, out.Sessions, 1)
	assert.Equal(t, "203.0.113.9", out.Sessions[0].ClientAddr)
	c.get("/api/get-session-status", "X-Forwarded-For", "198.51.100.2")
	assert.Contains(t, logs.String(), "event=new_address")
}

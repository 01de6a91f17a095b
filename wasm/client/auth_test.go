package client_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

func signInOK(sess *wire.Session, redirect string) func(client.Request) (*client.Response, error) {
	return answer(200, `{"session":`+mustJSON(sess)+`,"redirectUrl":`+mustJSON(redirect)+`}`)
}

func TestSignIn(t *testing.T) {
	tests := []struct {
		name   string
		answer func(client.Request) (*client.Response, error)
		want   client.Result
		url    string // where the page is afterwards
		sess   *wire.Session
	}{
		{"ok", signInOK(userSession, "/dashboard"), client.Result{OK: true, RedirectURL: "/dashboard", Status: 200}, "/dashboard", userSession},
		{"ok admin to admin", signInOK(adminSession, "/admin/users?x=1"), client.Result{OK: true, RedirectURL: "/admin/users?x=1", Status: 200}, "/admin/users?x=1", adminSession},
		{"ok user to admin", signInOK(userSession, "/admin"), client.Result{OK: true, RedirectURL: "/admin", Status: 200}, "/public?from=test", userSession},
		{"unsafe redirect", signInOK(userSession, "//evil.example/"), client.Result{OK: true, RedirectURL: "/", Status: 200}, "/", userSession},
		{"backslash redirect", signInOK(userSession, "/\\evil.example"), client.Result{OK: true, RedirectURL: "/", Status: 200}, "/", userSession},
		{"absolute redirect", signInOK(userSession, "https://evil.example/"), client.Result{OK: true, RedirectURL: "/", Status: 200}, "/", userSession},
		{"no redirect", answer(200, `{"session":`+mustJSON(userSession)+`}`), client.Result{OK: true, RedirectURL: "/", Status: 200}, "/", userSession},
		{"401", answer(401, `{"error":"invalid credentials"}`), client.Result{Error: client.MsgInvalidCredentials, Status: 401}, "/public?from=test", nil},
		{"429 seconds", answer(429, `{"error":"too many attempts"}`, "Retry-After", "42"), client.Result{Error: "Too many sign-in attempts. Try again in 42 seconds.", RetryAfter: 42, Status: 429}, "/public?from=test", nil},
		{"429 one second", answer(429, `{"error":"x"}`, "Retry-After", "1"), client.Result{Error: "Too many sign-in attempts. Try again in 1 second.", RetryAfter: 1, Status: 429}, "/public?from=test", nil},
		{"429 date", answer(429, `{"error":"x"}`, "Retry-After", t0.Add(90*time.Second).Format(time.RFC1123)), client.Result{Error: "Too many sign-in attempts. Try again in 90 seconds.", RetryAfter: 90, Status: 429}, "/public?from=test", nil},
		{"429 no header", answer(429, `{"error":"x"}`), client.Result{Error: "Too many sign-in attempts. Please wait a moment and try again.", Status: 429}, "/public?from=test", nil},
		{"429 not JSON", answer(429, `slow down`, "Retry-After", "5"), client.Result{Error: "Too many sign-in attempts. Try again in 5 seconds.", RetryAfter: 5, Status: 429}, "/public?from=test", nil},
		{"400", answer(400, `{"error":"malformed body"}`), client.Result{Error: "Malformed body.", Status: 400}, "/public?from=test", nil},
		{"400 without message", answer(400, `{}`), client.Result{Error: client.MsgBadAnswer, Status: 400}, "/public?from=test", nil},
		{"403", answer(403, `{}`), client.Result{Error: client.MsgRefused, Status: 403}, "/public?from=test", nil},
		{"413", answer(413, `{"error":"body too large"}`), client.Result{Error: client.MsgTooLarge, Status: 413}, "/public?from=test", nil},
		{"500", answer(500, `{"error":"internal"}`), client.Result{Error: client.MsgServer, Status: 500}, "/public?from=test", nil},
		{"502 html", answer(502, `<html>bad gateway</html>`), client.Result{Error: client.MsgServer, Status: 502}, "/public?from=test", nil},
		{"network", networkError, client.Result{Error: client.MsgNetwork}, "/public?from=test", nil},
		{"200 not JSON", answer(200, `ok`), client.Result{Error: client.MsgBadAnswer, Status: 200}, "/public?from=test", nil},
		{"200 no session", answer(200, `{"redirectUrl":"/"}`), client.Result{Error: client.MsgBadAnswer, Status: 200}, "/public?from=test", nil},
		{"200 bad session", answer(200, `{"session":{"user":{}},"redirectUrl":"/"}`), client.Result{Error: client.MsgBadAnswer, Status: 200}, "/public?from=test", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t)
			h.b.handle(wire.PathSignIn, tt.answer)
			got := h.c.SignIn("user@example.com", "user-password", "/dashboard")
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.url, h.b.url())
			assert.Equal(t, tt.sess, h.c.Session())
			req := h.b.lastRequest()
			if req.URL != wire.PathSignIn {
				req = h.b.requests[0]
			}
			assert.Equal(t, client.Request{Method: "POST", URL: wire.PathSignIn, Timeout: ms(15 * time.Second),
				Body: map[string]string{"email": "user@example.com", "password": "user-password", "redirectUrl": "/dashboard"}}, req)
			assert.Zero(t, h.b.count(wire.PathStatus), "sign-in needs no status check")
			if tt.sess != nil {
				assert.Equal(t, []*wire.Session{tt.sess}, h.b.broadcasts)
				assert.Equal(t, []any{tt.sess}, h.b.eventsNamed(client.EventChange))
				assert.Equal(t, tt.sess.User.Name, h.b.byID("name").Text())
			} else {
				assert.Empty(t, h.b.eventsNamed(client.EventChange))
			}
		})
	}
}

func TestSignInForbiddenRedirectIsBlocked(t *testing.T) {
	h := start(t)
	h.b.handle(wire.PathSignIn, signInOK(userSession, "/admin"))
	require.True(t, h.c.SignIn("user@example.com", "user-password", "/admin").OK)
	assert.Equal(t, []client.Blocked{{To: "/admin", Reason: client.ReasonForbidden}}, h.b.blocked())
}

func TestSignInFromCallbackPage(t *testing.T) {
	h := start(t, at("/?callbackUrl=%2Fdashboard"))
	h.b.handle(wire.PathSignIn, signInOK(userSession, "/dashboard"))
	require.True(t, h.c.SignIn("user@example.com", "user-password", "/dashboard").OK)
	assert.Equal(t, []string{"/?callbackUrl=%2Fdashboard", "/dashboard"}, h.b.history())
	assert.Equal(t, []string{"view-dashboard"}, h.visible(views...))
}

func TestSignOut(t *testing.T) {
	tests := []struct {
		name      string
		redirect  string
		answer    func(client.Request) (*client.Response, error)
		want      client.Result
		body      map[string]string
		url       string
		signedOut bool
	}{
		{"ok", "", answer(200, `{"redirectUrl":"/"}`), client.Result{OK: true, RedirectURL: "/", Status: 200}, map[string]string{}, "/", true},
		{"ok with redirect", "/public", answer(200, `{"redirectUrl":"/public"}`), client.Result{OK: true, RedirectURL: "/public", Status: 200}, map[string]string{"redirectUrl": "/public"}, "/public", true},
		{"unsafe answer", "/", answer(200, `{"redirectUrl":"//evil.example"}`), client.Result{OK: true, RedirectURL: "/", Status: 200}, map[string]string{"redirectUrl": "/"}, "/", true},
		{"body not JSON", "/public", answer(200, `ok`), client.Result{OK: true, RedirectURL: "/public", Status: 200}, map[string]string{"redirectUrl": "/public"}, "/public", true},
		{"to protected page", "/dashboard", answer(200, `{"redirectUrl":"/dashboard"}`), client.Result{OK: true, RedirectURL: "/dashboard", Status: 200}, map[string]string{"redirectUrl": "/dashboard"}, "/?callbackUrl=%2Fdashboard", true},
		{"network", "", networkError, client.Result{Error: client.MsgNetwork}, map[string]string{}, "/dashboard", false},
		{"500", "", answer(500, `{"error":"x"}`), client.Result{Error: client.MsgServer, Status: 500}, map[string]string{}, "/dashboard", false},
		{"403", "", answer(403, `{"error":"cross-origin request refused"}`), client.Result{Error: "Cross-origin request refused.", Status: 403}, map[string]string{}, "/dashboard", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, as(userSession), at("/dashboard"))
			h.b.handle(wire.PathSignOut, tt.answer)
			assert.Equal(t, tt.want, h.c.SignOut(tt.redirect))
			assert.Equal(t, tt.body, h.b.requests[0].Body)
			assert.Equal(t, "POST", h.b.requests[0].Method)
			assert.Equal(t, tt.url, h.b.url())
			assert.Zero(t, h.b.count(wire.PathStatus))
			if tt.signedOut {
				assert.Nil(t, h.c.Session())
				assert.Equal(t, []*wire.Session{nil}, h.b.broadcasts)
			} else {
				assert.Equal(t, userSession, h.c.Session())
				assert.Empty(t, h.b.broadcasts)
			}
		})
	}
}

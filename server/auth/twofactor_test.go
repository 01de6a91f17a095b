package auth_test

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/auth"
	"github.com/sessionguard/sessionguard/server/metrics"
	"github.com/sessionguard/sessionguard/wire"
)

// The second factor through the API, built by app.New under both
// strategies: enrolment, the two-step sign-in with a code and with a
// recovery code, replays, the limits, freshness and the aal2 rules.

// totpAt is the TOTP code of secret at t.
func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	require.NoError(t, err)
	return code
}

// pass moves the clock on by d in steps short enough for a jwt access
// token, reading the session at each so it stays alive (as a page's
// status checks would).
func (e *env) pass(d time.Duration, clients ...*client) {
	for d > 0 {
		step := min(d, 3*time.Minute)
		e.clock.Add(step)
		d -= step
		for _, c := range clients {
			c.get("/api/session").Body.Close()
		}
	}
}

// enrol sets up and confirms TOTP for the client's account and returns the
// secret and the recovery codes; the clock moves on a step after, so the
// next code is of a later step.
func (c *client) enrol(t *testing.T) (string, []string) {
	t.Helper()
	var setup wire.TOTPSetupResponse
	r := c.postJSON(wire.PathTOTPSetup, struct{}{})
	require.Equal(t, http.StatusOK, r.StatusCode)
	decode(t, r, &setup)
	r = c.postJSON(wire.PathTOTPConfirm, wire.CodeRequest{Code: totpAt(t, setup.Secret, c.e.clock.Now())})
	require.Equal(t, http.StatusOK, r.StatusCode)
	var rc wire.RecoveryCodesResponse
	decode(t, r, &rc)
	c.e.clock.Add(30 * time.Second)
	return setup.Secret, rc.RecoveryCodes
}

// challengeCookie is the client's second-factor challenge cookie, or nil.
func (c *client) challengeCookie() *http.Cookie {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cookies[auth.ChallengeCookieName]
}

func (c *client) verify(in wire.TwoFactorVerifyRequest) *http.Response {
	return c.postJSON(wire.PathTwoFactorCheck, in)
}

func (c *client) session(t *testing.T) *wire.Session {
	t.Helper()
	var s *wire.Session
	r := c.get("/api/session")
	require.Equal(t, http.StatusOK, r.StatusCode)
	decode(t, r, &s)
	return s
}

// errorOf decodes an error answer.
func errorOf(t *testing.T, r *http.Response) wire.Error {
	t.Helper()
	var e wire.Error
	decode(t, r, &e)
	return e
}

func TestTwoFactorEnrolment(t *testing.T) {
	forBackends(t, func(t *testing.T, strategy string, on option) {
		var logs bytes.Buffer
		e := newEnv(t, on, withStrategy(strategy), withLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)

		// Confirm before any setup.
		r := c.postJSON(wire.PathTOTPConfirm, wire.CodeRequest{Code: "123456"})
		assert.Equal(t, http.StatusBadRequest, r.StatusCode)
		r.Body.Close()

		r = c.postJSON(wire.PathTOTPSetup, struct{}{})
		require.Equal(t, http.StatusOK, r.StatusCode)
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		var setup wire.TOTPSetupResponse
		decode(t, r, &setup)
		assert.Regexp(t, `^[A-Z2-7]{32}$`, setup.Secret)
		assert.True(t, strings.HasPrefix(setup.URI, "otpauth://totp/"), setup.URI)
		assert.Contains(t, setup.URI, "secret="+setup.Secret)
		require.True(t, strings.HasPrefix(setup.QR, "data:image/png;base64,"))
		png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(setup.QR, "data:image/png;base64,"))
		require.NoError(t, err)
		assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")), "a PNG image")

		// Not on until confirmed: sign-in still needs the password only.
		other := e.client()
		r = other.signIn("user@example.com", "user-password")
		require.Equal(t, http.StatusOK, r.StatusCode)
		assert.Equal(t, "aal1", other.session(t).AAL)

		// A wrong code: 400, still pending.
		r = c.postJSON(wire.PathTOTPConfirm, wire.CodeRequest{Code: totpAt(t, setup.Secret, e.clock.Now().Add(-10*time.Minute))})
		assert.Equal(t, http.StatusBadRequest, r.StatusCode)
		assert.NotEmpty(t, errorOf(t, r).Error)

		r = c.postJSON(wire.PathTOTPConfirm, wire.CodeRequest{Code: totpAt(t, setup.Secret, e.clock.Now())})
		require.Equal(t, http.StatusOK, r.StatusCode)
		var rc wire.RecoveryCodesResponse
		decode(t, r, &rc)
		assert.Len(t, rc.RecoveryCodes, 10)
		assert.Contains(t, logs.String(), `"event":"two_factor_enabled"`)
		assert.NotContains(t, logs.String(), setup.Secret, "the secret was logged")

		// On: setting up again is refused until it is disabled.
		r = c.postJSON(wire.PathTOTPSetup, struct{}{})
		assert.Equal(t, http.StatusConflict, r.StatusCode)
		r.Body.Close()

		// The enrolling session stays signed in; a new sign-in needs the code.
		assert.NotNil(t, c.session(t))
		r = e.client().signIn("user@example.com", "user-password")
		require.Equal(t, http.StatusOK, r.StatusCode)
		assert.JSONEq(t, `{"twoFactorRequired":true,"methods":["totp","recovery"]}`, body(t, r))
	})
}

func TestTwoFactorSignInWithCode(t *testing.T) {
	forBackends(t, func(t *testing.T, strategy string, on option) {
		e := newEnv(t, on, withStrategy(strategy))
		owner := e.client()
		require.Equal(t, http.StatusOK, owner.signIn("user@example.com", "user-password").StatusCode)
		secret, _ := owner.enrol(t)

		c := e.client()
		r := c.postJSON(wire.PathSignIn, map[string]string{"email": "user@example.com", "password": "user-password", "redirectUrl": "/dashboard"})
		require.Equal(t, http.StatusOK, r.StatusCode)
		assert.JSONEq(t, `{"twoFactorRequired":true,"methods":["totp","recovery"]}`, body(t, r))
		assert.Nil(t, c.cookie(), "a session cookie before the second factor")
		var challenge *http.Cookie
		for _, ck := range r.Cookies() {
			if ck.Name == auth.ChallengeCookieName {
				challenge = ck
			}
		}
		require.NotNil(t, challenge, "no challenge cookie")
		assert.True(t, challenge.HttpOnly, "HttpOnly")
		assert.True(t, challenge.Secure, "Secure")
		assert.Equal(t, http.SameSiteStrictMode, challenge.SameSite)
		assert.Equal(t, "/", challenge.Path)
		assert.Positive(t, challenge.MaxAge)
		assert.LessOrEqual(t, challenge.MaxAge, 300)
		assert.Nil(t, c.session(t), "signed in before the second factor")

		// The code completes it: an aal2 session under a new cookie.
		code := totpAt(t, secret, e.clock.Now())
		r = c.verify(wire.TwoFactorVerifyRequest{Code: code})
		require.Equal(t, http.StatusOK, r.StatusCode)
		var out wire.SignInResponse
		decode(t, r, &out)
		require.NotNil(t, out.Session)
		assert.Equal(t, "aal2", out.Session.AAL)
		assert.Equal(t, wire.UnixTime(e.clock.Now().Unix()), out.Session.AuthenticatedAt)
		assert.Equal(t, "/dashboard", out.RedirectURL)
		require.NotNil(t, c.cookie())
		assert.Nil(t, c.challengeCookie(), "the challenge cookie was not cleared")
		assert.Equal(t, "aal2", c.session(t).AAL)

		// The challenge is single-use: the same cookie again, with a new code.
		replay := e.client()
		replay.cookies[auth.ChallengeCookieName] = challenge
		e.clock.Add(30 * time.Second)
		r = replay.verify(wire.TwoFactorVerifyRequest{Code: totpAt(t, secret, e.clock.Now())})
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode, "a spent challenge")
		r.Body.Close()
		// ... and the code it carried is not used up: it still signs in.
		fresh := e.client()
		require.Equal(t, http.StatusOK, fresh.signIn("user@example.com", "user-password").StatusCode)
		r = fresh.verify(wire.TwoFactorVerifyRequest{Code: totpAt(t, secret, e.clock.Now())})
		assert.Equal(t, http.StatusOK, r.StatusCode, "the code tried with a spent challenge was used up")
		r.Body.Close()
		e.clock.Add(30 * time.Second)

		// The code is single-use: a new attempt with the accepted code.
		again := e.client()
		require.Equal(t, http.StatusOK, again.signIn("user@example.com", "user-password").StatusCode)
		r = again.verify(wire.TwoFactorVerifyRequest{Code: code})
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode, "a replayed code")
		assert.NotEmpty(t, errorOf(t, r).Error)
		assert.Nil(t, again.cookie())

		// Without a challenge, or with a forged one.
		r = e.client().verify(wire.TwoFactorVerifyRequest{Code: totpAt(t, secret, e.clock.Now())})
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
		r.Body.Close()
		forged := e.client()
		forged.cookies[auth.ChallengeCookieName] = &http.Cookie{Name: auth.ChallengeCookieName, Value: strings.Replace(challenge.Value, "A", "B", 1) + "x"}
		r = forged.verify(wire.TwoFactorVerifyRequest{Code: totpAt(t, secret, e.clock.Now())})
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
		r.Body.Close()

		// Expired after five minutes.
		late := e.client()
		require.Equal(t, http.StatusOK, late.signIn("user@example.com", "user-password").StatusCode)
		e.clock.Add(5*time.Minute + time.Second)
		r = late.verify(wire.TwoFactorVerifyRequest{Code: totpAt(t, secret, e.clock.Now())})
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode, "an expired challenge")
		r.Body.Close()

		// Missing code: 400.
		r = late.verify(wire.TwoFactorVerifyRequest{})
		assert.Equal(t, http.StatusBadRequest, r.StatusCode)
		r.Body.Close()
	})
}

func TestTwoFactorSignInWithRecoveryCode(t *testing.T) {
	forBackends(t, func(t *testing.T, strategy string, on option) {
		var logs bytes.Buffer
		e := newEnv(t, on, withStrategy(strategy), withLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
		owner := e.client()
		require.Equal(t, http.StatusOK, owner.signIn("user@example.com", "user-password").StatusCode)
		_, codes := owner.enrol(t)

		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		r := c.verify(wire.TwoFactorVerifyRequest{RecoveryCode: codes[3]})
		require.Equal(t, http.StatusOK, r.StatusCode)
		var out wire.SignInResponse
		decode(t, r, &out)
		assert.Equal(t, "aal2", out.Session.AAL)
		assert.Contains(t, logs.String(), `"event":"recovery_code_used"`)
		assert.NotContains(t, logs.String(), codes[3], "the recovery code was logged")

		// Used once only.
		again := e.client()
		require.Equal(t, http.StatusOK, again.signIn("user@example.com", "user-password").StatusCode)
		r = again.verify(wire.TwoFactorVerifyRequest{RecoveryCode: codes[3]})
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode, "a used recovery code")
		r.Body.Close()
		r = again.verify(wire.TwoFactorVerifyRequest{RecoveryCode: codes[4]})
		assert.Equal(t, http.StatusOK, r.StatusCode, "another one")
		r.Body.Close()
	})
}

func TestTwoFactorWrongCodesAreLimited(t *testing.T) {
	forBackends(t, func(t *testing.T, strategy string, on option) {
		e := newEnv(t, on, withStrategy(strategy))
		owner := e.client()
		require.Equal(t, http.StatusOK, owner.signIn("user@example.com", "user-password").StatusCode)
		secret, _ := owner.enrol(t)

		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		wrong := totpAt(t, secret, e.clock.Now().Add(-time.Hour))
		for i := range 5 {
			r := c.verify(wire.TwoFactorVerifyRequest{Code: wrong})
			require.Equal(t, http.StatusUnauthorized, r.StatusCode, "wrong code %d", i+1)
			r.Body.Close()
		}
		r := c.verify(wire.TwoFactorVerifyRequest{Code: totpAt(t, secret, e.clock.Now())})
		assert.Equal(t, http.StatusTooManyRequests, r.StatusCode, "the 6th try, right or not")
		n, err := strconv.Atoi(r.Header.Get("Retry-After"))
		require.NoError(t, err)
		assert.Positive(t, n)
		r.Body.Close()
		// The right password does not lift the limit on codes.
		r = e.client().signIn("user@example.com", "user-password")
		assert.Equal(t, http.StatusTooManyRequests, r.StatusCode, "a sign-in with the password reset the code limit")
		r.Body.Close()

		// Once the wait is over, the right code completes the sign-in.
		e.clock.Add(time.Duration(n)*time.Second + 30*time.Second)
		d := e.client()
		require.Equal(t, http.StatusOK, d.signIn("user@example.com", "user-password").StatusCode)
		r = d.verify(wire.TwoFactorVerifyRequest{Code: totpAt(t, secret, e.clock.Now())})
		assert.Equal(t, http.StatusOK, r.StatusCode)
		r.Body.Close()
	})
}

func TestFreshnessOfSensitiveRequests(t *testing.T) {
	forBackends(t, func(t *testing.T, strategy string, on option) {
		e := newEnv(t, on, withStrategy(strategy))
		user, admin := e.client(), e.client()
		require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
		require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)
		userID := user.session(t).User.ID

		e.pass(11*time.Minute, user, admin) // past the fresh age (10 minutes)
		sensitive := []struct {
			name string
			c    *client
			do   func(c *client) *http.Response
		}{
			{"password change", user, func(c *client) *http.Response {
				return c.postJSON(wire.PathPassword, map[string]string{"currentPassword": "user-password", "newPassword": "another-password"})
			}},
			{"2FA setup", user, func(c *client) *http.Response { return c.postJSON(wire.PathTOTPSetup, struct{}{}) }},
			{"ending other sessions", user, func(c *client) *http.Response { return c.postJSON(wire.PathRevokeOthers, struct{}{}) }},
			{"ending a session", user, func(c *client) *http.Response { return c.do("DELETE", wire.PathSessions+"/nohandle", nil) }},
			{"admin: change a role", admin, func(c *client) *http.Response {
				return c.do("PATCH", wire.PathAdminUsers+"/"+userID, jsonBody(`{"role":"admin"}`), "Content-Type", "application/json")
			}},
			{"admin: end a user's sessions", admin, func(c *client) *http.Response {
				return c.do("DELETE", wire.PathAdminUsers+"/"+userID+"/sessions", nil)
			}},
		}
		for _, s := range sensitive {
			r := s.do(s.c)
			assert.Equal(t, http.StatusForbidden, r.StatusCode, s.name)
			eo := errorOf(t, r)
			assert.Equal(t, "reauth_required", eo.Code, s.name)
			assert.NotEmpty(t, eo.Error, s.name)
		}
		// Reads stay open.
		r := admin.get(wire.PathAdminUsers)
		assert.Equal(t, http.StatusOK, r.StatusCode)
		r.Body.Close()

		// Re-authentication: wrong password 401; right one rotates the
		// session, authenticated now, the absolute cap unchanged.
		r = user.postJSON(wire.PathReauth, wire.ReauthRequest{Password: "wrong-password"})
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
		r.Body.Close()
		before := user.cookie().Value
		r = user.postJSON(wire.PathReauth, wire.ReauthRequest{Password: "user-password"})
		require.Equal(t, http.StatusOK, r.StatusCode)
		var out wire.RefreshResponse
		decode(t, r, &out)
		assert.Equal(t, wire.UnixTime(e.clock.Now().Unix()), out.Session.AuthenticatedAt)
		assert.Equal(t, "aal1", out.Session.AAL)
		assert.NotEqual(t, before, user.cookie().Value, "the session id was not rotated")
		stale := e.client()
		stale.cookies[user.cookie().Name] = &http.Cookie{Name: user.cookie().Name, Value: before}
		assert.Nil(t, stale.session(t), "the old session id still works")

		for _, s := range sensitive[:3] { // the user's, now fresh
			if s.c != user {
				continue
			}
			r := s.do(user)
			assert.Less(t, r.StatusCode, 400, "%s after re-authenticating", s.name)
			r.Body.Close()
		}
		require.Equal(t, http.StatusOK, admin.postJSON(wire.PathReauth, wire.ReauthRequest{Password: "admin-password"}).StatusCode)
		r = sensitive[4].do(admin)
		assert.Equal(t, http.StatusOK, r.StatusCode, "admin write after re-authenticating")
		r.Body.Close()

		// Without a session: 401, not a freshness refusal.
		r = e.client().postJSON(wire.PathReauth, wire.ReauthRequest{Password: "user-password"})
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
		r.Body.Close()
	})
}

func TestAAL2PathsAndDisable(t *testing.T) {
	forBackends(t, func(t *testing.T, strategy string, on option) {
		e := newEnv(t, on, withStrategy(strategy), func(o *envOptions) {
			o.app.AAL2Paths = []string{"/billing/*", wire.PathSessions}
		})
		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)

		page := func() *http.Response {
			return c.get("/billing/invoices?year=2026", "Accept", "text/html", "Sec-Fetch-Mode", "navigate")
		}
		r := page()
		assert.Equal(t, http.StatusSeeOther, r.StatusCode)
		assert.Equal(t, "/?callbackUrl=%2Fbilling%2Finvoices%3Fyear%3D2026&stepUp=1", r.Header.Get("Location"))
		r.Body.Close()
		r = c.get(wire.PathSessions)
		assert.Equal(t, http.StatusForbidden, r.StatusCode)
		assert.Equal(t, "aal2_required", errorOf(t, r).Code)
		r = c.postJSON(wire.PathTOTPDisable, wire.CodeRequest{Code: "123456"})
		assert.Equal(t, http.StatusForbidden, r.StatusCode)
		assert.Equal(t, "aal2_required", errorOf(t, r).Code)

		// Enrol, then step up by re-authenticating with a code.
		secret, _ := c.enrol(t)
		r = c.postJSON(wire.PathReauth, wire.ReauthRequest{Password: "user-password"})
		assert.Equal(t, http.StatusBadRequest, r.StatusCode, "re-authentication without the code")
		r.Body.Close()
		r = c.postJSON(wire.PathReauth, wire.ReauthRequest{Password: "user-password", Code: "000000"})
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode, "a wrong code")
		r.Body.Close()
		r = c.postJSON(wire.PathReauth, wire.ReauthRequest{Password: "user-password", Code: totpAt(t, secret, e.clock.Now())})
		require.Equal(t, http.StatusOK, r.StatusCode)
		var out wire.RefreshResponse
		decode(t, r, &out)
		assert.Equal(t, "aal2", out.Session.AAL)

		r = page()
		assert.Equal(t, http.StatusOK, r.StatusCode)
		r.Body.Close()
		r = c.get(wire.PathSessions)
		assert.Equal(t, http.StatusOK, r.StatusCode)
		r.Body.Close()

		// Disabling: a wrong code is 401; then fresh aal2 with the right one.
		e.clock.Add(30 * time.Second)
		r = c.postJSON(wire.PathTOTPDisable, wire.CodeRequest{Code: totpAt(t, secret, e.clock.Now().Add(-time.Hour))})
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
		r.Body.Close()
		e.pass(11*time.Minute, c)
		r = c.postJSON(wire.PathTOTPDisable, wire.CodeRequest{Code: totpAt(t, secret, e.clock.Now())})
		assert.Equal(t, http.StatusForbidden, r.StatusCode, "disabling from a stale session")
		assert.Equal(t, "reauth_required", errorOf(t, r).Code)
		r = c.postJSON(wire.PathReauth, wire.ReauthRequest{Password: "user-password", Code: totpAt(t, secret, e.clock.Now())})
		require.Equal(t, http.StatusOK, r.StatusCode)
		r.Body.Close()
		e.clock.Add(30 * time.Second)
		r = c.postJSON(wire.PathTOTPDisable, wire.CodeRequest{Code: totpAt(t, secret, e.clock.Now())})
		assert.Equal(t, http.StatusOK, r.StatusCode)
		assert.JSONEq(t, `{}`, body(t, r))

		// Off: the password alone signs in again.
		d := e.client()
		r = d.signIn("user@example.com", "user-password")
		require.Equal(t, http.StatusOK, r.StatusCode)
		var si wire.SignInResponse
		decode(t, r, &si)
		require.NotNil(t, si.Session)
		assert.Equal(t, "aal1", si.Session.AAL)
	})
}

func TestTwoFactorChallengeHonoursInsecureCookies(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.app.InsecureCookies = true })
	owner := e.client()
	require.Equal(t, http.StatusOK, owner.signIn("user@example.com", "user-password").StatusCode)
	secret, _ := owner.enrol(t)

	c := e.client()
	r := c.signIn("user@example.com", "user-password")
	require.Equal(t, http.StatusOK, r.StatusCode)
	r.Body.Close()
	var challenge *http.Cookie
	for _, ck := range r.Cookies() {
		assert.NotEqual(t, auth.ChallengeCookieName, ck.Name, "the __Host- name over plain http")
		if ck.Name == auth.InsecureChallengeCookieName {
			challenge = ck
		}
	}
	require.NotNil(t, challenge)
	assert.False(t, challenge.Secure)
	assert.True(t, challenge.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, challenge.SameSite)
	r = c.verify(wire.TwoFactorVerifyRequest{Code: totpAt(t, secret, e.clock.Now())})
	assert.Equal(t, http.StatusOK, r.StatusCode)
	r.Body.Close()
}

func TestTwoFactorChangeIsALiveEvent(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		watcher, actor := e.client(), e.client()
		require.Equal(t, http.StatusOK, watcher.signIn("user@example.com", "user-password").StatusCode)
		require.Equal(t, http.StatusOK, actor.signIn("user@example.com", "user-password").StatusCode)
		stream := watcher.openEvents(t)
		defer stream.close()
		typ, _ := stream.next()
		require.Equal(t, "ready", typ)
		secret, _ := actor.enrol(t)
		typ, data := stream.next()
		assert.Equal(t, "two-factor-changed", typ, "turned on on another device")
		assert.Contains(t, data, `"type":"two-factor-changed"`)

		// Turned off on another device: the open page hears it too.
		require.Equal(t, http.StatusOK, actor.postJSON(wire.PathReauth,
			wire.ReauthRequest{Password: "user-password", Code: totpAt(t, secret, e.clock.Now())}).StatusCode)
		e.clock.Add(30 * time.Second)
		require.Equal(t, http.StatusOK, actor.postJSON(wire.PathTOTPDisable,
			wire.CodeRequest{Code: totpAt(t, secret, e.clock.Now())}).StatusCode)
		// The actor's re-authentication replaced its session: the device
		// list changed (sessions-changed) before the factor did.
		typ, _ = stream.next()
		for typ == "sessions-changed" {
			typ, _ = stream.next()
		}
		assert.Equal(t, "two-factor-changed", typ, "turned off on another device")
	})
}

// TestTwoFactorPlainForm: a sign-in by a plain HTML form (no script) goes
// back to its page with ?error=TwoFactorRequired, whose shell shows the
// code form; the form-encoded code completes it with a 303 to the
// redirect the sign-in asked for, and a wrong one goes back with
// ?error=TwoFactorInvalid, the challenge still standing.
func TestTwoFactorPlainForm(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy), withShell(`<!doctype html><html><head><title>t</title></head><body>`+
			`<div id="step" data-sg-error="TwoFactorRequired">code form</div>`+
			`<div id="again" data-sg-error="TwoFactorInvalid">wrong code</div></body></html>`))
		owner := e.client()
		require.Equal(t, http.StatusOK, owner.signIn("user@example.com", "user-password").StatusCode)
		secret, _ := owner.enrol(t)

		c := e.client()
		r := c.formPost(wire.PathSignIn, "/ssr-login", "email", "user@example.com", "password", "user-password", "redirectUrl", "/dashboard")
		require.Equal(t, http.StatusSeeOther, r.StatusCode)
		assert.Equal(t, "/ssr-login?error=TwoFactorRequired", r.Header.Get("Location"))
		assert.Nil(t, c.cookie(), "a session before the second step")
		require.NotNil(t, c.challengeCookie())
		page := body(t, c.get("/ssr-login?error=TwoFactorRequired", "Accept", "text/html"))
		assert.Contains(t, page, `<div id="step" data-sg-error="TwoFactorRequired">code form`, "the code form is shown")
		assert.Contains(t, page, `<div hidden id="again"`)

		r = c.formPost(wire.PathTwoFactorCheck, "/ssr-login?error=TwoFactorRequired", "code", totpAt(t, secret, e.clock.Now().Add(-time.Hour)))
		require.Equal(t, http.StatusSeeOther, r.StatusCode)
		assert.Equal(t, "/ssr-login?error=TwoFactorInvalid", r.Header.Get("Location"))

		r = c.formPost(wire.PathTwoFactorCheck, "/ssr-login?error=TwoFactorInvalid", "code", totpAt(t, secret, e.clock.Now()))
		require.Equal(t, http.StatusSeeOther, r.StatusCode)
		assert.Equal(t, "/dashboard", r.Header.Get("Location"))
		require.NotNil(t, c.cookie())
		assert.Equal(t, "aal2", c.session(t).AAL)
	})
}

// TestRequire2FARoles: an account of a role that must have a second factor
// and has none gets a session limited to enrolment.
func TestRequire2FARoles(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy), func(o *envOptions) { o.app.Require2FARoles = []string{"admin"} })
		admin := e.client()
		r := admin.signIn("admin@example.com", "admin-password")
		require.Equal(t, http.StatusOK, r.StatusCode)
		var si wire.SignInResponse
		decode(t, r, &si)
		require.NotNil(t, si.Session)
		assert.True(t, si.Session.EnrollmentRequired)
		assert.True(t, admin.session(t).EnrollmentRequired)

		for _, path := range []string{wire.PathAdminUsers, wire.PathSessions} {
			r = admin.get(path)
			assert.Equal(t, http.StatusForbidden, r.StatusCode, path)
			assert.Equal(t, "enrollment_required", errorOf(t, r).Code, path)
		}
		page := func(path string) *http.Response {
			return admin.get(path, "Accept", "text/html", "Sec-Fetch-Mode", "navigate")
		}
		r = page("/admin")
		assert.Equal(t, http.StatusSeeOther, r.StatusCode)
		assert.Equal(t, "/account", r.Header.Get("Location"))
		r = page("/account")
		assert.Equal(t, http.StatusOK, r.StatusCode, "the enrolment page")
		r = page("/public")
		assert.Equal(t, http.StatusOK, r.StatusCode, "public pages stay open")

		// Other roles are not limited.
		user := e.client()
		require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
		assert.False(t, user.session(t).EnrollmentRequired)
		r = user.get(wire.PathSessions)
		assert.Equal(t, http.StatusOK, r.StatusCode)
		r.Body.Close()

		// Enrolling lifts the limit, for this session too.
		admin.enrol(t)
		assert.False(t, admin.session(t).EnrollmentRequired)
		r = admin.get(wire.PathAdminUsers)
		assert.Equal(t, http.StatusOK, r.StatusCode)
		r.Body.Close()
		r = page("/admin")
		assert.Equal(t, http.StatusOK, r.StatusCode)
		r.Body.Close()

		// Sign-out works for a limited session.
		limited := e.client()
		e.store.Store.DeleteSecondFactor(t.Context(), admin.session(t).User.ID)
		require.Equal(t, http.StatusOK, limited.signIn("admin@example.com", "admin-password").StatusCode)
		assert.True(t, limited.session(t).EnrollmentRequired)
		r = limited.postJSON(wire.PathSignOut, struct{}{})
		assert.Equal(t, http.StatusOK, r.StatusCode)
		assert.Nil(t, limited.session(t))
	})
}

// TestJWTRefreshKeepsAAL2: under jwt, the tokens a refresh gives keep the
// session's assurance level and the time of the second-factor sign-in.
func TestJWTRefreshKeepsAAL2(t *testing.T) {
	e := newEnv(t, withStrategy("jwt"))
	owner := e.client()
	require.Equal(t, http.StatusOK, owner.signIn("user@example.com", "user-password").StatusCode)
	secret, _ := owner.enrol(t)

	c := e.client()
	require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
	signedIn := e.clock.Now()
	r := c.verify(wire.TwoFactorVerifyRequest{Code: totpAt(t, secret, signedIn)})
	require.Equal(t, http.StatusOK, r.StatusCode)
	r.Body.Close()
	e.clock.Add(4 * time.Minute)
	r = c.refresh()
	require.Equal(t, http.StatusOK, r.StatusCode)
	var out wire.RefreshResponse
	decode(t, r, &out)
	assert.Equal(t, "aal2", out.Session.AAL)
	assert.Equal(t, wire.UnixTime(signedIn.Unix()), out.Session.AuthenticatedAt)
	e.clock.Add(4 * time.Minute)
	s := c.session(t)
	require.NotNil(t, s, "the refreshed access token")
	assert.Equal(t, "aal2", s.AAL)
	assert.Equal(t, wire.UnixTime(signedIn.Unix()), s.AuthenticatedAt)
}

// TestTwoFactorSignInMetrics: the password step of an enrolled account is
// counted as second_factor, and its code step as the sign-in's outcome.
func TestTwoFactorSignInMetrics(t *testing.T) {
	m := metrics.New()
	e := newEnv(t, withMetrics(m))
	owner := e.client()
	require.Equal(t, http.StatusOK, owner.signIn("user@example.com", "user-password").StatusCode)
	secret, _ := owner.enrol(t)
	c := e.client()
	require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
	c.verify(wire.TwoFactorVerifyRequest{Code: "000000"}).Body.Close()
	require.Equal(t, http.StatusOK, c.verify(wire.TwoFactorVerifyRequest{Code: totpAt(t, secret, e.clock.Now())}).StatusCode)

	text := body(t, c.get("/metrics"))
	assert.Equal(t, 1.0, metricValue(t, text, `sessionguard_signins_total{outcome="second_factor"}`))
	assert.Equal(t, 2.0, metricValue(t, text, `sessionguard_signins_total{outcome="success"}`), "the owner's and the code step's")
	assert.Equal(t, 1.0, metricValue(t, text, `sessionguard_signins_total{outcome="failure"}`), "the wrong code")
}

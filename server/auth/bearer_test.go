package auth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/auth"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/wire"
)

// Bearer mode (-bearer): clients without cookies get their tokens in the
// body of the token endpoints and send `Authorization: Bearer`; the two
// transports never mix.

func withBearer() option { return func(o *envOptions) { o.app.Bearer = true } }

// bearer is a client without cookies: it sends token as a bearer token and
// fails the test on any answer that sets a cookie.
type bearer struct {
	e     *env
	token string
}

func (b *bearer) do(method, path string, in any, hdr ...string) *http.Response {
	b.e.t.Helper()
	if b.token != "" {
		hdr = append(hdr, "Authorization", "Bearer "+b.token)
	}
	c := b.e.client()
	var r *http.Response
	if in != nil {
		r = c.postJSON(path, in, hdr...)
		if method != http.MethodPost {
			b.e.t.Fatalf("bearer.do: a body only with POST")
		}
	} else {
		r = c.do(method, path, nil, hdr...)
	}
	assert.Empty(b.e.t, r.Header.Values("Set-Cookie"), "%s %s set a cookie for a bearer-mode client", method, path)
	return r
}

// signInBearer signs in at the token endpoint and returns the answer's
// tokens.
func (e *env) signInBearer(email, password string) *wire.Tokens {
	e.t.Helper()
	r := (&bearer{e: e}).do(http.MethodPost, wire.PathToken, map[string]string{"email": email, "password": password})
	require.Equal(e.t, http.StatusOK, r.StatusCode)
	var out wire.SignInResponse
	decode(e.t, r, &out)
	require.NotNil(e.t, out.Session)
	require.NotNil(e.t, out.Tokens, "no tokens in the body")
	assert.Equal(e.t, email, out.Session.User.Email)
	return out.Tokens
}

// sessionOf reads GET /api/session with the bearer token (nil: none).
func (b *bearer) session() *wire.Session {
	b.e.t.Helper()
	r := b.do(http.MethodGet, wire.PathSession, nil)
	require.Equal(b.e.t, http.StatusOK, r.StatusCode)
	var s *wire.Session
	decode(b.e.t, r, &s)
	return s
}

func TestBearerMode(t *testing.T) {
	forBackends(t, func(t *testing.T, strategy string, on option) {
		e := newEnv(t, on, withStrategy(strategy), withBearer())
		tok := e.signInBearer("user@example.com", "user-password")
		assert.Equal(t, "Bearer", tok.TokenType)
		require.NotEmpty(t, tok.AccessToken)
		if strategy == "jwt" {
			assert.NotEmpty(t, tok.RefreshToken)
			assert.Equal(t, wire.UnixTime(e.clock.Now().Add(5*time.Minute).Unix()), tok.AccessExpires)
		} else {
			assert.Empty(t, tok.RefreshToken, "the database strategy has no refresh token")
			assert.True(t, tok.AccessExpires.IsZero())
		}

		b := &bearer{e: e, token: tok.AccessToken}
		s := b.session()
		require.NotNil(t, s)
		assert.Equal(t, "user@example.com", s.User.Email)
		r := b.do(http.MethodGet, wire.PathStatus, nil)
		assert.Equal(t, http.StatusOK, r.StatusCode)
		assert.JSONEq(t, `{"status":200}`, body(t, r))
		r = b.do(http.MethodGet, wire.PathSessions, nil)
		assert.Equal(t, http.StatusOK, r.StatusCode, "a signed-in route")
		r.Body.Close()

		// Reads go on past the update age without a new token: the
		// client renews with its refresh token (jwt), and rolling
		// expiry moves as with cookies.
		e.clock.Add(2 * time.Minute)
		s = b.session()
		require.NotNil(t, s, "the token stopped working before its end")
		assert.Equal(t, wire.UnixTime(e.clock.Now().Add(30*time.Minute).Unix()), s.Expires)

		if strategy == "jwt" {
			// The refresh token buys new tokens, in the body.
			r = (&bearer{e: e}).do(http.MethodPost, wire.PathTokenRefresh, wire.TokenRefreshRequest{RefreshToken: tok.RefreshToken})
			require.Equal(t, http.StatusOK, r.StatusCode)
			var out wire.RefreshResponse
			decode(t, r, &out)
			require.NotNil(t, out.Tokens)
			require.NotNil(t, out.Session)
			assert.NotEqual(t, tok.RefreshToken, out.Tokens.RefreshToken)
			assert.NotEqual(t, tok.AccessToken, out.Tokens.AccessToken)
			assert.Equal(t, wire.UnixTime(e.clock.Now().Add(5*time.Minute).Unix()), out.Tokens.AccessExpires)
			// The access token lives its five minutes and no longer.
			e.clock.Add(4 * time.Minute)
			nb := &bearer{e: e, token: out.Tokens.AccessToken}
			require.NotNil(t, nb.session())
			e.clock.Add(2 * time.Minute)
			assert.Nil(t, nb.session(), "an access token past its exp")
			r = nb.do(http.MethodGet, wire.PathSessions, nil)
			assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
			assert.Equal(t, `Bearer realm="sessionguard", error="invalid_token"`, r.Header.Get("WWW-Authenticate"))
			r.Body.Close()

			// A refresh token works once: redeemed again, it ends the
			// session (and its newer refresh token with it).
			r = (&bearer{e: e}).do(http.MethodPost, wire.PathTokenRefresh, wire.TokenRefreshRequest{RefreshToken: tok.RefreshToken})
			assert.Equal(t, http.StatusUnauthorized, r.StatusCode, "a reused refresh token")
			r.Body.Close()
			r = (&bearer{e: e}).do(http.MethodPost, wire.PathTokenRefresh, wire.TokenRefreshRequest{RefreshToken: out.Tokens.RefreshToken})
			assert.Equal(t, http.StatusUnauthorized, r.StatusCode, "the session outlived a reused refresh token")
			r.Body.Close()
			// Neither cookie endpoint nor body mix: the refresh cookie's
			// endpoint does not read the body.
			tok = e.signInBearer("user@example.com", "user-password")
			r = e.client().postJSON(wire.PathRefresh, wire.TokenRefreshRequest{RefreshToken: tok.RefreshToken})
			assert.Equal(t, http.StatusUnauthorized, r.StatusCode, "the cookie refresh took a body token")
			r.Body.Close()
			for _, bad := range []string{`{}`, `{"refreshToken":""}`, `{"refreshToken":"x"}`, `{"refreshToken":"` + strings.Repeat("a", 5000) + `"}`} {
				r = e.client().do(http.MethodPost, wire.PathTokenRefresh, strings.NewReader(bad), "Content-Type", "application/json")
				assert.Equal(t, http.StatusUnauthorized, r.StatusCode, bad)
				assert.NotEmpty(t, errorOf(t, r).Error)
			}
		} else {
			r = (&bearer{e: e}).do(http.MethodPost, wire.PathTokenRefresh, wire.TokenRefreshRequest{RefreshToken: "x"})
			assert.Equal(t, http.StatusNotFound, r.StatusCode, "the database strategy has no refresh")
			r.Body.Close()
		}

		// Sign-out ends the session: the token and (jwt) the refresh
		// token are refused after it.
		b = &bearer{e: e, token: tok.AccessToken}
		require.NotNil(t, b.session())
		r = b.do(http.MethodPost, wire.PathSignOut, map[string]string{})
		require.Equal(t, http.StatusOK, r.StatusCode)
		r.Body.Close()
		assert.Nil(t, b.session(), "the token outlived its sign-out")
		if strategy == "jwt" {
			r = (&bearer{e: e}).do(http.MethodPost, wire.PathTokenRefresh, wire.TokenRefreshRequest{RefreshToken: tok.RefreshToken})
			assert.Equal(t, http.StatusUnauthorized, r.StatusCode, "the refresh token outlived its sign-out")
			r.Body.Close()
		}

		// An administrator's revocation holds for bearer tokens at once,
		// and the live event stream, opened with the token, tells it.
		tok = e.signInBearer("user@example.com", "user-password")
		b = &bearer{e: e, token: tok.AccessToken}
		me := b.session()
		require.NotNil(t, me)
		stream := e.client().openEvents(t, "Authorization", "Bearer "+tok.AccessToken)
		require.Equal(t, http.StatusOK, stream.resp.StatusCode)
		assert.Empty(t, stream.resp.Header.Values("Set-Cookie"))
		typ, _ := stream.next()
		require.Equal(t, "ready", typ)
		// Pages and the admin API take bearer tokens as they take cookies.
		r = b.do(http.MethodGet, "/dashboard", nil, "Sec-Fetch-Mode", "navigate")
		assert.Equal(t, http.StatusOK, r.StatusCode, "a protected page with a bearer token")
		r.Body.Close()
		r = b.do(http.MethodGet, wire.PathAdminUsers, nil)
		assert.Equal(t, http.StatusForbidden, r.StatusCode, "the admin API for a user's token")
		r.Body.Close()
		admin := &bearer{e: e, token: e.signInBearer("admin@example.com", "admin-password").AccessToken}
		r = admin.do(http.MethodGet, wire.PathAdminUsers, nil)
		assert.Equal(t, http.StatusOK, r.StatusCode, "the admin API for an admin's token")
		r.Body.Close()
		r = admin.do(http.MethodDelete, wire.PathAdminUsers+"/"+url.PathEscape(me.User.ID)+"/sessions", nil)
		require.Equal(t, http.StatusOK, r.StatusCode)
		r.Body.Close()
		assert.Nil(t, b.session(), "a revoked bearer token still worked")
		typ, _ = stream.next()
		assert.Equal(t, "revoked", typ)
		stream.close()

		// Wrong passwords are refused as at sign-in, with no tokens.
		r = (&bearer{e: e}).do(http.MethodPost, wire.PathToken, map[string]string{"email": "user@example.com", "password": "wrong"})
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
		assert.Equal(t, "invalid credentials", errorOf(t, r).Error)
		// A form body is not taken: token clients speak JSON.
		r = e.client().do(http.MethodPost, wire.PathToken, form("email", "user@example.com", "password", "user-password"), "Content-Type", "application/x-www-form-urlencoded")
		assert.Equal(t, http.StatusUnsupportedMediaType, r.StatusCode)
		r.Body.Close()
	})
}

// A request carries a bearer token or cookies, never both: the API refuses
// the mix with 400 before anything happens, and a page reads neither.
func TestBearerNeverMixes(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy), withBearer())
		tok := e.signInBearer("user@example.com", "user-password")
		browser := e.client()
		require.Equal(t, http.StatusOK, browser.signIn("admin@example.com", "admin-password").StatusCode)
		authz := []string{"Authorization", "Bearer " + tok.AccessToken}

		for _, rq := range []struct{ method, path string }{
			{http.MethodGet, wire.PathSession}, {http.MethodGet, wire.PathStatus},
			{http.MethodGet, wire.PathSessions}, {http.MethodPost, wire.PathSignOut},
			{http.MethodGet, wire.PathAdminUsers},
		} {
			r := browser.do(rq.method, rq.path, nil, authz...)
			assert.Equal(t, http.StatusBadRequest, r.StatusCode, "%s %s", rq.method, rq.path)
			assert.Equal(t, "a request carries a bearer token or session cookies, never both", errorOf(t, r).Error)
		}
		// The refused sign-out ended neither session.
		assert.NotNil(t, browser.session(t))
		assert.NotNil(t, (&bearer{e: e, token: tok.AccessToken}).session())

		// A page with both reads neither: a protected page goes to sign-in.
		r := browser.get("/dashboard", append([]string{"Sec-Fetch-Mode", "navigate"}, authz...)...)
		assert.Equal(t, http.StatusSeeOther, r.StatusCode)
		assert.Contains(t, r.Header.Get("Location"), "callbackUrl=%2Fdashboard", "a page with both was let through")
		r.Body.Close()

		// The token endpoints are for clients without cookies.
		r = browser.postJSON(wire.PathToken, map[string]string{"email": "user@example.com", "password": "user-password"})
		assert.Equal(t, http.StatusBadRequest, r.StatusCode, "a token sign-in with a session cookie")
		r.Body.Close()
		onlyRefresh := e.client()
		onlyRefresh.cookies[session.RefreshCookieName] = &http.Cookie{Name: session.RefreshCookieName, Value: "x"}
		r = onlyRefresh.postJSON(wire.PathToken, map[string]string{"email": "user@example.com", "password": "user-password"})
		assert.Equal(t, http.StatusBadRequest, r.StatusCode, "a token sign-in with a refresh cookie")
		r.Body.Close()
		onlyChallenge := e.client()
		onlyChallenge.cookies[auth.ChallengeCookieName] = &http.Cookie{Name: auth.ChallengeCookieName, Value: "x"}
		r = onlyChallenge.postJSON(wire.PathTokenTwoFactor, wire.TwoFactorVerifyRequest{Code: "123456", Challenge: "x"})
		assert.Equal(t, http.StatusBadRequest, r.StatusCode, "a token second step with a challenge cookie")
		r.Body.Close()
		r = onlyChallenge.get(wire.PathSession, authz...)
		assert.Equal(t, http.StatusBadRequest, r.StatusCode, "a bearer token with a challenge cookie")
		r.Body.Close()
	})
}

// Without -bearer the header is no credential and no token endpoint
// exists: cookie sessions are as they were.
func TestBearerModeOff(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		token := c.cookie().Value
		for _, p := range []string{wire.PathToken, wire.PathTokenTwoFactor, wire.PathTokenRefresh} {
			r := e.client().postJSON(p, map[string]string{"email": "user@example.com", "password": "user-password"})
			assert.Equal(t, http.StatusNotFound, r.StatusCode, p)
			r.Body.Close()
		}
		r := e.client().get(wire.PathSession, "Authorization", "Bearer "+token)
		assert.Equal(t, "null\n", body(t, r), "a bearer token counted without -bearer")
		// A cookie request with another Authorization header (a proxy's,
		// say) is read by its cookie.
		r = c.get(wire.PathSession, "Authorization", "Bearer something-else")
		require.Equal(t, http.StatusOK, r.StatusCode)
		assert.Contains(t, body(t, r), "user@example.com")
	})
}

// The second step of a bearer client's sign-in carries its challenge in
// the body; a challenge works only where it was given.
func TestBearerTwoFactor(t *testing.T) {
	forBackends(t, func(t *testing.T, strategy string, on option) {
		e := newEnv(t, on, withStrategy(strategy), withBearer())
		owner := e.client()
		require.Equal(t, http.StatusOK, owner.signIn("user@example.com", "user-password").StatusCode)
		secret, recovery := owner.enrol(t)

		start := func() string {
			r := (&bearer{e: e}).do(http.MethodPost, wire.PathToken, map[string]string{"email": "user@example.com", "password": "user-password"})
			require.Equal(t, http.StatusOK, r.StatusCode)
			var out wire.TwoFactorRequired
			decode(t, r, &out)
			require.True(t, out.TwoFactorRequired)
			assert.Equal(t, []string{"totp", "recovery"}, out.Methods)
			require.NotEmpty(t, out.Challenge)
			return out.Challenge
		}
		step := func(in wire.TwoFactorVerifyRequest) *http.Response {
			return (&bearer{e: e}).do(http.MethodPost, wire.PathTokenTwoFactor, in)
		}

		challenge := start()
		code := totpAt(t, secret, e.clock.Now())
		r := step(wire.TwoFactorVerifyRequest{Challenge: challenge, Code: code})
		require.Equal(t, http.StatusOK, r.StatusCode)
		var out wire.SignInResponse
		decode(t, r, &out)
		require.NotNil(t, out.Tokens)
		assert.Equal(t, "aal2", out.Session.AAL)
		s := (&bearer{e: e, token: out.Tokens.AccessToken}).session()
		require.NotNil(t, s)
		assert.Equal(t, "aal2", s.AAL)

		// Single-use, and refused without a challenge or with a forged one.
		e.clock.Add(30 * time.Second)
		for name, in := range map[string]wire.TwoFactorVerifyRequest{
			"spent":  {Challenge: challenge, Code: totpAt(t, secret, e.clock.Now())},
			"none":   {Code: totpAt(t, secret, e.clock.Now())},
			"forged": {Challenge: strings.Replace(challenge, "A", "B", 1) + "x", Code: totpAt(t, secret, e.clock.Now())},
		} {
			r = step(in)
			assert.Equal(t, http.StatusUnauthorized, r.StatusCode, name)
			assert.Equal(t, "no sign-in waits for a second factor; sign in again", errorOf(t, r).Error, name)
		}

		// A bearer step's challenge does not work as a browser's cookie...
		challenge = start()
		browser := e.client()
		browser.cookies[auth.ChallengeCookieName] = &http.Cookie{Name: auth.ChallengeCookieName, Value: challenge}
		r = browser.verify(wire.TwoFactorVerifyRequest{Code: totpAt(t, secret, e.clock.Now())})
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode, "a bearer challenge taken as a cookie")
		r.Body.Close()
		// ... nor a browser's cookie challenge in a bearer body.
		cookieStep := e.client()
		require.Equal(t, http.StatusOK, cookieStep.signIn("user@example.com", "user-password").StatusCode)
		require.NotNil(t, cookieStep.challengeCookie())
		r = step(wire.TwoFactorVerifyRequest{Challenge: cookieStep.challengeCookie().Value, Code: totpAt(t, secret, e.clock.Now())})
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode, "a cookie challenge taken from a bearer body")
		r.Body.Close()
		// The bearer challenge still works with a recovery code.
		r = step(wire.TwoFactorVerifyRequest{Challenge: challenge, RecoveryCode: recovery[0]})
		require.Equal(t, http.StatusOK, r.StatusCode)
		decode(t, r, &out)
		require.NotNil(t, out.Tokens)
	})
}

// Password changes and re-authentication give a session a new id: a bearer
// client gets the new tokens in the body, and the old ones stop working.
func TestBearerRotation(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy), withBearer())
		tok := e.signInBearer("user@example.com", "user-password")
		old := &bearer{e: e, token: tok.AccessToken}

		rotate := func(b *bearer, path string, in any) *bearer {
			r := b.do(http.MethodPost, path, in)
			require.Equal(t, http.StatusOK, r.StatusCode, path)
			var out wire.RefreshResponse
			decode(t, r, &out)
			require.NotNil(t, out.Tokens, path)
			require.NotNil(t, out.Session, path)
			assert.NotEqual(t, b.token, out.Tokens.AccessToken)
			if strategy == "jwt" {
				assert.NotEmpty(t, out.Tokens.RefreshToken)
			}
			assert.Nil(t, b.session(), "the token from before %s still works", path)
			next := &bearer{e: e, token: out.Tokens.AccessToken}
			require.NotNil(t, next.session())
			return next
		}
		b := rotate(old, wire.PathPassword, map[string]string{"currentPassword": "user-password", "newPassword": "a-new-password-1"})
		rotate(b, wire.PathReauth, wire.ReauthRequest{Password: "a-new-password-1"})
	})
}

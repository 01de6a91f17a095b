package auth_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/wire"
)

func (c *client) refreshCookie() *http.Cookie {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cookies[session.RefreshCookieName]
}

// refresh posts to the refresh endpoint with only the refresh cookie, as a
// browser does (the cookie's Path is the endpoint).
func (c *client) refresh() *http.Response { return c.do("POST", "/api/auth/refresh", nil) }

func TestJWTCookies(t *testing.T) {
	e := newEnv(t, withStrategy("jwt"))
	c := e.client()
	r := c.signIn("user@example.com", "user-password")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, e.clock.Now().Add(5*time.Minute).Format(time.RFC3339), r.Header.Get(wire.AccessExpiresHeader))
	var access, refresh *http.Cookie
	for _, ck := range r.Cookies() {
		switch ck.Name {
		case session.CookieName:
			access = ck
		case session.RefreshCookieName:
			refresh = ck
		}
	}
	require.NotNil(t, access)
	require.NotNil(t, refresh)
	assert.Equal(t, 2, strings.Count(access.Value, "."), "the session cookie is a JWT")
	assert.Less(t, len(access.Value), 4096)
	assert.True(t, refresh.HttpOnly)
	assert.True(t, refresh.Secure)
	assert.Equal(t, http.SameSiteStrictMode, refresh.SameSite)
	assert.Equal(t, "/api/auth/refresh", refresh.Path)

	page := body(t, c.get("/dashboard"))
	assert.Contains(t, page, `<script id="sg-session" type="application/json" data-access-expires="`)
}

func TestJWTRefreshEndpoint(t *testing.T) {
	e := newEnv(t, withStrategy("jwt"))
	c := e.client()
	require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
	first := *c.refreshCookie()

	e.clock.Add(6 * time.Minute) // the access token has expired
	assert.JSONEq(t, `{"status":401}`, body(t, c.get("/api/get-session-status")))
	r := c.refresh()
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.NotEmpty(t, r.Header.Get(wire.AccessExpiresHeader))
	var out wire.RefreshResponse
	decode(t, r, &out)
	require.NotNil(t, out.Session)
	assert.Equal(t, "Demo User", out.Session.User.Name)
	assert.NotEqual(t, first.Value, c.refreshCookie().Value, "rotated")
	assert.JSONEq(t, `{"status":200}`, body(t, c.get("/api/get-session-status")))

	// The old refresh token replayed after the grace window: theft. The
	// whole session ends, for the thief and the owner.
	e.clock.Add(10 * time.Second)
	thief := e.client()
	thief.cookies[first.Name] = &first
	r = thief.refresh()
	assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
	assert.Contains(t, body(t, r), "reused")
	assert.JSONEq(t, `{"status":401}`, body(t, c.get("/api/get-session-status")))
	assert.Equal(t, http.StatusUnauthorized, c.refresh().StatusCode)

	assert.Equal(t, http.StatusUnauthorized, e.client().refresh().StatusCode, "no cookie")
	r = e.client().do("POST", "/api/auth/refresh", nil, "Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, r.StatusCode, "cross-origin refresh refused")
}

// TestSignOutWithAnExpiredAccessToken: signing out with a session cookie
// whose access token has expired (the page was idle past its 5 minutes)
// still ends the session's refresh family, so the refresh cookie left in
// the browser cannot bring the session back.
func TestSignOutWithAnExpiredAccessToken(t *testing.T) {
	e := newEnv(t, withStrategy("jwt"))
	c := e.client()
	require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
	access, refresh := *c.cookie(), *c.refreshCookie()

	e.clock.Add(6 * time.Minute) // the access token has expired
	// As a browser sends them: the refresh cookie only to its own path.
	page, kept := e.client(), e.client()
	page.cookies[access.Name] = &access
	kept.cookies[refresh.Name] = &refresh
	assert.JSONEq(t, `{"status":401}`, body(t, page.get("/api/get-session-status")))
	require.NotNil(t, page.cookie(), "an access token that only expired is kept for the sign-out")
	require.Equal(t, http.StatusOK, page.do("POST", "/api/auth/signout", nil).StatusCode)
	assert.Nil(t, page.cookie(), "cleared by the sign-out")
	assert.Equal(t, http.StatusUnauthorized, kept.refresh().StatusCode, "the refresh family outlived the sign-out")

	// Any other dead token is cleared at once.
	forged := e.client()
	forged.cookies[access.Name] = &http.Cookie{Name: access.Name, Value: access.Value[:len(access.Value)-4] + "AAAA"}
	assert.JSONEq(t, `{"status":401}`, body(t, forged.get("/api/get-session-status")))
	assert.Nil(t, forged.cookie(), "a forged token is cleared")
}

func TestRefreshIsNotFoundUnderDatabase(t *testing.T) {
	e := newEnv(t)
	assert.Equal(t, http.StatusNotFound, e.client().refresh().StatusCode)
	assert.NotEqual(t, http.StatusOK, e.client().get("/.well-known/jwks.json").StatusCode, "no keys to publish")
}

// TestJWKSVerifiesTokensIndependently checks a token the server issued
// against /.well-known/jwks.json with code that shares nothing with the
// server's JWT library: crypto/ed25519 here, and Node's crypto when node is
// installed.
func TestJWKSVerifiesTokensIndependently(t *testing.T) {
	e := newEnv(t, withStrategy("jwt"))
	c := e.client()
	require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
	token := c.cookie().Value

	r := c.get("/.well-known/jwks.json")
	require.Equal(t, http.StatusOK, r.StatusCode)
	jwksJSON := body(t, r)
	var jwks struct {
		Keys []struct{ Kty, Crv, X, Kid, Alg, Use string }
	}
	require.NoError(t, json.Unmarshal([]byte(jwksJSON), &jwks))
	require.NotEmpty(t, jwks.Keys)

	parts := strings.Split(token, ".")
	var hdr struct{ Kid, Alg, Typ string }
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &hdr))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	verified := false
	for _, k := range jwks.Keys {
		if k.Kid != hdr.Kid {
			continue
		}
		assert.Equal(t, "OKP", k.Kty)
		assert.Equal(t, "Ed25519", k.Crv)
		pub, err := base64.RawURLEncoding.DecodeString(k.X)
		require.NoError(t, err)
		verified = ed25519.Verify(ed25519.PublicKey(pub), []byte(parts[0]+"."+parts[1]), sig)
	}
	assert.True(t, verified, "crypto/ed25519 verifies the token with the JWKS key")

	node, err := exec.LookPath("node")
	if err != nil {
		t.Log("node not found; the second independent check is skipped")
		return
	}
	script := `
const crypto = require('crypto');
const [jwks, token] = [JSON.parse(process.argv[1]), process.argv[2]];
const [h, p, s] = token.split('.');
const header = JSON.parse(Buffer.from(h, 'base64url'));
const jwk = jwks.keys.find(k => k.kid === header.kid);
const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
const ok = crypto.verify(null, Buffer.from(h + '.' + p), key, Buffer.from(s, 'base64url'));
const claims = JSON.parse(Buffer.from(p, 'base64url'));
console.log(JSON.stringify({ ok, alg: header.alg, sub: claims.sub, exp: claims.exp > Date.now() / 1000 - 3600 }));
`
	out, err := exec.Command(node, "-e", script, jwksJSON, token).CombinedOutput()
	require.NoError(t, err, string(out))
	var res struct {
		OK  bool
		Alg string
		Sub string
	}
	require.NoError(t, json.Unmarshal(out, &res), string(out))
	assert.True(t, res.OK, "Node's crypto verifies the token with the JWKS key")
	assert.Equal(t, "EdDSA", res.Alg)
	assert.NotEmpty(t, res.Sub)
}

package auth_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wire"
)

func TestStatus(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		r := c.get("/api/get-session-status")
		assert.Equal(t, http.StatusOK, r.StatusCode)
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
		assert.JSONEq(t, `{"status":401}`, body(t, r))
		assert.Empty(t, r.Header.Get(wire.ExpiresHeader))

		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		e.clock.Add(4 * time.Minute) // within the jwt strategy's access-token lifetime too
		r = c.get("/api/get-session-status")
		assert.Equal(t, http.StatusOK, r.StatusCode)
		assert.JSONEq(t, `{"status":200}`, body(t, r))
		assert.Equal(t, e.clock.Now().Add(30*time.Minute).Format(time.RFC3339), r.Header.Get(wire.ExpiresHeader), "the read extended the session")
	})
}

func TestSessionEndpointRolls(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		r := c.get("/api/session")
		assert.Equal(t, http.StatusOK, r.StatusCode)
		assert.Equal(t, "null", strings.TrimSpace(body(t, r)))

		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		var s1, s2 wire.Session
		decode(t, c.get("/api/session"), &s1)
		assert.Equal(t, "Demo User", s1.User.Name)
		assert.Equal(t, "user@example.com", s1.User.Email)
		assert.Equal(t, "user", s1.User.Role)
		assert.NotEmpty(t, s1.User.ID)
		e.clock.Add(5 * time.Minute)
		r = c.get("/api/session")
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		decode(t, r, &s2)
		assert.Equal(t, int64(5*60), s2.Expires.Unix()-s1.Expires.Unix(), "every read moves expires")
		assert.Equal(t, wire.UnixTime(e.clock.Now().Add(30*time.Minute).Unix()), s2.Expires)

		e.clock.Add(31 * time.Minute)
		assert.Equal(t, "null", strings.TrimSpace(body(t, c.get("/api/session"))), "idle past max-age")
	})
}

func TestSessionJSONShape(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		var raw map[string]any
		decode(t, c.get("/api/session"), &raw)
		assert.ElementsMatch(t, []string{"user", "expires", "aal", "authenticatedAt"}, keys(raw))
		assert.ElementsMatch(t, []string{"id", "email", "name", "role"}, keys(raw["user"].(map[string]any)))
		assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, raw["expires"])
		assert.Equal(t, "aal1", raw["aal"], "a password-only sign-in")
		assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, raw["authenticatedAt"])
		at, err := time.Parse(time.RFC3339, raw["authenticatedAt"].(string))
		require.NoError(t, err)
		assert.Equal(t, e.clock.Now(), at, "authenticatedAt is the sign-in")
	})
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestConfig(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		r := e.client().get("/api/auth/config")
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		want := `{"publicPaths":["/","/public","/ssr-login","/ssr-logout"],"adminPaths":["/admin/*"],"signInPath":"/","maxAge":1800,"aal2Paths":[],"freshAge":600}`
		if strategy == "jwt" {
			want = `{"publicPaths":["/","/public","/ssr-login","/ssr-logout"],"adminPaths":["/admin/*"],"signInPath":"/","maxAge":1800,"aal2Paths":[],"freshAge":600,` +
				`"strategy":"jwt","refreshPath":"/api/auth/refresh","accessMaxAge":300}`
		}
		assert.JSONEq(t, want, body(t, r))
	})
}

func TestSignIn(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		r := c.postJSON("/api/auth/signin", map[string]string{"email": " USER@example.com", "password": "user-password", "redirectUrl": "/dashboard?tab=2"})
		require.Equal(t, http.StatusOK, r.StatusCode)
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		var out wire.SignInResponse
		decode(t, r, &out)
		assert.Equal(t, "/dashboard?tab=2", out.RedirectURL)
		require.NotNil(t, out.Session)
		assert.Equal(t, "Demo User", out.Session.User.Name)
		assert.Equal(t, wire.UnixTime(e.clock.Now().Add(30*time.Minute).Unix()), out.Session.Expires)
		ck := c.cookie()
		require.NotNil(t, ck)
		assert.True(t, ck.Secure)
		assert.True(t, ck.HttpOnly)
		assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
	})
}

func TestSignInRedirectOnlySameOrigin(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		for _, tt := range []struct{ in, want string }{
			{"/admin", "/admin"},
			{"", "/"},
			{"//evil.example", "/"},
			{"https://evil.example/x", "/"},
			{"/\\evil.example", "/"},
			{"javascript:alert(1)", "/"},
		} {
			t.Run(tt.in, func(t *testing.T) {
				r := e.client().postJSON("/api/auth/signin", map[string]string{"email": "user@example.com", "password": "user-password", "redirectUrl": tt.in})
				require.Equal(t, http.StatusOK, r.StatusCode)
				var out wire.SignInResponse
				decode(t, r, &out)
				assert.Equal(t, tt.want, out.RedirectURL)
			})
		}
	})
}

func TestSignInFailuresLookAlike(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		wrong := e.client().signIn("user@example.com", "wrong-password")
		unknown := e.client().signIn("nobody@example.com", "user-password")
		assert.Equal(t, http.StatusUnauthorized, wrong.StatusCode)
		assert.Equal(t, http.StatusUnauthorized, unknown.StatusCode)
		wb, ub := body(t, wrong), body(t, unknown)
		assert.Equal(t, wb, ub, "same bytes for unknown e-mail and wrong password")
		assert.JSONEq(t, `{"error":"invalid credentials"}`, wb)
		assert.Empty(t, wrong.Cookies())
	})
}

func TestSignInBadInput(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		big := `{"email":"user@example.com","password":"` + strings.Repeat("x", 70<<10) + `"}`
		tests := []struct {
			name, ctype, body string
			code              int
		}{
			{"not json", "application/json", `{"email":`, http.StatusBadRequest},
			{"array", "application/json", `["user@example.com"]`, http.StatusBadRequest},
			{"number email", "application/json", `{"email":5,"password":"x"}`, http.StatusBadRequest},
			{"trailing garbage", "application/json", `{"email":"a@b.c","password":"x"} {}`, http.StatusBadRequest},
			{"missing password", "application/json", `{"email":"user@example.com"}`, http.StatusBadRequest},
			{"empty body", "application/json", ``, http.StatusBadRequest},
			{"null", "application/json", `null`, http.StatusBadRequest},
			{"too large", "application/json", big, http.StatusRequestEntityTooLarge},
			{"too large form", "application/x-www-form-urlencoded", "email=a&password=" + strings.Repeat("x", 70<<10), http.StatusRequestEntityTooLarge},
			{"xml", "application/xml", `<a/>`, http.StatusUnsupportedMediaType},
			{"bad content type", "application/json; =", `{}`, http.StatusBadRequest},
			{"bad form", "application/x-www-form-urlencoded", "email=%zz", http.StatusBadRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.client().do("POST", "/api/auth/signin", strings.NewReader(tt.body), "Content-Type", tt.ctype)
				assert.Equal(t, tt.code, r.StatusCode)
				var out wire.Error
				decode(t, r, &out)
				assert.NotEmpty(t, out.Error)
				assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
			})
		}
	})
}

func TestSignInForms(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		r := c.do("POST", "/api/auth/signin", form("email", "user@example.com", "password", "user-password", "redirectUrl", "/dashboard"),
			"Content-Type", "application/x-www-form-urlencoded")
		require.Equal(t, http.StatusOK, r.StatusCode, "form-encoded from a script gets JSON")
		var out wire.SignInResponse
		decode(t, r, &out)
		assert.Equal(t, "/dashboard", out.RedirectURL)

		// A plain HTML form (no script) is redirected like a browser expects.
		r = e.client().do("POST", "/api/auth/signin", form("email", "user@example.com", "password", "user-password", "redirectUrl", "/dashboard"),
			"Content-Type", "application/x-www-form-urlencoded", "Accept", "text/html,*/*", "Sec-Fetch-Mode", "navigate")
		assert.Equal(t, http.StatusSeeOther, r.StatusCode)
		assert.Equal(t, "/dashboard", r.Header.Get("Location"))
		r = e.client().do("POST", "/api/auth/signin", form("email", "user@example.com", "password", "nope", "redirectUrl", "/dashboard"),
			"Content-Type", "application/x-www-form-urlencoded", "Accept", "text/html", "Sec-Fetch-Mode", "navigate")
		assert.Equal(t, http.StatusSeeOther, r.StatusCode, "a refusal goes back to the form (formflow_test.go)")
		assert.Equal(t, "/?error=CredentialsSignin", r.Header.Get("Location"))

		// multipart/form-data, as FormData sends it.
		mp := "--B\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nuser@example.com\r\n--B\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nuser-password\r\n--B--\r\n"
		r = e.client().do("POST", "/api/auth/signin", strings.NewReader(mp), "Content-Type", "multipart/form-data; boundary=B")
		assert.Equal(t, http.StatusOK, r.StatusCode)
	})
}

func TestSignInRotatesSession(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		before := *c.cookie()
		require.Equal(t, http.StatusOK, c.signIn("admin@example.com", "admin-password").StatusCode)
		after := c.cookie()
		assert.NotEqual(t, before.Value, after.Value)

		old := e.client()
		old.cookies[before.Name] = &before
		assert.JSONEq(t, `{"status":401}`, body(t, old.get("/api/get-session-status")), "the pre-sign-in session is ended")

		// A session id planted by an attacker is never adopted.
		planted := e.client()
		planted.cookies[before.Name] = &plantedCookie
		require.Equal(t, http.StatusOK, planted.signIn("user@example.com", "user-password").StatusCode)
		assert.NotEqual(t, plantedCookie.Value, planted.cookie().Value)
	})
}

var plantedCookie = http.Cookie{Name: "__Host-sg_session", Value: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}

func TestSignOut(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		stolen := *c.cookie()
		r := c.postJSON("/api/auth/signout", map[string]string{"redirectUrl": "/public"})
		require.Equal(t, http.StatusOK, r.StatusCode)
		assert.JSONEq(t, `{"redirectUrl":"/public"}`, body(t, r))
		assert.Nil(t, c.cookie(), "cookie cleared")

		replay := e.client()
		replay.cookies[stolen.Name] = &stolen
		assert.JSONEq(t, `{"status":401}`, body(t, replay.get("/api/get-session-status")), "a copied cookie is dead after sign-out")

		r = e.client().do("POST", "/api/auth/signout", nil)
		assert.Equal(t, http.StatusOK, r.StatusCode, "no body, no session: still fine")
		assert.JSONEq(t, `{"redirectUrl":"/"}`, body(t, r))
		r = e.client().postJSON("/api/auth/signout", map[string]string{"redirectUrl": "//evil.example"})
		assert.JSONEq(t, `{"redirectUrl":"/"}`, body(t, r))
		r = e.client().do("POST", "/api/auth/signout", strings.NewReader("{"), "Content-Type", "application/json")
		assert.Equal(t, http.StatusBadRequest, r.StatusCode)
	})
}

func TestCrossOriginPostsRefused(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		tests := []struct {
			name string
			hdr  []string
			code int
		}{
			{"cross-site fetch", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
			{"same-site other origin", []string{"Sec-Fetch-Site", "same-site"}, http.StatusForbidden},
			{"foreign origin header", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
			{"same origin", []string{"Sec-Fetch-Site", "same-origin"}, http.StatusOK},
			{"no browser headers (curl)", nil, http.StatusOK},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := e.client()
				r := c.postJSON("/api/auth/signin", map[string]string{"email": "user@example.com", "password": "user-password"}, tt.hdr...)
				assert.Equal(t, tt.code, r.StatusCode)
				if tt.code == http.StatusForbidden {
					var out wire.Error
					decode(t, r, &out)
					assert.Equal(t, "cross-origin request refused", out.Error)
					assert.Nil(t, c.cookie())
				}
			})
		}
		// Same for sign-out: a cross-site form cannot sign a user out.
		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		r := c.do("POST", "/api/auth/signout", nil, "Sec-Fetch-Site", "cross-site")
		assert.Equal(t, http.StatusForbidden, r.StatusCode)
		assert.JSONEq(t, `{"status":200}`, body(t, c.get("/api/get-session-status")))
	})
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		for _, tt := range []struct {
			method, path string
			code         int
		}{
			{"GET", "/api/nope", http.StatusNotFound},
			{"POST", "/api/nope", http.StatusNotFound},
			{"GET", "/api", http.StatusNotFound},
			{"GET", "/api/auth/signin", http.StatusMethodNotAllowed},
			{"DELETE", "/api/session", http.StatusMethodNotAllowed},
			{"POST", "/dashboard", http.StatusMethodNotAllowed},
			{"POST", "/healthz", http.StatusMethodNotAllowed},
		} {
			t.Run(tt.method+" "+tt.path, func(t *testing.T) {
				r := c.do(tt.method, tt.path, nil)
				assert.Equal(t, tt.code, r.StatusCode)
				var out wire.Error
				require.NoError(t, json.NewDecoder(r.Body).Decode(&out))
				assert.NotEmpty(t, out.Error)
			})
		}
	})
}

func TestHealthz(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		r := e.client().get("/healthz")
		assert.Equal(t, http.StatusOK, r.StatusCode)
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		e.store.down.Store(true)
		r = e.client().get("/healthz")
		assert.Equal(t, http.StatusServiceUnavailable, r.StatusCode)
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		e.store.down.Store(false)
		assert.Equal(t, http.StatusOK, e.client().get("/healthz").StatusCode, "recovers by itself")
	})
}

func TestStoreOutageFailsClosed(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		e.store.down.Store(true)
		r := c.get("/api/get-session-status")
		assert.Equal(t, http.StatusOK, r.StatusCode)
		assert.JSONEq(t, `{"status":401}`, body(t, r))
		assert.Equal(t, http.StatusServiceUnavailable, c.get("/api/session").StatusCode)
		assert.Equal(t, http.StatusServiceUnavailable, c.get("/dashboard").StatusCode)
		assert.Equal(t, http.StatusOK, c.get("/public").StatusCode, "public pages still render")
		assert.Equal(t, http.StatusServiceUnavailable, e.client().signIn("user@example.com", "user-password").StatusCode)
		e.store.down.Store(false)
		assert.JSONEq(t, `{"status":200}`, body(t, c.get("/api/get-session-status")), "recovers by itself")

		// Sign-out during an outage says so (503) and still drops the cookie.
		e.store.down.Store(true)
		assert.Equal(t, http.StatusServiceUnavailable, c.postJSON("/api/auth/signout", nil).StatusCode)
		assert.Nil(t, c.cookie())
	})
}

func TestSecurityHeaders(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		r := e.client().get("/")
		assert.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
		assert.Equal(t, "DENY", r.Header.Get("X-Frame-Options"))
		assert.Contains(t, r.Header.Get("Content-Security-Policy"), "script-src 'self' 'wasm-unsafe-eval'")
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"), "the shell carries the session")
		api := e.client().get("/api/get-session-status")
		assert.Equal(t, "nosniff", api.Header.Get("X-Content-Type-Options"), "every answer")
		assert.Equal(t, "same-origin", api.Header.Get("Cross-Origin-Resource-Policy"), "no other origin reads the JSON")
		assert.Empty(t, api.Header.Get("Content-Security-Policy"), "page headers only on pages")
		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		forbidden := c.get("/admin")
		assert.Equal(t, http.StatusForbidden, forbidden.StatusCode)
		assert.Equal(t, "DENY", forbidden.Header.Get("X-Frame-Options"), "error pages are pages")
	})
}

func TestConfigSecondFactorRules(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy), func(o *envOptions) {
			o.app.AAL2Paths = []string{"/billing/*", "/keys"}
			o.app.FreshAge = 90 * time.Second
		})
		var cfg map[string]any
		decode(t, e.client().get("/api/auth/config"), &cfg)
		assert.Equal(t, []any{"/billing/*", "/keys"}, cfg["aal2Paths"])
		assert.Equal(t, float64(90), cfg["freshAge"])
	})
}

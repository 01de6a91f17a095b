package auth_test

import (
	"bufio"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/policy/policytest"
)

// rawGet sends the path exactly as given in the request line, as a browser or
// an attacker would, and returns the status and Location.
func (e *env) rawGet(t *testing.T, path string, cookie *http.Cookie) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	req := "GET " + path + " HTTP/1.1\r\nHost: " + strings.TrimPrefix(e.srv.URL, "http://") + "\r\nConnection: close\r\n"
	if cookie != nil {
		req += "Cookie: " + cookie.Name + "=" + cookie.Value + "\r\n"
	}
	_, err = io.WriteString(conn, req+"\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// TestGuardSharedCases runs the one table of tricky paths against the
// server's guard: a path is served (200) exactly when the table says the
// visitor may see it.
func TestGuardSharedCases(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		user, admin := e.client(), e.client()
		require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
		require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)
		for _, c := range policytest.Cases {
			t.Run(c.Path, func(t *testing.T) {
				anon, loc := e.rawGet(t, c.Path, nil)
				asUser, _ := e.rawGet(t, c.Path, user.cookie())
				asAdmin, _ := e.rawGet(t, c.Path, admin.cookie())
				switch c.Need {
				case policytest.Public:
					assert.Equal(t, http.StatusOK, anon, "anonymous")
				case policytest.Session:
					assert.NotEqual(t, http.StatusOK, anon, "anonymous")
					if anon == http.StatusSeeOther {
						assert.True(t, strings.HasPrefix(loc, "/?callbackUrl="), loc)
					}
					okOrRefused(t, asUser, "user")
				case policytest.Admin:
					assert.NotEqual(t, http.StatusOK, anon, "anonymous")
					assert.NotEqual(t, http.StatusOK, asUser, "user")
					okOrRefused(t, asAdmin, "admin")
				}
			})
		}
	})
}

// okOrRefused: a signed-in visitor allowed by the table gets the page, unless
// net/http itself refuses the request line (a malformed escape is 400 before
// any guard runs) — never a redirect or a 403.
func okOrRefused(t *testing.T, code int, who string) {
	t.Helper()
	assert.Contains(t, []int{http.StatusOK, http.StatusBadRequest}, code, who)
}

func TestGuardRedirectsWithCallback(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		for _, tt := range []struct{ path, callback string }{
			{"/dashboard", "/dashboard"},
			{"/dashboard?tab=2&x=%2F", "/dashboard?tab=2&x=%2F"},
			{"/public/../dashboard", "/dashboard"},
			{"/admin/users", "/admin/users"},
		} {
			t.Run(tt.path, func(t *testing.T) {
				code, loc := e.rawGet(t, tt.path, nil)
				assert.Equal(t, http.StatusSeeOther, code)
				u, err := url.Parse(loc)
				require.NoError(t, err)
				assert.Equal(t, "/", u.Path)
				assert.Equal(t, tt.callback, u.Query().Get("callbackUrl"))
			})
		}
	})
}

func TestForbiddenForWrongRole(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		r := c.get("/admin")
		assert.Equal(t, http.StatusForbidden, r.StatusCode)
		assert.Contains(t, body(t, r), "admin role")
		assert.Equal(t, http.StatusOK, c.get("/dashboard").StatusCode)
	})
}

var sessionScript = regexp.MustCompile(`<script id="sg-session" type="application/json"[^>]*>(.*?)</script>`)

func TestShellEmbedsSessionAndConfig(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		anon := body(t, e.client().get("/"))
		m := sessionScript.FindStringSubmatch(anon)
		require.NotNil(t, m, anon)
		assert.Equal(t, "null", m[1])
		cfg := `{"publicPaths":["/","/public","/ssr-login","/ssr-logout"],"adminPaths":["/admin/*"],"signInPath":"/","maxAge":1800`
		if strategy == "jwt" {
			cfg += `,"strategy":"jwt","refreshPath":"/api/auth/refresh","accessMaxAge":300`
		}
		assert.Contains(t, anon, `<script id="sg-config" type="application/json">`+cfg+`}</script>`)
		assert.True(t, strings.Index(anon, "sg-session") < strings.Index(anon, "</head>"), "inserted in the head")
		assert.Contains(t, anon, `<main id="app"></main>`)

		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("html@example.com", "html-password").StatusCode)
		page := body(t, c.get("/dashboard"))
		m = sessionScript.FindStringSubmatch(page)
		require.NotNil(t, m)
		assert.Contains(t, m[1], `"name":"\u003cimg src=x onerror=alert(1)\u003e\u003c/script\u003e"`, "HTML in a name cannot close the script element")
		assert.NotContains(t, page, "<img src=x")
	})
}

func TestStaticFiles(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		r := c.get("/app.js")
		assert.Equal(t, http.StatusOK, r.StatusCode, "assets need no session")
		assert.Contains(t, body(t, r), "sessionguard")

		r = c.get("/app.js", "Accept-Encoding", "gzip")
		assert.Equal(t, "gzip", r.Header.Get("Content-Encoding"))
		zr, err := gzip.NewReader(r.Body)
		require.NoError(t, err)
		plain, err := io.ReadAll(zr)
		require.NoError(t, err)
		assert.Equal(t, strings.Repeat("console.log('sessionguard');\n", 200), string(plain))

		code, _ := e.rawGet(t, "/public/../app.js", nil)
		assert.Equal(t, http.StatusOK, code, "cleaned before lookup")
		for _, p := range []string{"/.secret", "/../outside.txt", "/%2e%2e/outside.txt", "/index.html"} {
			code, loc := e.rawGet(t, p, nil)
			assert.Equal(t, http.StatusSeeOther, code, "%s is no asset: it is a guarded page", p)
			assert.NotEmpty(t, loc)
		}
	})
}

func TestStaticRefusesSymlinkEscape(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		dir := e.dir
		require.NoError(t, os.Symlink(filepath.Join(filepath.Dir(dir), "outside.txt"), filepath.Join(dir, "link.txt")))
		code, _ := e.rawGet(t, "/link.txt", nil)
		assert.Equal(t, http.StatusSeeOther, code)
	})
}

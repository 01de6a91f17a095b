package auth_test

import (
	"bufio"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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
// visitor may see it, and a path that cannot be cleaned is 400 for everybody
// (from the guard, or from net/http before it).
func TestGuardSharedCases(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		user, admin := e.client(), e.client()
		require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
		require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)
		for _, c := range policytest.Cases {
			t.Run(c.Need.String()+"/"+c.Path, func(t *testing.T) {
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
				case policytest.Invalid:
					assert.Equal(t, http.StatusBadRequest, anon, "anonymous")
					assert.Equal(t, http.StatusBadRequest, asUser, "user")
					assert.Equal(t, http.StatusBadRequest, asAdmin, "admin")
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
		cfg := `{"publicPaths":["/","/public","/ssr-login","/ssr-logout"],"adminPaths":["/admin/*"],"signInPath":"/","maxAge":1800,"aal2Paths":[],"freshAge":600`
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

// rawResponse sends the request line exactly as given, with the extra
// header lines, and returns the answer with its body read.
func (e *env) rawResponse(t *testing.T, method, target string, cookie *http.Cookie, headers ...string) (*http.Response, string) {
	t.Helper()
	host := strings.TrimPrefix(e.srv.URL, "http://")
	conn, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer conn.Close()
	req := method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n"
	if cookie != nil {
		req += "Cookie: " + cookie.Name + "=" + cookie.Value + "\r\n"
	}
	for _, h := range headers {
		req += h + "\r\n"
	}
	_, err = io.WriteString(conn, req+"\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// TestStaticFilesUnderAdminPaths: a file in the static directory under an
// admin pattern is served to administrators only, like a page there; the
// module's own files and the other assets stay public.
func TestStaticFilesUnderAdminPaths(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		require.NoError(t, os.MkdirAll(filepath.Join(e.dir, "admin"), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(e.dir, "admin", "report.txt"), []byte("quarterly secrets"), 0o600))
		user, admin := e.client(), e.client()
		require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
		require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)

		for _, p := range []string{"/admin/report.txt", "/public/../admin/report.txt", "/%61dmin/report.txt", "//admin//report.txt", "/admin/./report.txt"} {
			t.Run(p, func(t *testing.T) {
				resp, b := e.rawResponse(t, "GET", p, nil)
				assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "no session: to sign-in")
				assert.Equal(t, "/?callbackUrl=%2Fadmin%2Freport.txt", resp.Header.Get("Location"))
				assert.NotContains(t, b, "quarterly secrets")
				resp, b = e.rawResponse(t, "GET", p, user.cookie())
				assert.Equal(t, http.StatusForbidden, resp.StatusCode, "not an admin")
				assert.NotContains(t, b, "quarterly secrets")
				resp, b = e.rawResponse(t, "GET", p, admin.cookie())
				assert.Equal(t, http.StatusOK, resp.StatusCode, "an admin")
				assert.Equal(t, "quarterly secrets", b)
				assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"), "no cache keeps an admin's file")
				resp, b = e.rawResponse(t, "HEAD", p, user.cookie())
				assert.Equal(t, http.StatusForbidden, resp.StatusCode, "HEAD follows the same rule")
				assert.Empty(t, b)
			})
		}
		r := e.client().get("/app.js")
		assert.Equal(t, http.StatusOK, r.StatusCode, "other assets stay public")
		assert.Equal(t, "no-cache", r.Header.Get("Cache-Control"))
	})
}

// TestModuleFilesStayPublic: even when an admin pattern names them, the
// browser module's own files are served to everybody (the sign-in page
// needs them); another file the pattern names is guarded.
func TestModuleFilesStayPublic(t *testing.T) {
	e := newEnv(t, func(o *envOptions) {
		o.app.AdminPaths = []string{"/admin/*", "/sessionguard.js", "/sessionguard.mjs", "/sessionguard.wasm", "/wasm_exec.js", "/app.js"}
	})
	for _, name := range []string{"sessionguard.js", "sessionguard.mjs", "sessionguard.wasm", "wasm_exec.js"} {
		require.NoError(t, os.WriteFile(filepath.Join(e.dir, name), []byte("module "+name), 0o600))
	}
	for _, p := range []string{"/sessionguard.js", "/sessionguard.mjs", "/sessionguard.wasm", "/wasm_exec.js"} {
		r := e.client().get(p)
		assert.Equal(t, http.StatusOK, r.StatusCode, p)
		assert.Equal(t, "module "+strings.TrimPrefix(p, "/"), body(t, r))
	}
	assert.Equal(t, http.StatusSeeOther, e.client().get("/app.js").StatusCode, "not the module's: guarded")
}

// TestUncleanablePathsAreRefused: a page load of a path that cannot be
// cleaned gets 400 (never the app shell, never "any session"), whoever asks.
func TestUncleanablePathsAreRefused(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		user, admin := e.client(), e.client()
		require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
		require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)
		for _, p := range []string{
			"/admin%00", "/admin/%ff", `/public/..\admin`, "/public/..%5cadmin", "/admin%0a", "/%00", "/dashboard%7f",
			"/public%00", "/admin/%c0%af", "/%zz", "/admin/%", "/public%2",
		} {
			for _, who := range []struct {
				name   string
				cookie *http.Cookie
			}{{"anonymous", nil}, {"user", user.cookie()}, {"admin", admin.cookie()}} {
				t.Run(p+" "+who.name, func(t *testing.T) {
					resp, b := e.rawResponse(t, "GET", p, who.cookie, "Accept: text/html", "Sec-Fetch-Mode: navigate")
					assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
					assert.NotContains(t, b, "sg-session", "never the app shell")
					if resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" { // net/http's own refusal
						assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
					}
				})
			}
		}
	})
}

// TestUncleanablePathsThroughTheHandler reaches the guard directly (net/http
// refuses some of these paths before any handler runs): 400, a page for a
// browser and JSON for anything else, never cached.
func TestUncleanablePathsThroughTheHandler(t *testing.T) {
	e := newEnv(t)
	h := e.auth.Handler()
	for _, p := range []string{"/admin\x00", "/admin/\xff", `/public/..\admin`, "/admin\n", "/dashboard\x7f"} {
		t.Run(p, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.URL = &url.URL{Path: p}
			req.Header.Set("Accept", "text/html")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, http.StatusBadRequest, rec.Code)
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			assert.Contains(t, rec.Header().Get("Content-Type"), "text/html")
			assert.NotContains(t, rec.Body.String(), "sg-session")

			req.Header.Del("Accept")
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, http.StatusBadRequest, rec.Code)
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			assert.JSONEq(t, `{"error":"malformed path"}`, rec.Body.String())
		})
	}
}

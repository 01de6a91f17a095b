package auth_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/server/auth"
	"github.com/sessionguard/sessionguard/wire"
)

// TestRequireMiddleware covers the library's middleware for programs that
// protect their own routes.
func TestRequireMiddleware(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "hello "+auth.FromContext(r.Context()).User.Name)
		})
		mux := http.NewServeMux()
		mux.Handle("/mine", e.auth.RequireSession(hello))
		mux.Handle("/staff", e.auth.RequireRole("admin", hello))
		srv := httptest.NewServer(mux)
		defer srv.Close()

		user, admin := e.client(), e.client()
		require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
		require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)

		get := func(path string, c *client, hdr ...string) (int, string, string) {
			req, err := http.NewRequest("GET", srv.URL+path, nil)
			require.NoError(t, err)
			for i := 0; i+1 < len(hdr); i += 2 {
				req.Header.Set(hdr[i], hdr[i+1])
			}
			if c != nil {
				req.AddCookie(c.cookie())
			}
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			require.NoError(t, err)
			return resp.StatusCode, body(t, resp), resp.Header.Get("Location")
		}

		code, b, _ := get("/mine", nil)
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.JSONEq(t, `{"error":"not signed in"}`, b)
		code, _, loc := get("/mine?x=1", nil, "Accept", "text/html")
		assert.Equal(t, http.StatusSeeOther, code, "a page navigation goes to sign-in")
		assert.Equal(t, "/?callbackUrl=%2Fmine%3Fx%3D1", loc)
		code, b, _ = get("/mine", user)
		assert.Equal(t, http.StatusOK, code)
		assert.Equal(t, "hello Demo User", b)
		code, b, _ = get("/staff", user)
		assert.Equal(t, http.StatusForbidden, code)
		assert.JSONEq(t, `{"error":"this needs the admin role"}`, b)
		code, b, _ = get("/staff", admin)
		assert.Equal(t, http.StatusOK, code)
		assert.Equal(t, "hello Demo Admin", b)

		e.store.down.Store(true)
		code, _, _ = get("/mine", user)
		assert.Equal(t, http.StatusServiceUnavailable, code, "store outage fails closed")
	})
}

// TestRequireMiddlewareRefusesUncleanablePaths: RequireSession and
// RequireRole answer 400 for a path that cannot be cleaned — a short page
// for a browser navigation, JSON otherwise — whoever asks and before the
// session is read (a store outage does not turn it into 503), and never run
// the protected handler.
func TestRequireMiddlewareRefusesUncleanablePaths(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		reached := false
		hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reached = true
			io.WriteString(w, "hello")
		})
		guards := []struct {
			name string
			h    http.Handler
		}{{"RequireSession", e.auth.RequireSession(hello)}, {"RequireRole", e.auth.RequireRole(wire.RoleAdmin, hello)}}
		user, admin := e.client(), e.client()
		require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
		require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)
		visitors := []struct {
			name string
			c    *client
		}{{"anonymous", nil}, {"user", user}, {"admin", admin}}
		paths := []string{"/mine%00", "/mine/%ff", "/mine%0a", "/mine/..%5cstaff", "/mine/%2e%2e%2f/..", "/mine//..", "/a%2fb/..", "/mine%c0%af"}
		for _, down := range []bool{false, true} {
			e.store.down.Store(down)
			for _, g := range guards {
				for _, v := range visitors {
					for _, p := range paths {
						for _, page := range []bool{true, false} {
							name := g.name + "/" + v.name + "/" + p
							if page {
								name += "/page"
							}
							if down {
								name += "/store down"
							}
							t.Run(name, func(t *testing.T) {
								_, ok := policy.Clean(p)
								require.False(t, ok, "the path cannot be cleaned")
								reached = false
								req := httptest.NewRequest("GET", p, nil)
								if page {
									req.Header.Set("Accept", "text/html")
								}
								if v.c != nil {
									req.AddCookie(v.c.cookie())
								}
								rec := httptest.NewRecorder()
								g.h.ServeHTTP(rec, req)
								assert.Equal(t, http.StatusBadRequest, rec.Code)
								assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
								if page {
									assert.Contains(t, rec.Body.String(), "cannot be read as a path")
								} else {
									assert.JSONEq(t, `{"error":"malformed path"}`, rec.Body.String())
								}
								assert.False(t, reached, "the protected handler never runs")
							})
						}
					}
				}
			}
		}
	})
}

func TestNewChecksConfig(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		pol, err := policy.New("/public", "")
		require.NoError(t, err)
		_, err = auth.New(auth.Config{Sessions: e.mgr, Users: e.users, Policy: pol})
		assert.ErrorContains(t, err, `sign-in path "/" must be public`)
		_, err = auth.New(auth.Config{Sessions: e.mgr, Users: e.users, Policy: pol, SignInPath: "/public"})
		assert.NoError(t, err)
		_, err = auth.New(auth.Config{Sessions: e.mgr, Policy: pol})
		assert.ErrorContains(t, err, "needs Sessions, Users and Policy")
		_, err = auth.New(auth.Config{Sessions: e.mgr, Users: e.users, Policy: pol, SignInPath: "/public", StaticDir: t.TempDir()})
		assert.ErrorContains(t, err, "read app shell")
	})
}

// TestHandlersBuildConcurrently builds the handlers of two servers at once:
// their route tables share method lists, which mux must not write to (the
// race detector fails this test if it does).
func TestHandlersBuildConcurrently(t *testing.T) {
	e := newEnv(t)
	pol, err := policy.New("/", "")
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := auth.New(auth.Config{Sessions: e.mgr, Users: e.users, Policy: pol})
			if assert.NoError(t, err) {
				assert.NotNil(t, a.Handler())
			}
		}()
	}
	wg.Wait()
}

// TestRequireMiddlewareAppliesAAL2Paths: the library middleware applies
// -aal2-paths as the page guard does.
func TestRequireMiddlewareAppliesAAL2Paths(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy), func(o *envOptions) { o.app.AAL2Paths = []string{"/vault/*"} })
		hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
		mux := http.NewServeMux()
		mux.Handle("/", e.auth.RequireSession(hello))
		srv := httptest.NewServer(mux)
		defer srv.Close()
		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		get := func(path string, hdr ...string) *http.Response {
			req, err := http.NewRequest("GET", srv.URL+path, nil)
			require.NoError(t, err)
			for i := 0; i+1 < len(hdr); i += 2 {
				req.Header.Set(hdr[i], hdr[i+1])
			}
			req.AddCookie(c.cookie())
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			require.NoError(t, err)
			return resp
		}
		r := get("/vault/x", "Accept", "text/html")
		assert.Equal(t, http.StatusSeeOther, r.StatusCode)
		assert.Equal(t, "/?callbackUrl=%2Fvault%2Fx&stepUp=1", r.Header.Get("Location"))
		r = get("/vault/x")
		assert.Equal(t, http.StatusForbidden, r.StatusCode)
		assert.JSONEq(t, `{"error":"this needs a sign-in with a second factor","code":"aal2_required"}`, body(t, r))
		r = get("/elsewhere")
		assert.Equal(t, http.StatusOK, r.StatusCode)
	})
}

// TestRequireMiddlewareLimitsEnrolment: RequireSession keeps a session
// that must enrol a second factor out of a program's own routes too.
func TestRequireMiddlewareLimitsEnrolment(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.app.Require2FARoles = []string{"admin"} })
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	srv := httptest.NewServer(e.auth.RequireSession(hello))
	defer srv.Close()
	admin, user := e.client(), e.client()
	require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)
	require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
	get := func(c *client, path string, hdr ...string) *http.Response {
		req, err := http.NewRequest("GET", srv.URL+path, nil)
		require.NoError(t, err)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		req.AddCookie(c.cookie())
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		require.NoError(t, err)
		return resp
	}
	r := get(admin, "/reports")
	assert.Equal(t, http.StatusForbidden, r.StatusCode)
	assert.JSONEq(t, `{"error":"set up two-factor authentication first","code":"enrollment_required"}`, body(t, r))
	r = get(admin, "/reports", "Accept", "text/html")
	assert.Equal(t, http.StatusSeeOther, r.StatusCode)
	assert.Equal(t, "/account", r.Header.Get("Location"))
	r = get(admin, "/account", "Accept", "text/html")
	assert.Equal(t, http.StatusOK, r.StatusCode, "the enrolment page")
	r = get(user, "/reports")
	assert.Equal(t, http.StatusOK, r.StatusCode, "another role")
	admin.enrol(t)
	r = get(admin, "/reports")
	assert.Equal(t, http.StatusOK, r.StatusCode, "enrolled")
}

package auth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wire"
)

// navigate are the headers of a browser's plain form submission.
var navigate = []string{"Content-Type", "application/x-www-form-urlencoded", "Accept", "text/html", "Sec-Fetch-Mode", "navigate"}

// formPost posts a plain HTML form from the page at referer ("" for none).
func (c *client) formPost(path, referer string, kv ...string) *http.Response {
	hdr := navigate
	if referer != "" {
		hdr = append(append([]string{}, navigate...), "Referer", c.e.srv.URL+referer)
	}
	return c.do("POST", path, form(kv...), hdr...)
}

// refusalOf gives a plain form's answer that went back to its page with
// ?error=<code> the status code an API client gets for that refusal.
func refusalOf(r *http.Response) *http.Response {
	loc, err := url.Parse(r.Header.Get("Location"))
	if r.StatusCode != http.StatusSeeOther || err != nil {
		return r
	}
	if code, ok := map[string]int{
		"CredentialsSignin": http.StatusUnauthorized, "AccessDenied": http.StatusForbidden, "RateLimited": http.StatusTooManyRequests,
		"BadRequest": http.StatusBadRequest, "Unavailable": http.StatusServiceUnavailable,
	}[loc.Query().Get("error")]; ok {
		r.StatusCode = code
	}
	return r
}

// TestFormRefusalGoesBackToTheForm: a plain form's refused sign-in is
// answered 303 to the page the form was on with ?error=<code> (its other
// query parameters kept), so a reload does not post it again; the same
// refusals from a script keep their JSON answers.
func TestFormRefusalGoesBackToTheForm(t *testing.T) {
	user := []string{"email", "user@example.com", "password", "user-password"}

	cases := []struct {
		name, referer string
		fields        []string
		location      string
	}{
		{"wrong password", "/ssr-login", []string{"email", "user@example.com", "password", "nope"}, "/ssr-login?error=CredentialsSignin"},
		{"unknown e-mail", "/ssr-login", []string{"email", "nobody@example.com", "password", "nope"}, "/ssr-login?error=CredentialsSignin"},
		{"missing password", "/ssr-login", []string{"email", "user@example.com"}, "/ssr-login?error=BadRequest"},
		{"query kept, old error replaced", "/?callbackUrl=%2Faccount&error=BadRequest", []string{"email", "user@example.com", "password", "nope"},
			"/?callbackUrl=%2Faccount&error=CredentialsSignin"},
		{"no Referer: the sign-in path", "", []string{"email", "user@example.com", "password", "nope"}, "/?error=CredentialsSignin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newEnv(t).client().formPost("/api/auth/signin", tc.referer, tc.fields...)
			assert.Equal(t, http.StatusSeeOther, r.StatusCode)
			assert.Equal(t, tc.location, r.Header.Get("Location"))
			assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		})
	}

	t.Run("another origin's Referer: the sign-in path", func(t *testing.T) {
		e := newEnv(t)
		r := e.client().do("POST", "/api/auth/signin", form("email", "user@example.com", "password", "nope"),
			append(append([]string{}, navigate...), "Referer", "https://evil.example/ssr-login")...)
		assert.Equal(t, "/?error=CredentialsSignin", r.Header.Get("Location"))
	})

	t.Run("rate limited", func(t *testing.T) {
		e := newEnv(t)
		c := e.client()
		for range 5 {
			require.Equal(t, http.StatusUnauthorized, c.signIn("admin@example.com", "wrong").StatusCode)
		}
		r := c.formPost("/api/auth/signin", "/ssr-login", "email", "admin@example.com", "password", "wrong")
		assert.Equal(t, http.StatusSeeOther, r.StatusCode)
		assert.Equal(t, "/ssr-login?error=RateLimited", r.Header.Get("Location"))
		assert.NotEmpty(t, r.Header.Get("Retry-After"))
	})

	t.Run("disabled account", func(t *testing.T) {
		e := newEnv(t)
		list, err := e.users.List(t.Context())
		require.NoError(t, err)
		for _, u := range list {
			if u.Email == "html@example.com" {
				_, err := e.users.SetDisabled(t.Context(), u.ID, true)
				require.NoError(t, err)
			}
		}
		r := e.client().formPost("/api/auth/signin", "/ssr-login", "email", "html@example.com", "password", "html-password")
		assert.Equal(t, "/ssr-login?error=AccessDenied", r.Header.Get("Location"))
		assert.JSONEq(t, `{"error":"this account is disabled"}`,
			body(t, e.client().signIn("html@example.com", "html-password")), "JSON clients keep their answer")
	})

	t.Run("JSON and form-encoded scripts keep their answers", func(t *testing.T) {
		e := newEnv(t)
		r := e.client().signIn("user@example.com", "nope")
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
		assert.JSONEq(t, `{"error":"invalid credentials"}`, body(t, r))
		r = e.client().do("POST", "/api/auth/signin", form("email", "user@example.com", "password", "nope"),
			"Content-Type", "application/x-www-form-urlencoded")
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
		assert.JSONEq(t, `{"error":"invalid credentials"}`, body(t, r))
	})

	t.Run("success still goes to redirectUrl", func(t *testing.T) {
		e := newEnv(t)
		r := e.client().formPost("/api/auth/signin", "/ssr-login", append(user, "redirectUrl", "/account")...)
		assert.Equal(t, http.StatusSeeOther, r.StatusCode)
		assert.Equal(t, "/account", r.Header.Get("Location"))
	})

	t.Run("sign-out store failure", func(t *testing.T) {
		e := newEnv(t)
		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		e.store.down.Store(true)
		defer e.store.down.Store(false)
		r := c.formPost("/api/auth/signout", "/ssr-logout", "redirectUrl", "/")
		assert.Equal(t, http.StatusSeeOther, r.StatusCode)
		assert.Equal(t, "/ssr-logout?error=Unavailable", r.Header.Get("Location"))
	})
}

// demoShell is a shell with the demo's kinds of per-user elements.
const demoShell = `<!doctype html><html><head><title>t</title></head><body>
<nav><a id="nav-admin" href="/admin" data-sg-role="admin">Admin</a><span id="who" data-sg-show="authenticated"><b id="name" data-sg-text="user.name"></b></span><a id="in" data-sg-show='anonymous'>Sign in</a></nav>
<p id="err-cred" data-sg-error="CredentialsSignin">Wrong e-mail or password.</p>
<p id="err-limit" data-sg-error="RateLimited">Too many.</p>
<section id="view-home" data-sg-route="/">home</section>
<section id="view-dash" data-sg-route="/dashboard">dashboard <span id="email" data-sg-text="user.email"></span></section>
<section id="view-admin" data-sg-route="/admin/*">admin</section>
<section id="view-ssr-login" class="ssr" data-sg-route="/ssr-login">form</section>
<section id="view-none" data-sg-route="*">not found</section>
</body></html>`

// hidden reports, for each id, whether its start tag in page carries the
// hidden attribute.
func hiddenIDs(t *testing.T, page string, ids ...string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, id := range ids {
		i := strings.Index(page, `id="`+id+`"`)
		require.GreaterOrEqual(t, i, 0, id)
		start := strings.LastIndex(page[:i], "<")
		end := i + strings.Index(page[i:], ">")
		out[id] = strings.Contains(page[start:end], " hidden")
	}
	return out
}

// TestShellRenderedOnServer: the app shell comes with its per-user
// elements, views and form messages rendered for the visitor, as the
// module would render them, so a page without script shows the right
// view: after a plain form's sign-in, the dashboard, not the sign-in form.
func TestShellRenderedOnServer(t *testing.T) {
	e := newEnv(t, withShell(demoShell))
	ids := []string{"nav-admin", "who", "in", "err-cred", "err-limit", "view-home", "view-dash", "view-admin", "view-ssr-login", "view-none"}
	shown := func(page string) []string {
		var out []string
		h := hiddenIDs(t, page, ids...)
		for _, id := range ids {
			if !h[id] {
				out = append(out, id)
			}
		}
		return out
	}

	anon := e.client()
	r := anon.get("/ssr-login?error=CredentialsSignin")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, []string{"in", "err-cred", "view-ssr-login"}, shown(body(t, r)), "the form's page with its message")
	r = anon.get("/ssr-login?error=%3Cscript%3E")
	assert.Equal(t, []string{"in", "view-ssr-login"}, shown(body(t, r)), "an unknown code shows nothing")

	user := e.client()
	r = user.formPost("/api/auth/signin", "/ssr-login", "email", "html@example.com", "password", "html-password", "redirectUrl", "/dashboard")
	require.Equal(t, "/dashboard", r.Header.Get("Location"))
	page := body(t, user.get("/dashboard"))
	assert.Equal(t, []string{"who", "view-dash"}, shown(page), "the dashboard, not the sign-in form")
	assert.Contains(t, page, `<b id="name" data-sg-text="user.name">&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;</b>`, "text, escaped")
	assert.Contains(t, page, `data-sg-text="user.email">html@example.com</span>`)

	admin := e.client()
	require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)
	r = admin.get("/admin/users")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, []string{"nav-admin", "who", "view-admin"}, shown(body(t, r)))

	var s wire.Session
	decode(t, admin.get("/api/session"), &s)
	assert.Equal(t, "Demo Admin", s.User.Name, "the API is untouched")
}

// TestStyledErrorPages: a signed-in visitor without the role gets a 403
// page in the app's style that says why and leads on (the start page, or
// sign-in with another account and back); an unknown page is the shell's
// not-found view with 404. The API keeps its JSON errors.
func TestStyledErrorPages(t *testing.T) {
	e := newEnv(t, withShell(demoShell))
	user := e.client()
	require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)

	r := user.get("/admin?tab=users", "Accept", "text/html", "Sec-Fetch-Mode", "navigate")
	page := body(t, r)
	assert.Equal(t, http.StatusForbidden, r.StatusCode)
	assert.Contains(t, r.Header.Get("Content-Type"), "text/html")
	assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	assert.Contains(t, page, `<link rel="stylesheet" href="/app.css">`, "the app's style")
	assert.Contains(t, page, `<div class="card">`)
	assert.Contains(t, page, "This page needs the admin role, and user@example.com has the user role.", "the reason")
	assert.Contains(t, page, `<a class="button primary" href="/">`, "a way home")
	assert.Contains(t, page, `<form class="actions" method="post" action="/api/auth/signout"><input type="hidden" name="redirectUrl" value="/?callbackUrl=%2Fadmin%3Ftab%3Dusers">`,
		"sign in with another account, then back here")

	r = user.get("/api/admin/users")
	assert.Equal(t, http.StatusForbidden, r.StatusCode)
	assert.JSONEq(t, `{"error":"this needs the admin role"}`, body(t, r), "the API answers JSON")
	r = user.get("/api/no-such-thing")
	assert.Equal(t, http.StatusNotFound, r.StatusCode)
	assert.JSONEq(t, `{"error":"not found"}`, body(t, r))

	r = user.get("/no-such-page")
	page = body(t, r)
	assert.Equal(t, http.StatusNotFound, r.StatusCode, "an unknown page")
	assert.Equal(t, map[string]bool{"view-none": false, "view-home": true, "view-dash": true}, hiddenIDs(t, page, "view-none", "view-home", "view-dash"),
		"the shell's not-found view")
	assert.Equal(t, http.StatusOK, user.get("/dashboard").StatusCode)
	assert.Equal(t, http.StatusOK, user.get("/dashboard/").StatusCode)
	assert.Equal(t, http.StatusSeeOther, e.client().get("/no-such-page").StatusCode, "without a session: sign in first, as for any page")

	plain := newEnv(t).client() // a shell without views: every page is the app's to route
	require.Equal(t, http.StatusOK, plain.signIn("user@example.com", "user-password").StatusCode)
	assert.Equal(t, http.StatusOK, plain.get("/no-such-page").StatusCode)
}

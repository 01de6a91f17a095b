package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSignInFromGuardedPage: an anonymous full load of /dashboard is
// redirected by the server to the sign-in page with the callback, which
// shows the form and a notice; signing in through the form lands on
// /dashboard client-side, with the user's details and a countdown.
func TestSignInFromGuardedPage(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		code, loc := srv.rawGet("/dashboard", nil)
		require.Equal(t, http.StatusSeeOther, code)
		assert.Equal(t, "/?callbackUrl="+url.QueryEscape("/dashboard"), loc)

		tb := newTab(t, srv)
		tb.load("/dashboard")
		assert.Equal(t, "/?callbackUrl=%2Fdashboard", tb.path())
		tb.waitView("/")
		assert.True(t, tb.visible("#signin-email"), "the sign-in form is shown")
		assert.True(t, tb.visible("#signin-notice"), "a notice says why")
		assert.Contains(t, tb.text("#signin-notice"), "/dashboard")
		assert.Nil(t, tb.session())

		tb.run(`window.__marker = 1`)
		tb.signIn(demoUser)
		tb.waitPath("/dashboard")
		tb.waitView("/dashboard")
		assert.Equal(t, 1, evalJS[int](tb, `window.__marker`), "no page load: the module navigated in the page")
		assert.Equal(t, demoUser.Name, tb.text("#dash-name"))
		assert.Equal(t, demoUser.Email, tb.text("#dash-email"))
		assert.Equal(t, demoUser.Role, tb.text("#dash-role"))
		assert.Regexp(t, `^\d{2}:\d{2}$|^\d+:\d{2}:\d{2}$`, tb.text("#dash-countdown"))
		s := tb.session()
		require.NotNil(t, s)
		assert.Equal(t, demoUser.Email, s.User.Email)
		assert.Equal(t, demoUser.Name, s.User.Name)
		assert.Equal(t, demoUser.Role, s.User.Role)
		assert.NotEmpty(t, s.User.ID)
		assert.NotNil(t, tb.cookie(), "the browser holds the session cookie")
	})
}

// TestSignInReturnsToCallback: signing in on the sign-in page goes to its
// callbackUrl (path and query) when that is a same-origin path, and to /
// otherwise; the sign-in page never starts a redirect loop.
func TestSignInReturnsToCallback(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv) // one tab, signed out again after each case
		signOut := func() {
			t.Helper()
			tb.run(`sessionguard.signOut()`)
			require.Nil(t, tb.session())
		}

		t.Run("guarded page with a query", func(t *testing.T) {
			code, loc := srv.rawGet("/admin/users?tab=2&q=a%2Fb", nil)
			require.Equal(t, http.StatusSeeOther, code)
			require.Equal(t, signInURL("/admin/users?tab=2&q=a%2Fb"), loc)
			tb.load("/admin/users?tab=2&q=a%2Fb")
			assert.Equal(t, loc, tb.path())
			tb.signIn(demoAdmin)
			tb.waitPath("/admin/users?tab=2&q=a%2Fb")
			tb.waitView("/admin/*")
			signOut()
		})

		// A callback the user may not see: signed in, the page stays on
		// the sign-in page and says why.
		t.Run("callback needs a role the user lacks", func(t *testing.T) {
			tb.load("/admin")
			assert.Equal(t, signInURL("/admin"), tb.path())
			tb.clearEvents()
			tb.signIn(demoUser)
			tb.waitFor(`window.__sgEvents.some(e => e.type === 'blocked')`, "the callback is refused")
			assert.Equal(t, []blocked{{To: "/admin", Reason: "forbidden"}}, tb.blockedEvents())
			assert.NotNil(t, tb.session(), "signed in all the same")
			assert.Equal(t, signInURL("/admin"), tb.path())
			assert.Equal(t, []string{"/"}, tb.views())
			assert.True(t, tb.visible("#blocked-message"), "the page tells why")
			assert.False(t, tb.visible("#view-admin"))
			signOut()
		})

		for _, callback := range []string{
			"//evil.example",
			"https://evil.example",
			"/\\evil.example",
			"javascript:alert(1)",
			"%2F%2Fevil.example",
		} {
			t.Run("unsafe "+callback, func(t *testing.T) {
				tb.load("/?callbackUrl=" + url.QueryEscape(callback))
				tb.signIn(demoUser)
				tb.waitFor(`sessionguard.session() !== null`, "signed in")
				tb.waitPath("/")
				assert.Equal(t, srv.URL, evalJS[string](tb, `location.origin`))
				tb.waitView("/")
				assert.True(t, tb.visible(`#view-home [data-sg-show="authenticated"]`), "the signed-in start page")
				signOut()
			})
		}

		// The sign-in page as its own callback: it shows the form, stays
		// where it is, and signing in lands on /.
		t.Run("callbackUrl=/ anonymous", func(t *testing.T) {
			code, _ := srv.rawGet("/?callbackUrl=%2F", nil)
			assert.Equal(t, http.StatusOK, code)
			tb.load("/?callbackUrl=%2F")
			assert.Equal(t, "/?callbackUrl=%2F", tb.path())
			assert.True(t, tb.visible("#signin-email"))
			assert.Empty(t, tb.events("navigate"), "the module does not move on its own")
			tb.signIn(demoUser)
			tb.waitFor(`sessionguard.session() !== null`, "signed in")
			tb.waitPath("/")
			tb.waitView("/")
		})

		// A signed-in visitor on the sign-in page with a callback: the
		// server serves it, and the page stays there showing the signed-in
		// start page (no form, no notice), without navigating on its own.
		t.Run("signed in on the sign-in page", func(t *testing.T) {
			require.NotNil(t, tb.session())
			code, _ := srv.rawGet("/?callbackUrl=%2Fdashboard", tb.cookie())
			assert.Equal(t, http.StatusOK, code)
			tb.load("/?callbackUrl=%2Fdashboard")
			assert.Equal(t, "/?callbackUrl=%2Fdashboard", tb.path())
			assert.Equal(t, []string{"/"}, tb.views())
			assert.False(t, tb.visible("#signin-email"), "no sign-in form")
			assert.False(t, tb.visible("#signin-notice"), "no notice")
			assert.True(t, tb.visible(`#view-home [data-sg-show="authenticated"]`))
			assert.Empty(t, tb.events("navigate"))
			assert.Empty(t, tb.blockedEvents())
		})
	})
}

// TestSignInErrorsShown: a wrong password shows "invalid credentials" in
// the form; after the account's limit of failures the form says how many
// seconds to wait (429), while another account still signs in.
func TestSignInErrorsShown(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		lockedUser := srv.newAccount("user")
		tb := newTab(t, srv)
		tb.load("/")
		assert.False(t, tb.visible("#signin-error"))

		submitWrong := func() string {
			t.Helper()
			tb.run(`(el => { el.textContent = ''; el.hidden = true; })(document.querySelector('#signin-error'))`)
			tb.fillSignIn(lockedUser.Email, "wrong-password")
			tb.click("#signin-submit")
			tb.waitFor(`(el => !el.hidden && el.textContent !== '')(document.querySelector('#signin-error'))`, "an error is shown")
			return tb.text("#signin-error")
		}

		assert.Regexp(t, `(?i)invalid credentials|(e-mail|email).* or password is wrong`, submitWrong())
		assert.Nil(t, tb.session())
		assert.Equal(t, "/", tb.path())

		// Failures 2 to 5 through the API the form uses.
		for i := 2; i <= 5; i++ {
			r := evalJS[map[string]any](tb, `sessionguard.signIn({email: `+jsString(lockedUser.Email)+`, password: 'wrong-password'})`)
			assert.Equal(t, false, r["ok"], "attempt %d", i)
			assert.EqualValues(t, 401, r["status"], "attempt %d", i)
		}

		msg := submitWrong()
		assert.Regexp(t, `\d+ seconds?`, msg, "429: the wait is told in seconds")
		assert.NotRegexp(t, `(?i)invalid credentials|password is wrong`, msg)
		assert.Nil(t, tb.session())

		// The limit is per account: the form's button waits it out for
		// that e-mail only, and the admin signs in from the same browser
		// and address at once (the README tour's step).
		assert.True(t, evalJS[bool](tb, `document.querySelector('#signin-submit').disabled`), "the button waits for the locked account")
		tb.click(`.account[data-email=` + jsString(demoAdmin.Email) + `]`)
		assert.False(t, evalJS[bool](tb, `document.querySelector('#signin-submit').disabled`), "another account may try at once")
		tb.click("#signin-submit")
		tb.waitPath("/dashboard")
		require.NotNil(t, tb.session())
		assert.Equal(t, demoAdmin.Email, tb.session().User.Email)
	})
}

// TestSignInOutAPI: sessionguard.signIn and signOut answer as docs/MODULE.md
// says, navigate to the (safe) redirect URL, and keep session() current.
func TestSignInOutAPI(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		user := srv.newAccount("user") // its failure counts for no other test
		tb := newTab(t, srv)
		tb.load("/")

		type result struct {
			OK          bool   `json:"ok"`
			Error       string `json:"error"`
			RedirectURL string `json:"redirectUrl"`
		}
		r := evalJS[result](tb, `sessionguard.signIn({email: `+jsString(user.Email)+`, password: 'nope-nope-nope'})`)
		assert.False(t, r.OK)
		assert.NotEmpty(t, r.Error)
		assert.Nil(t, tb.session())

		r = evalJS[result](tb, `sessionguard.signIn({email: `+jsString(user.Email)+`, password: `+jsString(user.Password)+`, redirectUrl: '/public?from=api'})`)
		assert.Equal(t, result{OK: true, RedirectURL: "/public?from=api"}, r)
		assert.Equal(t, "/public?from=api", tb.path(), "navigated before the promise resolved")
		tb.waitView("/public")
		s := tb.session()
		require.NotNil(t, s)
		assert.Equal(t, user.Email, s.User.Email)

		r = evalJS[result](tb, `sessionguard.signOut({redirectUrl: '//evil.example'})`)
		assert.Equal(t, result{OK: true, RedirectURL: "/"}, r)
		assert.Equal(t, "/", tb.path())
		assert.Nil(t, tb.session())
		assert.Nil(t, tb.cookie(), "the cookie is cleared")
	})
}

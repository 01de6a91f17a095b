package e2e

import (
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signInURL is where the guard sends a visitor without a session who
// wanted dest.
func signInURL(dest string) string { return "/?callbackUrl=" + url.QueryEscape(dest) }

// TestSignedOutElsewhereThenNavigate: the session ends on the server while
// the page still holds it; the next guarded navigation asks the server,
// is cancelled with reason unauthenticated, and the page goes to sign-in
// with the destination as callbackUrl.
func TestSignedOutElsewhereThenNavigate(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		for _, tt := range []struct {
			name    string
			trigger func(tb *tab)
		}{
			{"click", func(tb *tab) { tb.click("#nav-dashboard") }},
			{"goto", func(tb *tab) { assert.False(tb.t, tb.gotoPath("/dashboard"), "goto answers false") }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				tb := newTab(t, srv)
				tb.withoutStream() // the page must not hear of the sign-out
				tb.signInAt("/", demoUser)
				tb.waitPath("/dashboard")
				tb.click("#nav-public")
				tb.waitPath("/public")
				tb.run(`window.__marker = 1`)
				tb.watchView("/dashboard")

				cookie := tb.cookie()
				require.NotNil(t, cookie, "the browser holds the session cookie")
				srv.signOut(cookie)
				require.NotNil(t, tb.session(), "the page does not know yet")

				tb.clearEvents()
				tt.trigger(tb)
				tb.waitPath(signInURL("/dashboard"))
				tb.waitView("/")
				assert.Equal(t, []blocked{{To: "/dashboard", Reason: "unauthenticated"}}, tb.blockedEvents())
				tb.waitFor(`sessionguard.session() === null`, "the session is null")
				assert.True(t, tb.visible("#signin-email"), "the sign-in form is shown")
				assert.False(t, tb.wasShown("/dashboard"), "the dashboard was never shown")
				assert.Equal(t, 1, evalJS[int](tb, `window.__marker`), "no page was loaded")
			})
		}
	})
}

// TestSignedInElsewhereThenNavigate: the page was loaded anonymous, and a
// session cookie arrived without the page hearing of it (a sign-in
// elsewhere); a guarded navigation asks the server, goes ahead, and the
// page learns the session and turns signed in.
func TestSignedInElsewhereThenNavigate(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)
		tb.load("/public")
		require.Nil(t, tb.session())
		tb.setCookie(srv.signIn(demoUser))

		assert.True(t, tb.gotoPath("/dashboard"))
		assert.Equal(t, "/dashboard", tb.path())
		tb.waitView("/dashboard")
		s := tb.session()
		require.NotNil(t, s, "the page learned the session")
		assert.Equal(t, demoUser.Email, s.User.Email)
		assert.Equal(t, demoUser.Name, tb.text("#dash-name"))
		assert.True(t, tb.visible("#signout"))
		assert.False(t, tb.visible("#nav-signin"))
		assert.Empty(t, tb.blockedEvents())
	})
}

// TestBackToGuardedViewAfterRevoke: back/forward is guarded too. The user
// went from /dashboard to /public, the session ends on the server, then
// history.back(): the guard refuses /dashboard without showing it and the
// page ends on sign-in with callbackUrl=/dashboard.
func TestBackToGuardedViewAfterRevoke(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)
		tb.signInAt("/", demoUser)
		tb.waitPath("/dashboard")
		tb.click("#nav-public")
		tb.waitPath("/public")
		tb.waitView("/public")
		tb.watchView("/dashboard")

		srv.signOut(tb.cookie())
		tb.clearEvents()
		tb.run(`history.back()`)
		tb.waitPath(signInURL("/dashboard"))
		tb.waitView("/")
		assert.Equal(t, []blocked{{To: "/dashboard", Reason: "unauthenticated"}}, tb.blockedEvents())
		tb.waitFor(`sessionguard.session() === null`, "the session is null")
		assert.False(t, tb.wasShown("/dashboard"), "the dashboard was never shown")
		assert.True(t, tb.visible("#signin-email"), "the sign-in form is shown")
	})
}

// TestBackIntoSiteAfterSignOut: the visitor left the site from the
// dashboard, the session ended meanwhile, and the back button returns to
// the site: the dashboard is not shown again (from a cache or otherwise),
// the visitor is sent to sign in.
func TestBackIntoSiteAfterSignOut(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)
		tb.signInAt("/", demoUser)
		tb.load("/dashboard")
		tb.waitView("/dashboard")
		cookie := tb.cookie()
		tb.do(chromedp.Navigate("about:blank"))
		srv.signOut(cookie)

		tb.run(`history.back(); undefined`)
		tb.waitFor(`location.origin === `+jsString(srv.URL), "back on the site")
		tb.ready()
		tb.waitPath(signInURL("/dashboard"))
		tb.waitView("/")
		assert.Nil(t, tb.session())
		assert.True(t, tb.visible("#signin-email"))
	})
}

// shortMaxAge is the idle lifetime of the tests that wait for expiry. A
// page must act at least every shortMaxAge-1s to stay signed in (the page
// rounds expiry down to whole seconds), even on a loaded machine.
const shortMaxAge = 4 * time.Second

// TestSessionExpiresInPage: with a short idle lifetime and no activity, the
// module drops the session when it expires and the page turns anonymous: a
// guarded view goes to sign-in with callbackUrl=/dashboard, a public view
// stays.
func TestSessionExpiresInPage(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c, withLifetime(shortMaxAge, 0))
		// Two tabs, each with its own session, idle at the same time.
		guarded, public := newTab(t, srv), newTab(t, srv)
		guarded.signInAt("/", demoUser)
		guarded.waitPath("/dashboard")
		guarded.waitView("/dashboard")
		assert.True(t, guarded.visible("#signout"))
		public.signInAt("/", demoUser)
		require.True(t, public.gotoPath("/public"))
		public.run(`window.__marker = 1`)

		// Only local reads from here on: the pages are idle for the server.
		t.Run("guarded view", func(t *testing.T) {
			tb := guarded
			tb.waitPath(signInURL("/dashboard"))
			tb.waitFor(`sessionguard.session() === null`, "the session is null")
			tb.waitView("/")
			assert.True(t, tb.visible("#signin-email"), "the sign-in form is shown")
			assert.True(t, tb.visible("#nav-signin"), "the page is anonymous")
			assert.False(t, tb.visible("#signout"))
			assert.Equal(t, "", tb.text("#dash-name"))
			changes := tb.events("change")
			require.NotEmpty(t, changes)
			assert.JSONEq(t, "null", string(changes[len(changes)-1].Detail), "sessionguard:change carries null")
			// (The server is not asked: the page expires a session up to a
			// second before the server does, by design, and a read from the
			// test would extend it.)
		})

		t.Run("public view", func(t *testing.T) {
			tb := public
			tb.waitFor(`sessionguard.session() === null`, "the session is null")
			assert.Equal(t, "/public", tb.path(), "a public view stays")
			assert.Equal(t, []string{"/public"}, tb.views())
			assert.True(t, tb.visible("#nav-signin"), "the page is anonymous")
			assert.Equal(t, 1, evalJS[int](tb, `window.__marker`), "no page was loaded")
		})
	})
}

// TestActivityExtendsSession: every guarded navigation extends the
// session (rolling expiry), and the page follows the new expiry: a visitor
// who keeps navigating past the first expiry stays signed in.
func TestActivityExtendsSession(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c, withLifetime(shortMaxAge, 0))
		tb := newTab(t, srv)
		tb.signInAt("/", demoUser)
		tb.waitPath("/dashboard")
		first := tb.session()
		require.NotNil(t, first)

		until := float64(first.Expires.UnixMilli() + 1500)
		for evalJS[float64](tb, `Date.now()`) < until {
			require.True(t, tb.gotoPath("/public"))
			require.True(t, tb.gotoPath("/dashboard"), "still signed in at %s", evalJS[string](tb, `new Date().toISOString()`))
		}
		s := tb.session()
		require.NotNil(t, s)
		assert.Greater(t, s.Expires.UnixMilli(), first.Expires.UnixMilli(), "expires moved forward: %v, then %v", first.Expires, s.Expires)
		assert.Equal(t, []string{"/dashboard"}, tb.views())
		assert.Empty(t, tb.blockedEvents())
	})
}

// TestOtherTabsFollow: two tabs of one browser share the session; a
// sign-in in one turns the other signed in, and a sign-out in one turns
// the other anonymous and sends it from its guarded view to sign-in.
func TestOtherTabsFollow(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		a := newTab(t, srv)
		a.load("/")
		b := a.sibling()
		b.load("/public")
		require.Nil(t, b.session())

		a.signIn(demoUser)
		a.waitPath("/dashboard")
		b.waitFor(`sessionguard.session() !== null`, "the second tab hears of the sign-in")
		assert.Equal(t, demoUser.Email, b.session().User.Email)
		assert.True(t, b.visible("#nav-dashboard"))
		b.click("#nav-dashboard")
		b.waitPath("/dashboard")
		b.waitView("/dashboard")
		assert.Equal(t, demoUser.Name, b.text("#dash-name"))

		a.click("#signout")
		a.waitFor(`sessionguard.session() === null`, "signed out in the first tab")
		b.waitFor(`sessionguard.session() === null`, "the second tab hears of the sign-out")
		b.waitPath(signInURL("/dashboard"))
		b.waitView("/")
		assert.True(t, b.visible("#nav-signin"))
	})
}

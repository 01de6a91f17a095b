package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

// TestPagesLoadCleanly: the pages load, sessionguard.ready resolves, and
// the console reports no error, warning or CSP violation, anonymous and
// signed in, through full loads and in-page navigations.
func TestPagesLoadCleanly(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)

		check := func(where string) {
			t.Helper()
			assert.True(t, evalJS[bool](tb, `document.documentElement.classList.contains('sg-ready')`), "%s: the module started", where)
			assert.Empty(t, tb.events("csp"), "%s: CSP violations", where)
			assert.Empty(t, tb.consoleMessages(), "%s: console problems", where)
		}
		for _, p := range []string{"/", "/public", "/ssr-login", "/ssr-logout", "/no-such-page/../public"} {
			tb.load(p)
			check("anonymous " + p)
		}
		tb.load("/dashboard") // redirected to sign-in
		check("anonymous /dashboard")

		tb.signIn(demoAdmin)
		tb.waitPath("/dashboard")
		check("after sign-in")
		for _, link := range []string{"#nav-public", "#nav-admin", "#nav-home", "#nav-dashboard"} {
			tb.click(link)
			tb.waitFor(`window.__sgEvents.some(e => e.type === 'navigate' && e.detail.path === new URL(document.querySelector(`+jsString(link)+`).href).pathname)`, "the click on "+link+" is carried out")
		}
		check("after in-page navigations")
		for _, p := range []string{"/dashboard", "/admin", "/admin/users", "/public"} {
			tb.load(p)
			check("signed in " + p)
		}
		tb.click("#signout")
		tb.waitFor(`sessionguard.session() === null`, "signed out")
		check("after sign-out")
	})
}

// TestCompactMobileHeader: on a phone-sized screen the signed-in header
// takes two short lines (brand and sign-out, then the nav), not a third of
// the screen, and no value of the dashboard runs out of its card.
func TestCompactMobileHeader(t *testing.T) {
	srv := sharedServer(t, serverConfigs[0])
	tb := newTab(t, srv)
	tb.do(chromedp.EmulateViewport(375, 740))
	tb.load("/")
	tb.signIn(demoAdmin)
	tb.waitPath("/dashboard")
	height := evalJS[float64](tb, `document.querySelector('.topbar').getBoundingClientRect().height`)
	assert.LessOrEqual(t, height, 100.0, "header height at 375 px")
	assert.True(t, evalJS[bool](tb, `(c => [...c.querySelectorAll('dd')].every(dd => dd.getBoundingClientRect().right <= c.getBoundingClientRect().right))(document.querySelector('#view-dashboard .card'))`),
		"the values stay inside the card")
	assert.Empty(t, tb.consoleMessages())
}

package e2e

import (
	"testing"

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

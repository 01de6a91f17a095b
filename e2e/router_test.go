package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// verdict is sessionguard.check's answer as the page sees it.
type verdict struct {
	Allow    bool   `json:"allow"`
	Reason   string `json:"reason"`
	Redirect string `json:"redirect"`
}

// TestRouterHooks: sessionguard.decide and check, which a router's
// before-navigation hook calls, answer in a real page as the guard would
// decide a navigation there (anonymous, user, a role the user lacks, a
// public path, a URL of the page's origin, another origin), and the page
// does not move or hear a blocked event.
func TestRouterHooks(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)
		tb.load("/public")
		decide := func(p string) string { return evalJS[string](tb, `sessionguard.decide(`+jsString(p)+`)`) }
		check := func(p string) verdict { return evalJS[verdict](tb, `sessionguard.check(`+jsString(p)+`)`) }

		assert.Equal(t, "allow", decide("/public"))
		assert.Equal(t, "deny", decide("/dashboard"), "anonymous")
		assert.Equal(t, verdict{Reason: "unauthenticated", Redirect: "/?callbackUrl=%2Fdashboard"}, check("/dashboard"))
		assert.Equal(t, "deny", decide("https://evil.example/dashboard"))
		assert.Equal(t, verdict{Reason: "error"}, check("/admin/%ff"))

		tb.signInAt("/", demoUser)
		tb.waitPath("/dashboard")
		tb.load("/public")
		assert.Equal(t, "check", decide("/dashboard"), "signed in: the server is asked")
		assert.Equal(t, "check", decide(srv.URL+"/dashboard?tab=2"), "a URL of the page's origin")
		assert.Equal(t, verdict{Allow: true}, check(srv.URL+"/dashboard?tab=2"))
		assert.Equal(t, "deny", decide("/admin"), "the user lacks the role")
		assert.Equal(t, verdict{Reason: "forbidden"}, check("/admin"))

		assert.Equal(t, "/public", tb.path(), "the page stays")
		assert.Empty(t, tb.blockedEvents(), "check dispatches nothing")
	})
}

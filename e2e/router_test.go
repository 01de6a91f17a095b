package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// routerPage is a page with a router of its own, as an app built with React
// Router or Vue Router has: it moves with history.pushState and
// replaceState (keeping its own state object in the entry) and renders on
// popstate. It has no data-sg-route views.
const routerPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>router</title>
<script src="/wasm_exec.js" defer></script>
<script src="/sessionguard.js" defer></script></head>
<body><main id="out"></main>
<script>
  const render = () => { document.getElementById('out').textContent = location.pathname; };
  window.routeTo = (path, replace) => {
    history[replace ? 'replaceState' : 'pushState']({ router: path }, '', path);
    render();
  };
  addEventListener('popstate', render);
  render();
</script></body></html>`

// writeRouterPage puts routerPage into the suite's static directory once.
var writeRouterPage = sync.OnceValue(func() error {
	return os.WriteFile(filepath.Join(suite.static, "router-test.html"), []byte(routerPage), 0o644)
})

// TestRouterPushStateGuarded: in a page whose own router calls
// history.pushState, the Navigation API lets the module refuse protected
// destinations before they commit, reported as a click's refusal would be
// (to sign-in when not signed in, sessionguard:blocked for a role the user
// lacks), and lets allowed ones through with the router's state kept.
// (The router page is not public, so the anonymous case pushes from the
// sign-in page instead.)
func TestRouterPushStateGuarded(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		require.NoError(t, writeRouterPage())
		tb := newTab(t, srv)
		require.True(t, evalJS[bool](tb, `'navigation' in window`), "this Chromium has the Navigation API")

		// Anonymous, on the public sign-in page: page code pushes a
		// protected URL.
		tb.load("/")
		tb.run(`history.pushState({ router: 1 }, '', '/dashboard?tab=2'); undefined`)
		tb.waitPath("/?callbackUrl=%2Fdashboard%3Ftab%3D2")
		assert.Equal(t, []blocked{{To: "/dashboard?tab=2", Reason: "unauthenticated"}}, tb.blockedEvents())

		// Signed in, on a page with a router of its own.
		tb.signIn(demoUser)
		tb.waitFor(`(s => s && s.user.email === `+jsString(demoUser.Email)+`)(sessionguard.session())`, "signed in")
		tb.load("/router-test.html")
		tb.clearEvents()
		tb.run(`routeTo('/admin'); undefined`)
		tb.waitFor(`window.__sgEvents.some(e => e.type === 'blocked')`, "the refusal is reported")
		assert.Equal(t, []blocked{{To: "/admin", Reason: "forbidden"}}, tb.blockedEvents())
		assert.Equal(t, "/router-test.html", tb.path(), "cancelled before it committed")

		tb.run(`routeTo('/dashboard'); undefined`)
		assert.Equal(t, "/dashboard", tb.path())
		tb.waitFor(`history.state && history.state.sgIndex !== undefined`, "the module follows the router's entry")
		assert.Equal(t, "/dashboard", evalJS[string](tb, `history.state.router`), "the router's state is kept")
		tb.run(`routeTo('/public', true); undefined`)
		assert.Equal(t, "/public", tb.path())
		assert.Len(t, tb.blockedEvents(), 1, "allowed moves are not reported")
	})
}

// esmPage loads the module through the ES module entry only.
const esmPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>esm</title>
<script type="module" src="/esm-test.js"></script></head>
<body><main id="out"></main></body></html>`

const esmScript = `import sg, { ready, session, decide, check } from '/sessionguard.mjs';
const initial = await ready;
window.__esm = {
  same: sg === window.sessionguard,
  initial: initial && initial.user.email,
  session: session() && session().user.email,
  decide: decide('/dashboard'),
  check: await check('/dashboard'),
};`

var writeESMPage = sync.OnceValue(func() error {
	return errors.Join(
		os.WriteFile(filepath.Join(suite.static, "esm-test.html"), []byte(esmPage), 0o644),
		os.WriteFile(filepath.Join(suite.static, "esm-test.js"), []byte(esmScript), 0o644),
	)
})

// TestESModuleEntry: a page that only imports /sessionguard.mjs gets the
// module running (wasm_exec.js and the loader come with it, by their
// hashed names), the same object as window.sessionguard, and its members by
// name.
func TestESModuleEntry(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		require.NoError(t, writeESMPage())
		tb := newTab(t, srv)
		tb.signInAt("/", demoUser)
		tb.waitPath("/dashboard")
		tb.do(chromedp.Navigate(srv.URL + "/esm-test.html"))
		tb.waitFor(`window.__esm`, "the ES module ran")
		type result struct {
			Same    bool    `json:"same"`
			Initial string  `json:"initial"`
			Session string  `json:"session"`
			Decide  string  `json:"decide"`
			Check   verdict `json:"check"`
		}
		got := evalJS[result](tb, `window.__esm`)
		assert.Equal(t, result{Same: true, Initial: demoUser.Email, Session: demoUser.Email, Decide: "check", Check: verdict{Allow: true}}, got)
		assert.Empty(t, tb.consoleMessages())

		// It imports the scripts by their hashed names, so the next page
		// takes them from the cache, unasked.
		first := evalJS[[]moduleEntry](tb, hashedScriptEntries)
		require.Len(t, first, 2, "wasm_exec.js and sessionguard.js, by their hashed names")
		tb.do(chromedp.Navigate(srv.URL + "/esm-test.html"))
		tb.waitFor(`window.__esm`, "the ES module ran again")
		again := evalJS[[]moduleEntry](tb, hashedScriptEntries)
		require.Len(t, again, 2)
		for i, e := range again {
			assert.Equal(t, first[i].Path, e.Path)
			assert.Zero(t, e.TransferSize, "%s: from the cache, unasked", e.Path)
		}
	})
}

// hashedScriptEntries lists the fetches of the module's two scripts by
// their hashed names.
var hashedScriptEntries = resourceEntries(`/^\/(sessionguard|wasm_exec)[.][0-9a-f]{16}[.]js$/`)

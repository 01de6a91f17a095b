package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
)

// buildExample builds examples/<name> as its README says (npm ci of its
// lock, then its build script) around the module the suite built, and
// returns the static directory to serve.
func buildExample(t *testing.T, name string) string {
	t.Helper()
	root, err := repoRoot()
	require.NoError(t, err)
	src := filepath.Join(root, "examples", name)
	modules := filepath.Join(testenv.NPMInstall(t, src), "node_modules")
	node, err := exec.LookPath("node")
	require.NoError(t, err, "node is needed beside npm")
	out := filepath.Join(t.TempDir(), "dist")
	b, err := exec.Command(node, filepath.Join(src, "build.mjs"), suite.static, out, modules).CombinedOutput()
	require.NoError(t, err, "build the example:\n%s", b)
	return out
}

// TestExampleVueRouter: the Vue Router example, built with npm, guards its
// router's navigations with sessionguard.check in router.beforeEach: an
// anonymous visitor's move to /dashboard becomes the app's sign-in route
// with the callback (no page load), signing in leads there, and a user's
// move to /admin is refused where it stands.
func TestExampleVueRouter(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	dist := buildExample(t, "vue-router")
	srv := startServer(t, serverConfigs[0], withStatic(dist))
	tb := newTab(t, srv)
	tb.load("/")
	tb.waitFor(`document.querySelector('#signin')`, "the app shows its sign-in form")
	tb.run(`window.__marker = 1`)

	tb.click("#nav-dashboard")
	tb.waitPath("/?callbackUrl=/dashboard") // as Vue Router writes the query
	assert.Equal(t, "Please sign in first.", tb.text("#notice"))
	assert.Equal(t, 1, evalJS[int](tb, `window.__marker`), "the router moved in the page")

	tb.do(
		chromedp.SetValue(chromedp.CSS("#email"), demoUser.Email),
		chromedp.SetValue(chromedp.CSS("#password"), demoUser.Password),
	)
	tb.run(`for (const id of ['email', 'password']) document.getElementById(id).dispatchEvent(new Event('input')); undefined`)
	tb.click("#signin-submit")
	tb.waitFor(`document.querySelector('#dashboard-view')`, "signed in, the callback's route is shown")
	assert.Equal(t, "/dashboard", tb.path())

	tb.run(`window.__marker = 2`)
	tb.click("#nav-admin")
	tb.waitFor(`document.querySelector('#notice')`, "the refusal is shown")
	assert.Equal(t, "/admin needs another role.", tb.text("#notice"))
	assert.Equal(t, "/dashboard", tb.path(), "the router stayed")
	tb.click("#nav-public")
	tb.waitFor(`document.querySelector('#public-view')`, "a public route")
	assert.Equal(t, 2, evalJS[int](tb, `window.__marker`), "no page was loaded")
	assert.Empty(t, tb.consoleMessages())
}

package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resourceEntries is a page expression that lists the fetches of the current
// page whose path matches the JavaScript regular expression pathRE, as
// moduleEntry values sorted by path (the browser adds an entry when its
// fetch ends, and fetches made together may end in either order), with the
// bytes each took over the network (0: from the browser's cache).
func resourceEntries(pathRE string) string {
	return `performance.getEntriesByType('resource')
	.filter(e => ` + pathRE + `.test(new URL(e.name).pathname))
	.map(e => ({path: new URL(e.name).pathname, transferSize: e.transferSize, initiator: e.initiatorType}))
	.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0)`
}

// moduleEntries lists the module's fetches; scriptEntries those of its two
// scripts.
var (
	moduleEntries = resourceEntries(`/\/sessionguard[.][^/]*wasm$/`)
	scriptEntries = resourceEntries(`/\/(sessionguard|wasm_exec)[.][^/]*js$/`)
)

type moduleEntry struct {
	Path         string `json:"path"`
	TransferSize int    `json:"transferSize"`
	Initiator    string `json:"initiator"`
}

// TestModuleLoadsFromItsHashedName: the page preloads the module by its
// content-hashed name, the loader takes that answer, the module starts,
// and the next page of the visit takes it from the browser's cache without
// asking the server again; so it does the two scripts that load it, which
// the page names by their hashed names too.
func TestModuleLoadsFromItsHashedName(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)

		tb.load("/")
		assert.True(t, evalJS[bool](tb, `document.documentElement.classList.contains('sg-ready')`), "the module started")
		first := evalJS[[]moduleEntry](tb, moduleEntries)
		require.Len(t, first, 1, "one module fetch: the loader takes the preloaded answer")
		assert.Equal(t, "link", first[0].Initiator, "the page's preload fetched it")
		assert.Regexp(t, `^/sessionguard\.[0-9a-f]{16}\.wasm$`, first[0].Path)
		assert.Positive(t, first[0].TransferSize, "the first visit fetches it")
		scripts := evalJS[[]moduleEntry](tb, scriptEntries)
		require.Len(t, scripts, 2, "wasm_exec.js and sessionguard.js")
		assert.Regexp(t, `^/sessionguard\.[0-9a-f]{16}\.js$`, scripts[0].Path)
		assert.Regexp(t, `^/wasm_exec\.[0-9a-f]{16}\.js$`, scripts[1].Path)

		tb.load("/public")
		assert.True(t, evalJS[bool](tb, `document.documentElement.classList.contains('sg-ready')`), "the module started again")
		again := evalJS[[]moduleEntry](tb, moduleEntries)
		require.Len(t, again, 1)
		assert.Equal(t, "link", again[0].Initiator)
		assert.Equal(t, first[0].Path, again[0].Path)
		assert.Zero(t, again[0].TransferSize, "the next page takes it from the cache, unasked")
		scriptsAgain := evalJS[[]moduleEntry](tb, scriptEntries)
		require.Len(t, scriptsAgain, 2)
		for i, e := range scriptsAgain {
			assert.Equal(t, scripts[i].Path, e.Path)
			assert.Zero(t, e.TransferSize, "%s: from the cache, unasked", e.Path)
		}
	})
}

// compileWatchJS runs before a page's own scripts: it records when the
// page calls WebAssembly.compileStreaming and instantiateStreaming, and
// when DOMContentLoaded fires. With window.__sgFailCompile set by an
// earlier script, compileStreaming rejects instead, as it does when the
// module is not served as application/wasm.
const compileWatchJS = `(() => {
  const seen = { compile: [], instantiate: [], dcl: null };
  Object.defineProperty(window, '__sgCompileSeen', { value: seen });
  const compile = WebAssembly.compileStreaming;
  const instantiate = WebAssembly.instantiateStreaming;
  WebAssembly.compileStreaming = function (...args) {
    seen.compile.push(performance.now());
    if (window.__sgFailCompile) return Promise.reject(new TypeError('not application/wasm'));
    return compile.apply(this, args);
  };
  WebAssembly.instantiateStreaming = function (...args) {
    seen.instantiate.push(performance.now());
    return instantiate.apply(this, args);
  };
  document.addEventListener('DOMContentLoaded', () => { seen.dcl = performance.now(); });
})();`

type compileSeen struct {
	Compile     []float64 `json:"compile"`
	Instantiate []float64 `json:"instantiate"`
	DCL         float64   `json:"dcl"`
}

// TestModuleCompilesWhileThePageParses: the app shell starts compiling the
// module from its head, before the document is parsed and the deferred
// loader runs; the loader then only instantiates it: one compile, no
// second fetch, no CSP violation. When that compile fails, or compiles
// another URL than the loader's, the loader loads the module itself and it
// starts all the same.
func TestModuleCompilesWhileThePageParses(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)
		tb.addScript(compileWatchJS)

		tb.load("/")
		assert.True(t, evalJS[bool](tb, `document.documentElement.classList.contains('sg-ready')`), "the module started")
		seen := evalJS[compileSeen](tb, `window.__sgCompileSeen`)
		require.Len(t, seen.Compile, 1, "the shell compiles the module once")
		assert.Less(t, seen.Compile[0], seen.DCL, "while the page is parsed")
		assert.Empty(t, seen.Instantiate, "the loader takes the compiled module")
		assert.Len(t, evalJS[[]moduleEntry](tb, moduleEntries), 1, "one module fetch")
		assert.Empty(t, tb.events("csp"), "the CSP allows the shell's script by its hash")
		assert.Empty(t, tb.consoleMessages())

		failing := newTab(t, srv)
		failing.addScript(`window.__sgFailCompile = true;`)
		failing.addScript(compileWatchJS)
		failing.load("/")
		assert.True(t, evalJS[bool](failing, `document.documentElement.classList.contains('sg-ready')`), "the module started without the early compile")
		seen = evalJS[compileSeen](failing, `window.__sgCompileSeen`)
		assert.Len(t, seen.Compile, 1)
		assert.Len(t, seen.Instantiate, 1, "the loader loaded the module itself")
		assert.Empty(t, failing.consoleMessages(), "a failed early compile is no error of the page")

		// A compile of another URL (a copy of the script injected into the
		// page, say) is not the loader's: it loads its own module.
		other := newTab(t, srv)
		other.addScript(`Object.defineProperty(globalThis, '__sessionguardCompile', { configurable: true,
  set(v) { this.__sgOther = { url: v.url + '?other', module: v.module }; },
  get() { return this.__sgOther; } });`)
		other.addScript(compileWatchJS)
		other.load("/")
		assert.True(t, evalJS[bool](other, `document.documentElement.classList.contains('sg-ready')`))
		seen = evalJS[compileSeen](other, `window.__sgCompileSeen`)
		assert.Len(t, seen.Instantiate, 1, "the loader did not take a module of another URL")
		assert.Empty(t, other.consoleMessages())
	})
}

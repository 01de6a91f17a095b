package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/sessionguard/sessionguard/internal/wasmbuild"
	"github.com/stretchr/testify/require"
)

// BenchmarkModuleStartup measures, in the page, the time from the start of
// a full page load of / to sessionguard.ready resolved: fetching and
// compiling the module, booting it from the embedded session, rendering.
// The shell is the smallest that loads the module (wasm_exec.js and
// sessionguard.js, deferred), so the page's own styles and scripts are
// not counted. Its anchor, measured in the same loop (one load of each,
// alternating), is the smallest Go program a page can run: a syscall/js
// main that notes the time and waits, built with the same toolchain and
// flags, loaded the same way (wasm_exec.js and a loader script, deferred,
// named by content-hashed paths; instantiateStreaming; gzip; all cached for
// a year). It reports the means as
// ms/ready and anchor-ms, and their ratio (the browser cache is warm after
// the first load, as for a returning visitor). Each server configuration
// is measured on loopback and again with 40 ms added to every request's
// answer (Chromium's network emulation, for both pages), as a visitor
// some way from the server sees it: there the page's requests leave the
// CPU idle, which the shell's early compile uses.
//
// It also splits each load in two, for both pages (phaseJS): load-ms, from
// the first call that fetches or compiles the program (the shell's early
// compileStreaming; the anchor's instantiateStreaming) to go.run, which
// is fetching from the cache, compiling and instantiating; and boot-ms,
// from go.run to ready, which is the Go runtime's start and the program's
// own (for the module: reading the embedded session and config, the
// page's listeners, the first render, window.sessionguard). The anchor's
// are anchor-load-ms and anchor-boot-ms.
func BenchmarkModuleStartup(b *testing.B) {
	requireBrowser(b)
	anchor := minimalServer(b)
	for _, c := range serverConfigs {
		for _, rtt := range []float64{0, 40} {
			name := c.name + "/loopback"
			if rtt > 0 {
				name = fmt.Sprintf("%s/rtt=%.0fms", c.name, rtt)
			}
			b.Run(name, func(b *testing.B) { benchStartup(b, c, anchor, rtt) })
		}
	}
}

func benchStartup(b *testing.B, c serverConfig, anchor string, rtt float64) {
	srv := startServer(b, c, withStatic(minimalShell(b)))
	tb := newTab(b, srv)
	anchorTab := newTab(b, srv)
	tb.addScript(phaseJS)
	anchorTab.addScript(phaseJS)
	if rtt > 0 {
		tb.emulateLatency(rtt)
		anchorTab.emulateLatency(rtt)
	}
	tb.load("/") // warm the cache and the server
	loadAnchor := func() phases {
		anchorTab.do(chromedp.Navigate(anchor + "/"))
		anchorTab.waitFor(`window.__sgReadyAt !== undefined`, "the minimal program ran")
		return readPhases(anchorTab)
	}
	loadAnchor()
	var mod, anc phases
	n := 0
	for b.Loop() {
		tb.do(chromedp.Navigate(srv.URL + "/"))
		tb.waitFor(`window.__sgReadyAt !== undefined`, "sessionguard.ready resolved")
		mod = mod.add(readPhases(tb))
		anc = anc.add(loadAnchor())
		n++
	}
	b.ReportMetric(mod.Ready/float64(n), "ms/ready")
	b.ReportMetric(anc.Ready/float64(n), "anchor-ms")
	b.ReportMetric(mod.Ready/anc.Ready, "ratio")
	b.ReportMetric((mod.Run-mod.LoadStart)/float64(n), "load-ms")
	b.ReportMetric((anc.Run-anc.LoadStart)/float64(n), "anchor-load-ms")
	b.ReportMetric((mod.Ready-mod.Run)/float64(n), "boot-ms")
	b.ReportMetric((anc.Ready-anc.Run)/float64(n), "anchor-boot-ms")
	b.ReportMetric(0, "ns/op") // wall time per load includes the test's own polling
}

// phaseJS runs before a page's own scripts and notes, in window.__sgPhases
// (performance.now(), ms from the navigation's start), when the first
// WebAssembly.compileStreaming or instantiateStreaming call was made and
// when go.run was called. Both pages call one of the two and then go.run
// once, and the wrappers cost both the same.
const phaseJS = `(() => {
  const p = {};
  Object.defineProperty(window, '__sgPhases', { value: p });
  const W = WebAssembly;
  for (const name of ['compileStreaming', 'instantiateStreaming']) {
    const f = W[name];
    W[name] = function (...args) {
      if (p.loadStart === undefined) p.loadStart = performance.now();
      return f.apply(this, args);
    };
  }
  let Go;
  Object.defineProperty(globalThis, 'Go', {
    configurable: true,
    get: () => Go,
    set(v) {
      const run = v.prototype.run;
      v.prototype.run = function (...args) {
        if (p.run === undefined) p.run = performance.now();
        return run.apply(this, args);
      };
      Go = v;
    },
  });
})();`

// phases are one load's times from phaseJS and the recorder, or their sums.
type phases struct{ LoadStart, Run, Ready float64 }

func (p phases) add(q phases) phases {
	return phases{p.LoadStart + q.LoadStart, p.Run + q.Run, p.Ready + q.Ready}
}

// readPhases reads the times of the load tb has just finished; each must
// have been noted, in order.
func readPhases(tb *tab) phases {
	tb.t.Helper()
	p := evalJS[phases](tb, `({LoadStart: window.__sgPhases.loadStart, Run: window.__sgPhases.run, Ready: window.__sgReadyAt})`)
	require.Positive(tb.t, p.LoadStart, "no WebAssembly fetch or compile was seen")
	require.Greater(tb.t, p.Run, p.LoadStart, "go.run before the program was loaded")
	require.GreaterOrEqual(tb.t, p.Ready, p.Run, "ready before go.run")
	return p
}

// emulateLatency has every request of the tab wait ms for its answer.
func (tb *tab) emulateLatency(ms float64) {
	tb.t.Helper()
	tb.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Latency: ms, DownloadThroughput: -1, UploadThroughput: -1}},
		})
		return err
	}))
}

// minimalShell returns a static directory with the suite's files and an
// app shell that only loads the module.
func minimalShell(b *testing.B) string {
	dir := b.TempDir()
	entries, err := os.ReadDir(suite.static)
	require.NoError(b, err)
	for _, e := range entries {
		if e.Type().IsRegular() {
			require.NoError(b, copyFile(filepath.Join(suite.static, e.Name()), filepath.Join(dir, e.Name())))
		}
	}
	require.NoError(b, os.WriteFile(filepath.Join(dir, "index.html"), []byte(`<!doctype html><html><head>`+
		`<script src="/wasm_exec.js" defer></script><script src="/sessionguard.js" defer></script>`+
		`</head><body></body></html>`), 0o644))
	return dir
}

// minimalProgram is the anchor's Go program.
const minimalProgram = `package main

import "syscall/js"

func main() {
	js.Global().Set("__sgReadyAt", js.Global().Get("performance").Call("now"))
	select {}
}
`

// minimalServer serves a page that runs minimalProgram as the module's
// pages run the module, and returns its URL.
func minimalServer(b *testing.B) string {
	dir := b.TempDir()
	require.NoError(b, os.WriteFile(filepath.Join(dir, "main.go"), []byte(minimalProgram), 0o644))
	// Built as the module is (internal/wasmbuild), so the two differ in
	// their code only.
	build := wasmbuild.Command("go", dir, "main.go", "min.wasm", append(os.Environ(), "GO111MODULE=off"))
	out, err := build.CombinedOutput()
	require.NoError(b, err, "%s", out)
	raw, err := os.ReadFile(filepath.Join(dir, "min.wasm"))
	require.NoError(b, err)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(raw)
	require.NoError(b, zw.Close())
	execJS, err := os.ReadFile(filepath.Join(suite.static, "wasm_exec.js"))
	require.NoError(b, err)
	sum := sha256.Sum256(execJS)

	// The page names its scripts by content-hashed paths, cached a year,
	// as sessionguard's pages name theirs: a returning visitor asks for
	// neither.
	const loadJS = `const go = new Go();
WebAssembly.instantiateStreaming(fetch('/min.wasm'), go.importObject).then((r) => go.run(r.instance));`
	loadSum := sha256.Sum256([]byte(loadJS))
	execPath := "/wasm_exec." + hex.EncodeToString(sum[:8]) + ".js"
	loadPath := "/load." + hex.EncodeToString(loadSum[:8]) + ".js"
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(`<!doctype html><html><head><script src="` + execPath + `" defer></script>` +
			`<script src="` + loadPath + `" defer></script></head><body></body></html>`))
	})
	script := func(body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			_, _ = w.Write(body)
		}
	}
	mux.HandleFunc(loadPath, script([]byte(loadJS)))
	mux.HandleFunc(execPath, script(execJS))
	mux.HandleFunc("/min.wasm", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/wasm")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		_, _ = w.Write(gz.Bytes())
	})
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	return srv.URL
}

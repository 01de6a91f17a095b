package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// BenchmarkModuleStartup measures, in the page, the time from the start of
// a full page load of / to sessionguard.ready resolved: fetching and
// compiling the module, booting it from the embedded session, rendering.
// It reports the mean as ms/ready (the browser cache is warm after the
// first load, as for a returning visitor).
func BenchmarkModuleStartup(b *testing.B) {
	requireBrowser(b)
	for _, c := range serverConfigs {
		b.Run(c.name, func(b *testing.B) {
			srv := startServer(b, c)
			tb := newTab(b, srv)
			tb.load("/") // warm the cache and the server
			var total float64
			n := 0
			for b.Loop() {
				tb.do(chromedp.Navigate(srv.URL + "/"))
				tb.waitFor(`window.__sgReadyAt !== undefined`, "sessionguard.ready resolved")
				ms := evalJS[float64](tb, `window.__sgReadyAt`)
				require.Positive(b, ms)
				total += ms
				n++
			}
			b.ReportMetric(total/float64(n), "ms/ready")
			b.ReportMetric(0, "ns/op") // wall time per load includes the test's own polling
		})
	}
}

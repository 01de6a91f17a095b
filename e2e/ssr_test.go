package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// disableScript turns JavaScript off in the tab, for this and every later
// document, as a browser with scripting off.
func (tb *tab) disableScript() {
	tb.t.Helper()
	_, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	require.NoError(tb.t, err)
}

// currentURL returns the URL of the tab's current history entry, without
// running script in the page.
func (tb *tab) currentURL() string {
	tb.t.Helper()
	h, err := chromedp.Run(tb.ctx, chromedp.NavigationEntries())
	require.NoError(tb.t, err)
	return h.Entries[h.CurrentIndex].URL
}

// submitAndWait clicks sel, a form's submit button, and waits for the page
// it leads to.
func (tb *tab) submitAndWait(sel string) {
	tb.t.Helper()
	_, err := chromedp.Run(tb.ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel))))
	require.NoError(tb.t, err)
}

// assertNoScriptRan checks that the page's scripts did not run: the
// loader marks <html> with an sg-* class as soon as it runs.
func (tb *tab) assertNoScriptRan() {
	tb.t.Helper()
	class, err := chromedp.Run(tb.ctx, chromedp.AttributeValue(chromedp.CSS("html"), "class"))
	require.NoError(tb.t, err)
	assert.NotContains(tb.t, class.Value, "sg-", "scripting is off")
}

// TestFormsWithoutJavaScript: with scripting off, the plain forms of
// /ssr-login and /ssr-logout sign in and out through the server alone.
func TestFormsWithoutJavaScript(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)
		tb.disableScript()

		tb.do(chromedp.Navigate(srv.URL + "/ssr-login"))
		tb.assertNoScriptRan()
		tb.do(
			chromedp.SendKeys(chromedp.CSS("#ssr-email"), demoUser.Email),
			chromedp.SendKeys(chromedp.CSS("#ssr-password"), "wrong-password"),
		)
		tb.submitAndWait("#ssr-signin-submit")
		text, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS("body")))
		require.NoError(t, err)
		assert.Contains(t, text, "invalid credentials", "the server's error page")
		assert.Nil(t, tb.cookie())

		tb.do(chromedp.Navigate(srv.URL + "/ssr-login"))
		tb.do(
			chromedp.SendKeys(chromedp.CSS("#ssr-email"), demoUser.Email),
			chromedp.SendKeys(chromedp.CSS("#ssr-password"), demoUser.Password),
		)
		tb.submitAndWait("#ssr-signin-submit")
		assert.Equal(t, srv.URL+"/dashboard", tb.currentURL(), "the form's redirect target")
		tb.assertNoScriptRan()
		cookie := tb.cookie()
		require.NotNil(t, cookie, "the session cookie is set")
		html, err := chromedp.Run(tb.ctx, chromedp.OuterHTML(chromedp.CSS("#sg-session")))
		require.NoError(t, err)
		assert.Contains(t, html, demoUser.Email, "the server embedded the session in the page")
		code, body := srv.get("/api/session", cookie)
		assert.Equal(t, http.StatusOK, code)
		assert.Contains(t, body, demoUser.Email)

		tb.do(chromedp.Navigate(srv.URL + "/ssr-logout"))
		tb.submitAndWait("#ssr-signout-submit")
		assert.Equal(t, srv.URL+"/", tb.currentURL())
		assert.Nil(t, tb.cookie(), "the cookie is cleared")
		code, body = srv.get("/api/session", cookie)
		assert.Equal(t, http.StatusOK, code)
		assert.Equal(t, "null", strings.TrimSpace(body), "the session is gone on the server")
	})
}

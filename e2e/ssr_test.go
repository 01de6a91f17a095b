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

// hiddenByServer reports whether sel carries the hidden attribute, read
// without running script in the page.
func (tb *tab) hiddenByServer(sel string) bool {
	tb.t.Helper()
	a, err := chromedp.Run(tb.ctx, chromedp.AttributeValue(chromedp.CSS(sel), "hidden"))
	require.NoError(tb.t, err)
	return a.Exists
}

// domText is the text of sel, read without running script in the page.
func (tb *tab) domText(sel string) string {
	tb.t.Helper()
	text, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(tb.t, err)
	return text
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
		assert.Equal(t, srv.URL+"/ssr-login?error=CredentialsSignin", tb.currentURL(), "back to the form, which a reload does not post again")
		assert.False(t, tb.hiddenByServer(`[data-sg-error="CredentialsSignin"]`), "the form's page says what went wrong")
		assert.Contains(t, tb.domText(`[data-sg-error="CredentialsSignin"]`), "Wrong e-mail or password")
		assert.True(t, tb.hiddenByServer(`[data-sg-error="RateLimited"]`), "and nothing else")
		assert.False(t, tb.hiddenByServer("#view-ssr-login"))
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
		assert.False(t, tb.hiddenByServer("#view-dashboard"), "the dashboard is shown")
		assert.True(t, tb.hiddenByServer("#view-ssr-login"), "not the sign-in form")
		assert.True(t, tb.hiddenByServer(`[data-sg-error="CredentialsSignin"]`))
		assert.Equal(t, demoUser.Name, tb.domText("#dash-name"), "the server filled in the name")
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

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/wire"
)

// testTimeout bounds each test's browser work; nothing waits longer.
const testTimeout = 60 * time.Second

// waitTimeout bounds one waitFor; generous, since it only matters when the
// condition never comes.
const waitTimeout = 20 * time.Second

// recorderJS runs in every document of a tab before the page's own
// scripts. It records the module's events (and CSP violations) in
// window.__sgEvents, and when sessionguard.ready resolves, in
// window.__sgReadyAt (performance.now(), so relative to the navigation's
// start).
const recorderJS = `(() => {
  const events = [];
  Object.defineProperty(window, '__sgEvents', { value: events });
  const copy = (d) => (d === undefined ? null : JSON.parse(JSON.stringify(d)));
  for (const name of ['change', 'blocked', 'navigate']) {
    addEventListener('sessionguard:' + name, (e) => events.push({ type: name, detail: copy(e.detail), path: location.pathname + location.search }));
  }
  document.addEventListener('securitypolicyviolation', (e) =>
    events.push({ type: 'csp', detail: { directive: e.violatedDirective, blocked: e.blockedURI }, path: location.pathname }), true);
  document.addEventListener('DOMContentLoaded', () => {
    if (window.sessionguard && window.sessionguard.ready) {
      window.sessionguard.ready.then(() => { window.__sgReadyAt = performance.now(); }, () => {});
    }
  });
})();`

// tab is one browser tab in a fresh browser context (its own cookies and
// storage), pointed at one server.
type tab struct {
	t   testing.TB
	ctx context.Context
	srv *server

	mu      sync.Mutex
	console []string // console errors and warnings, exceptions, error log entries
}

// event is one entry of window.__sgEvents.
type event struct {
	Type   string          `json:"type"`
	Detail json.RawMessage `json:"detail"`
	Path   string          `json:"path"`
}

func (e event) String() string { return e.Type + " " + string(e.Detail) + " at " + e.Path }

// blocked is the detail of sessionguard:blocked.
type blocked struct {
	To     string `json:"to"`
	Reason string `json:"reason"`
}

// newTab opens a tab in a fresh browser context (no cookies, no cache),
// closed when t ends; everything in it must finish within testTimeout.
func newTab(t testing.TB, srv *server) *tab {
	t.Helper()
	ctx, cancel := context.WithTimeout(suite.browser, testTimeout)
	t.Cleanup(cancel)
	return openTab(ctx, t, srv, chromedp.WithNewBrowserContext())
}

// sibling opens another tab in tb's browser context: same cookies and
// storage, as a second tab of the same browser profile.
func (tb *tab) sibling() *tab {
	tb.t.Helper()
	return openTab(tb.ctx, tb.t, tb.srv)
}

func openTab(parent context.Context, t testing.TB, srv *server, opts ...chromedp.ContextOption) *tab {
	t.Helper()
	tb := &tab{t: t, srv: srv}
	ctx, cancel := chromedp.NewContext(parent, append(opts, chromedp.WithListener(tb.listen))...)
	t.Cleanup(cancel)
	tb.ctx = ctx
	tb.addScript(recorderJS)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("console of the tab:\n%s", strings.Join(tb.consoleMessages(), "\n"))
		}
	})
	return tb
}

// addScript has every document the tab loads from now on run src before
// its own scripts.
func (tb *tab) addScript(src string) {
	tb.t.Helper()
	tb.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return err
	}))
}

// listen runs in the tab's event loop (fast, no commands): it keeps what the
// console reports as a problem.
func (tb *tab) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeWarning && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		parts := make([]string, 0, len(ev.Args))
		for _, a := range ev.Args {
			switch {
			case len(a.Value) > 0:
				parts = append(parts, string(a.Value))
			default:
				parts = append(parts, a.Description)
			}
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "exception: " + d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		if e.Level != cdplog.EntryLevelError && e.Level != cdplog.EntryLevelWarning {
			return
		}
		msg = fmt.Sprintf("log %s (%s): %s %s", e.Level, e.Source, e.Text, e.URL)
	default:
		return
	}
	tb.mu.Lock()
	tb.console = append(tb.console, msg)
	tb.mu.Unlock()
}

// consoleMessages returns the problems the console reported so far.
func (tb *tab) consoleMessages() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.console...)
}

// do runs actions in the tab and fails the test on error.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	require.NoError(tb.t, chromedp.Do(tb.ctx, actions...))
}

// load loads path as a full page (the browser follows redirects) and waits
// until sessionguard.ready has resolved.
func (tb *tab) load(path string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.srv.URL + path))
	tb.ready()
}

// ready waits for sessionguard.ready and fails if it rejects.
func (tb *tab) ready() {
	tb.t.Helper()
	tb.waitFor(`!!window.sessionguard`, "window.sessionguard is defined")
	_, err := chromedp.Run(tb.ctx, chromedp.Evaluate[chromedp.Void](`sessionguard.ready.then(() => undefined)`, chromedp.EvalAwaitPromise))
	require.NoError(tb.t, err, "sessionguard.ready resolves")
}

// evalJS evaluates expr in the page (awaiting a promise) and decodes the
// result into T.
func evalJS[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	require.NoError(tb.t, err, "evaluate %s", expr)
	return v
}

// run evaluates expr for its effect. Like evalJS it waits for a promise
// that expr gives: end expr with "; undefined" to not wait.
func (tb *tab) run(expr string) {
	tb.t.Helper()
	evalJS[chromedp.Void](tb, expr)
}

// waitFor polls the JavaScript condition cond until it is true, across
// page loads, and fails the test with what when it does not become true
// within waitTimeout (or the test's deadline).
func (tb *tab) waitFor(cond, what string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	expr := `(() => { try { return !!(` + cond + `); } catch (e) { return false; } })()`
	var lastErr error
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if err != nil {
			lastErr = err // a page load in between destroys the context: retry
		}
		select {
		case <-ctx.Done():
			tb.t.Fatalf("timed out waiting until %s (%s); at %s; last error: %v", what, cond, tb.location(), lastErr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// location returns the page's path and query, or a note when there is no
// answer.
func (tb *tab) location() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname + location.search`))
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return s
}

// path returns location.pathname + location.search.
func (tb *tab) path() string {
	tb.t.Helper()
	return evalJS[string](tb, `location.pathname + location.search`)
}

// waitPath waits until the page is at want (path and query).
func (tb *tab) waitPath(want string) {
	tb.t.Helper()
	tb.waitFor(`location.pathname + location.search === `+jsString(want), "the page is at "+want)
}

// click clicks the element sel with the mouse, as a person would.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.CSS(sel)))
}

// visible reports whether sel matches an element that takes up space on the
// page (neither it nor an ancestor is hidden).
func (tb *tab) visible(sel string) bool {
	tb.t.Helper()
	return evalJS[bool](tb, `(el => !!el && el.getClientRects().length > 0)(document.querySelector(`+jsString(sel)+`))`)
}

// text returns the text content of sel ("" when missing).
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return evalJS[string](tb, `(el => el ? el.textContent : '')(document.querySelector(`+jsString(sel)+`))`)
}

// views returns the data-sg-route values of the views shown.
func (tb *tab) views() []string {
	tb.t.Helper()
	return evalJS[[]string](tb, `[...document.querySelectorAll('[data-sg-route]')].filter(el => el.getClientRects().length > 0).map(el => el.getAttribute('data-sg-route'))`)
}

// waitView waits until route is the one view shown.
func (tb *tab) waitView(route string) {
	tb.t.Helper()
	tb.waitFor(`(v => v.length === 1 && v[0] === `+jsString(route)+`)([...document.querySelectorAll('[data-sg-route]')].filter(el => el.getClientRects().length > 0).map(el => el.getAttribute('data-sg-route')))`,
		"the one view shown is "+route)
}

// session returns sessionguard.session().
func (tb *tab) session() *wire.Session {
	tb.t.Helper()
	return evalJS[*wire.Session](tb, `sessionguard.session()`)
}

// signIn fills the sign-in form and submits it with a click.
func (tb *tab) signIn(a account) {
	tb.t.Helper()
	tb.fillSignIn(a.Email, a.Password)
	tb.click("#signin-submit")
}

func (tb *tab) fillSignIn(email, password string) {
	tb.t.Helper()
	tb.do(
		chromedp.WaitVisible(chromedp.CSS("#signin-email")),
		chromedp.SetValue(chromedp.CSS("#signin-email"), email),
		chromedp.SetValue(chromedp.CSS("#signin-password"), password),
	)
}

// signInAt loads the sign-in page and signs a in through the form; it
// returns when the module holds the session.
func (tb *tab) signInAt(path string, a account) {
	tb.t.Helper()
	tb.load(path)
	tb.signIn(a)
	tb.waitFor(`(s => s && s.user.email === `+jsString(a.Email)+`)(sessionguard.session())`, a.Email+" is signed in")
}

// cookie returns the session cookie the browser holds, or nil.
func (tb *tab) cookie() *http.Cookie {
	tb.t.Helper()
	res, err := chromedp.Call(tb.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{tb.srv.URL + "/"}})
	require.NoError(tb.t, err)
	for _, c := range res.Cookies {
		if c.Name == session.CookieName {
			return &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	return nil
}

// events returns the recorded events of type typ in this document.
func (tb *tab) events(typ string) []event {
	tb.t.Helper()
	return evalJS[[]event](tb, `window.__sgEvents.filter(e => e.type === `+jsString(typ)+`)`)
}

// clearEvents forgets the events recorded so far.
func (tb *tab) clearEvents() {
	tb.t.Helper()
	tb.run(`window.__sgEvents.length = 0`)
}

// blockedEvents returns the details of the sessionguard:blocked events.
func (tb *tab) blockedEvents() []blocked {
	tb.t.Helper()
	var out []blocked
	for _, e := range tb.events("blocked") {
		var b blocked
		require.NoError(tb.t, json.Unmarshal(e.Detail, &b))
		out = append(out, b)
	}
	return out
}

// gotoPath calls sessionguard.goto(path) and returns its answer.
func (tb *tab) gotoPath(path string) bool {
	tb.t.Helper()
	return evalJS[bool](tb, `sessionguard.goto(`+jsString(path)+`)`)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// setCookie gives the browser a session cookie obtained elsewhere, as a
// sign-in in another tab that the page did not hear of would.
func (tb *tab) setCookie(c *http.Cookie) {
	tb.t.Helper()
	_, err := chromedp.Call(tb.ctx, network.SetCookie, network.SetCookieParams{
		Name: c.Name, Value: c.Value, URL: tb.srv.URL + "/", Path: "/",
		Secure: new(true), HTTPOnly: new(true), SameSite: network.CookieSameSiteLax,
	})
	require.NoError(tb.t, err)
}

// watchView starts recording whether the view of route is shown from now
// on, however briefly; wasShown tells.
func (tb *tab) watchView(route string) {
	tb.t.Helper()
	tb.run(`((route) => {
  window.__shown = window.__shown || {};
  window.__shown[route] = false;
  const view = document.querySelector('[data-sg-route="' + route + '"]');
  new MutationObserver(() => { if (!view.hidden) window.__shown[route] = true; })
    .observe(view, { attributes: true, attributeFilter: ['hidden'] });
})(` + jsString(route) + `)`)
}

// wasShown reports whether the view of route was shown since watchView.
func (tb *tab) wasShown(route string) bool {
	tb.t.Helper()
	return evalJS[bool](tb, `window.__shown[`+jsString(route)+`]`)
}

package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// apiAnswer is how intercept answers a request in place of the server:
// with a network error (code 0) or with code and body.
type apiAnswer struct {
	code int64
	body string
}

// intercept answers every request the page makes to path with a, until
// the returned stop is called.
func (tb *tab) intercept(path string, a apiAnswer) (stop func()) {
	tb.t.Helper()
	ctx, cancel := context.WithCancel(tb.ctx)
	paused := chromedp.Events(ctx, fetch.RequestPaused) // subscribed before Enable
	_, err := chromedp.Call(tb.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: tb.srv.URL + path + "*"}}})
	require.NoError(tb.t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev, err := range paused {
			if err != nil {
				return
			}
			if a.code == 0 {
				_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonConnectionRefused})
				continue
			}
			_, _ = chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
				RequestID:       ev.RequestID,
				ResponseCode:    a.code,
				ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html"}, {Name: "Cache-Control", Value: "no-store"}},
				Body:            []byte(a.body),
			})
		}
	}()
	return func() {
		tb.t.Helper()
		_, err := chromedp.Call(tb.ctx, fetch.Disable, struct{}{})
		require.NoError(tb.t, err)
		cancel()
		<-done
	}
}

// holdNext runs trigger and waits until the page's next request to path
// is paused on its way to the server; release lets it go on.
func (tb *tab) holdNext(path string, trigger func()) (release func()) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	paused := chromedp.Events(ctx, fetch.RequestPaused) // subscribed before Enable
	_, err := chromedp.Call(tb.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: tb.srv.URL + path + "*"}}})
	require.NoError(tb.t, err)
	trigger()
	var id fetch.RequestID
	for ev, err := range paused {
		require.NoError(tb.t, err, "waiting for a request to %s", path)
		id = ev.RequestID
		break
	}
	return func() {
		tb.t.Helper()
		_, err := chromedp.Call(tb.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id})
		require.NoError(tb.t, err)
		_, err = chromedp.Call(tb.ctx, fetch.Disable, struct{}{})
		require.NoError(tb.t, err)
	}
}

// TestGuardFailsClosed: when the session check fails (no answer, a server
// error, an answer that is not the API's), a guarded navigation is
// cancelled with reason error and the page stays where it is; public
// destinations need no check and still work.
func TestGuardFailsClosed(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)
		tb.signInAt("/", demoUser)
		tb.waitPath("/dashboard")
		tb.click("#nav-public")
		tb.waitPath("/public")
		tb.watchView("/dashboard")

		for _, tt := range []struct {
			name   string
			answer apiAnswer
		}{
			{"network error", apiAnswer{}},
			{"503", apiAnswer{503, `{"error":"session store unavailable; try again shortly"}`}},
			{"500 without JSON", apiAnswer{500, "<h1>oops</h1>"}},
			{"200 without JSON", apiAnswer{200, "<!doctype html><title>proxy login</title>"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				stop := tb.intercept("/api/get-session-status", tt.answer)
				defer stop()
				tb.clearEvents()
				assert.False(t, tb.gotoPath("/dashboard"), "goto answers false")
				assert.Equal(t, []blocked{{To: "/dashboard", Reason: "error"}}, tb.blockedEvents())
				assert.Equal(t, "/public", tb.path())

				tb.clearEvents()
				tb.click("#nav-dashboard")
				tb.waitFor(`window.__sgEvents.some(e => e.type === 'blocked')`, "the click is refused")
				assert.Equal(t, []blocked{{To: "/dashboard", Reason: "error"}}, tb.blockedEvents())
				assert.Equal(t, "/public", tb.path())
				assert.Equal(t, []string{"/public"}, tb.views())
				assert.False(t, tb.wasShown("/dashboard"), "the dashboard was never shown")
			})
		}

		stop := tb.intercept("/api/get-session-status", apiAnswer{})
		assert.True(t, tb.gotoPath("/"), "a public destination needs no check")
		assert.Equal(t, "/", tb.path())
		stop()

		// The control: an intercepted answer the API could give is
		// followed, so the refusals above came from the failures.
		stop = tb.intercept("/api/get-session-status", apiAnswer{200, `{"status":200}`})
		assert.True(t, tb.gotoPath("/dashboard"), "an intercepted 200 lets the navigation through")
		tb.waitView("/dashboard")
		stop()
	})
}

// TestNewestNavigationWins: a guarded navigation waiting for the server is
// superseded by a later one; when the late answer comes, the first is
// dropped (goto answers false) and its view is never shown.
func TestNewestNavigationWins(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)
		tb.signInAt("/", demoUser)
		tb.waitPath("/dashboard")
		tb.click("#nav-public")
		tb.waitPath("/public")
		tb.watchView("/dashboard")
		tb.clearEvents()

		release := tb.holdNext("/api/get-session-status", func() {
			// Not awaited: the answer is held.
			tb.run(`window.__goto = 'pending'; sessionguard.goto('/dashboard').then((ok) => { window.__goto = ok; }); undefined`)
		})
		assert.Equal(t, "/public", tb.path(), "nothing happens before the answer")
		tb.click("#nav-home")
		tb.waitPath("/")
		tb.waitView("/")
		release()

		tb.waitFor(`window.__goto !== 'pending'`, "goto answers")
		assert.False(t, evalJS[bool](tb, `window.__goto`), "the superseded navigation answers false")
		assert.Equal(t, "/", tb.path())
		assert.Equal(t, []string{"/"}, tb.views())
		assert.False(t, tb.wasShown("/dashboard"), "the dashboard was never shown")
		assert.NotNil(t, tb.session())
	})
}

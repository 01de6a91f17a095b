package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitStreams waits until the server holds open exactly open event streams
// and has opened at least opened, and returns how many it has opened.
func waitStreams(t *testing.T, srv *server, open int, opened uint64) uint64 {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		n, total := srv.streams()
		if n == open && total >= opened {
			return total
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server holds %d event streams and opened %d, want %d and %d", n, total, open, opened)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitStreamLocks waits until held tabs of tb's browser hold the Web Lock
// of the shared event stream and pending tabs wait for it.
func waitStreamLocks(tb *tab, held, pending int) {
	tb.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		n := evalJS[[2]int](tb, `navigator.locks.query().then(s => [s.held, s.pending].map(l => l.filter(x => x.name === 'sessionguard-stream').length))`)
		if n == [2]int{held, pending} {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("%d tabs hold the stream lock and %d wait, want %d and %d", n[0], n[1], held, pending)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOneStreamPerBrowser: five tabs of one browser profile keep one event
// stream connection on the server, held by the tab that holds the Web Lock;
// closing that tab makes another take over (one connection again); a
// server-side revocation then reaches every tab, each turning signed out,
// dispatching sessionguard:ended and leaving for sign-in.
func TestOneStreamPerBrowser(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := startServer(t, c) // its own: the test counts the server's streams
		first := liveTab(t, srv, demoUser)
		before := waitStreams(t, srv, 1, 1)
		tabs := []*tab{first}
		for range 4 {
			tb := first.sibling()
			tb.recordLive()
			tb.load("/dashboard")
			tb.waitLive()
			tabs = append(tabs, tb)
		}
		waitStreamLocks(first, 1, 4) // one tab leads, four wait
		assert.Equal(t, before, waitStreams(t, srv, 1, before), "the four tabs opened no connection")

		// The leader is the first tab: it booted first. Closing it makes
		// another tab take over, with a connection of its own.
		first.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, target.CloseTarget, target.CloseTargetParams{TargetID: tg.TargetID})
			return err
		}))
		tabs = tabs[1:]
		waitStreamLocks(tabs[0], 1, 3)
		assert.Equal(t, before+1, waitStreams(t, srv, 1, before+1), "one connection again, the new leader's")
		for _, tb := range tabs {
			tb.waitLive()
		}

		cookie := tabs[0].cookie()
		require.NotNil(t, cookie)
		start := time.Now()
		code, body := srv.postJSON("/api/auth/signout", map[string]string{}, cookie)
		require.Equal(t, http.StatusOK, code, body)
		for i, tb := range tabs {
			d := tb.nullSince(start.UnixMilli())
			t.Logf("%s: the revocation reached tab %d after %v", c.name, i+2, d)
			tb.waitPath(signInURL("/dashboard"))
			assert.Equal(t, []string{"revoked"}, tb.endedReasons(), "tab %d", i+2)
			assert.Equal(t, "You were signed out on another device or by an administrator.", tb.text("#blocked-message"))
			assert.Empty(t, tb.consoleMessages())
		}
		waitStreams(t, srv, 0, before+1)
	})
}

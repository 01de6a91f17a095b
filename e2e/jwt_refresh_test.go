package e2e

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/app"
)

// The browser module under the jwt strategy with a 5 s access token: two
// tabs of one browser context keep their session through many renewals, one
// tab renewing at a time and the other picking up the result, and a tab that
// idled past the access token's life renews on its next input instead of
// going to sign-in.

// jwtAccessLife is the access token's lifetime in these tests.
const jwtAccessLife = 5 * time.Second

// shortJWT is the jwt strategy with an access lifetime of access.
func shortJWT(access time.Duration) serverConfig {
	return serverConfig{name: "jwt-" + access.String(), options: app.Options{Strategy: "jwt", AccessMaxAge: access}}
}

var refreshLine = regexp.MustCompile(`msg=request method=POST path=/api/auth/refresh status=(\d+)`)

// timedRefreshLine is refreshLine with the log time (the end of the
// request, in milliseconds) and the request's duration.
var timedRefreshLine = regexp.MustCompile(`time=(\S+) level=\S+ msg=request method=POST path=/api/auth/refresh status=(\d+) duration=(\S+)`)

// refreshAnswersBetween returns the statuses of the server's answers to
// the renewals that reached it from from to to (the log time less the
// request's duration), from its access log.
func refreshAnswersBetween(t *testing.T, srv *server, from, to time.Time) []int {
	t.Helper()
	var out []int
	for _, m := range timedRefreshLine.FindAllStringSubmatch(srv.logs.String(), -1) {
		end, err := time.Parse(time.RFC3339Nano, m[1])
		require.NoError(t, err)
		took, err := time.ParseDuration(m[3])
		require.NoError(t, err)
		if at := end.Add(-took); at.Before(from) || at.After(to) {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		out = append(out, n)
	}
	return out
}

// refreshAnswers returns the statuses of the server's answers to
// POST /api/auth/refresh so far, from its access log.
func refreshAnswers(srv *server) []int {
	var out []int
	for _, m := range refreshLine.FindAllStringSubmatch(srv.logs.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

// pressKey gives the tab real keyboard input (Shift down and up, through
// the browser's input pipeline), which the module counts as activity.
func pressKey(tb *tab) {
	tb.t.Helper()
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
		_, err := chromedp.Call(tb.ctx, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: "Shift", Code: "ShiftLeft", WindowsVirtualKeyCode: 16, Location: 1,
		})
		require.NoError(tb.t, err)
	}
}

// watchSession starts counting, in the page, the key presses it receives,
// the times the module's session became null, and the module's requests
// to the refresh endpoint (with when it sent each, Date.now()).
func watchSession(tb *tab) {
	tb.t.Helper()
	tb.run(`(() => {
  window.__jwt = { keys: 0, nulls: 0, refreshes: 0, at: [] };
  addEventListener('keydown', () => { window.__jwt.keys++; }, true);
  sessionguard.onChange((s) => { if (!s) window.__jwt.nulls++; });
  const f = window.fetch;
  window.fetch = function (url, init) {
    if (String(url).endsWith('/api/auth/refresh')) {
      window.__jwt.refreshes++;
      window.__jwt.at.push(Date.now());
    }
    return f.apply(this, arguments);
  };
})(); undefined`)
}

type jwtWatch struct {
	Keys, Nulls, Refreshes int
	At                     []int64 // ms since the epoch
}

func watched(tb *tab) jwtWatch {
	tb.t.Helper()
	return evalJS[jwtWatch](tb, `({Keys: window.__jwt.keys, Nulls: window.__jwt.nulls, Refreshes: window.__jwt.refreshes, At: window.__jwt.at})`)
}

// accessExpired reports whether the server refuses the tab's access token
// now (a status check outside the module, which renews nothing).
func accessExpired(tb *tab) bool {
	tb.t.Helper()
	return evalJS[int](tb, `fetch('/api/get-session-status', {cache: 'no-store'}).then(r => r.json()).then(b => b.status)`) == 401
}

func TestJWTRenewalAcrossTabs(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	srv := startServer(t, shortJWT(jwtAccessLife))
	// The scenario runs for about 40 s: more than newTab's deadline.
	ctx, cancel := context.WithTimeout(suite.browser, 3*time.Minute)
	t.Cleanup(cancel)
	tab1 := openTab(ctx, t, srv, chromedp.WithNewBrowserContext())
	tab1.signInAt("/", demoUser)
	tab1.waitPath("/dashboard")
	tab2 := tab1.sibling()
	tab2.load("/dashboard")
	require.NotNil(t, tab2.session(), "the second tab is signed in too")
	tabs := []*tab{tab1, tab2}
	for _, tb := range tabs {
		require.True(t, evalJS[bool](tb, `typeof navigator.locks?.request === 'function'`), "Chromium has Web Locks")
		watchSession(tb)
		tb.clearEvents()
	}
	// Renewals from before the watch (the second tab's boot may renew) are
	// not the tabs' to explain: count from here to the end of the activity,
	// on the server by when each renewal reached it, in the tabs by when
	// each sent it (one clock: this machine's). Counting by position in
	// the log instead missed a renewal that a tab sent as its watch began
	// and the server answered before the count.
	watchFrom := time.Now()

	// Both tabs active for four access lifetimes: input and a guarded
	// navigation in each, every second.
	start := time.Now()
	for time.Since(start) < 4*jwtAccessLife {
		for i, tb := range tabs {
			pressKey(tb)
			require.NotNil(t, tb.session(), "tab %d has its session after %v", i+1, time.Since(start))
			require.True(t, tb.gotoPath("/dashboard"), "tab %d's guarded navigation goes through after %v", i+1, time.Since(start))
		}
		time.Sleep(time.Second) // the users' pace, not an assertion
	}
	active := time.Since(start)
	watchTo := time.Now()
	time.Sleep(time.Second) // a renewal sent before watchTo is answered
	answers := refreshAnswersBetween(t, srv, watchFrom, watchTo)
	t.Logf("%d renewals in %v of activity: %v", len(answers), active.Round(time.Second), answers)
	assert.GreaterOrEqual(t, len(answers), 3, "the access token was renewed again and again")
	for _, code := range answers {
		assert.Equal(t, 200, code, "no renewal was refused (a reused refresh token is answered 401)")
	}
	assert.NotContains(t, srv.logs.String(), "refresh_token_reuse")
	var sent []int64
	for i, tb := range tabs {
		w := watched(tb)
		assert.Positive(t, w.Keys, "tab %d received the key presses", i+1)
		assert.Zero(t, w.Nulls, "tab %d never lost its session", i+1)
		assert.Empty(t, tb.blockedEvents(), "tab %d: no navigation refused", i+1)
		assert.Equal(t, "/dashboard", tb.path())
		assert.Len(t, w.At, w.Refreshes)
		for _, at := range w.At {
			if ms := time.UnixMilli(at); !ms.Before(watchFrom.Truncate(time.Millisecond)) && !ms.After(watchTo) {
				sent = append(sent, at)
			}
		}
	}
	assert.Len(t, sent, len(answers), "every renewal came from one of the two tabs")
	// Each access token is renewed once: both tabs' timers come due
	// together, one renews and the other adopts its result. A tab that
	// renewed too would do so right after the first, under the lock.
	slices.Sort(sent)
	for i := 1; i < len(sent); i++ {
		gap := time.Duration(sent[i]-sent[i-1]) * time.Millisecond
		assert.GreaterOrEqual(t, gap, jwtAccessLife/2, "renewals %d and %d renew one access token: the other tab did not pick up the result", i, i+1)
	}

	// Now nobody touches either tab until the server refuses the access
	// token; the module keeps the session, which the refresh token
	// still carries.
	idleFrom := time.Now()
	before := len(refreshAnswers(srv))
	deadline := time.Now().Add(time.Minute)
	for !accessExpired(tab2) {
		require.True(t, time.Now().Before(deadline), "the access token expires once the tabs are idle")
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("idle tabs' access token refused after %v", time.Since(idleFrom).Round(100*time.Millisecond))
	for i, tb := range tabs {
		assert.NotNil(t, tb.session(), "idle tab %d still shows the session", i+1)
		assert.Equal(t, "/dashboard", tb.path(), "idle tab %d stayed", i+1)
	}
	idleRenewals := len(refreshAnswers(srv)) - before

	// Input in the second tab: it renews and carries on.
	pressKey(tab2)
	tab2.waitFor(`window.__jwt.refreshes > 0 && !window.__sgEvents.some(e => e.type === 'navigate' && e.detail.signIn)`, "the tab renewed")
	require.True(t, tab2.gotoPath("/dashboard"), "the guarded navigation goes through")
	assert.False(t, accessExpired(tab2), "the renewed access token is accepted")
	assert.Equal(t, "/dashboard", tab2.path())
	assert.NotNil(t, tab2.session())
	assert.True(t, tab1.gotoPath("/dashboard"), "the other tab carries on with the renewed cookie")
	assert.NotNil(t, tab1.session())

	answers = refreshAnswers(srv)
	assert.Equal(t, idleRenewals+1, len(answers)-before, "one renewal on return")
	for _, code := range answers {
		assert.Equal(t, 200, code)
	}
	assert.NotContains(t, srv.logs.String(), "refresh_token_reuse")
	for i, tb := range tabs {
		assert.Zero(t, watched(tb).Nulls, "tab %d never lost its session", i+1)
		assert.Empty(t, tb.blockedEvents(), "tab %d: no navigation refused", i+1)
		assert.Empty(t, tb.consoleMessages(), "tab %d: a clean console", i+1)
	}
}

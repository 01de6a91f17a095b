package client_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

// route is an app's router calling history.pushState (replaceState with
// replace) for target, as the browser layer reports it: the Client decides
// before the commit; unless it cancels, the fake history takes the entry
// (without the Client's index, as page code makes it); then the event is
// over. It reports whether the Client cancelled.
func (h *harness) route(target string, replace, cancelable bool) bool {
	h.t.Helper()
	cancel, after := h.c.RouterNavigation(origin+target, replace, cancelable)
	require.NotNil(h.t, after)
	if !cancel {
		h.b.mu.Lock()
		if replace {
			h.b.entries[h.b.pos] = entry{url: origin + target}
		} else {
			h.b.entries = append(h.b.entries[:h.b.pos+1], entry{url: origin + target})
			h.b.pos++
		}
		h.b.mu.Unlock()
	}
	after()
	return cancel
}

// checked waits until n status checks were made and none is under way.
func (h *harness) checked(n int) {
	h.t.Helper()
	eventually(h.t, func() bool { return h.b.count(wire.PathStatus) == n && !h.c.Checking() }, "the status checks are over")
}

// TestRouterPushKnownStateRefusesAtOnce: a pushState that the known state
// denies is cancelled before it commits, without asking the server, and
// reported as a click's refusal would be.
func TestRouterPushKnownStateRefusesAtOnce(t *testing.T) {
	t.Run("anonymous", func(t *testing.T) {
		h := start(t, as(nil))
		assert.True(t, h.route("/dashboard?tab=2", false, true), "cancelled")
		assert.Equal(t, []client.Blocked{{To: "/dashboard?tab=2", Reason: client.ReasonUnauthenticated}}, h.b.blocked())
		assert.Equal(t, "/?callbackUrl=%2Fdashboard%3Ftab%3D2", h.b.url(), "to sign-in, and back after")
		assert.Zero(t, h.b.count(wire.PathStatus))
	})
	t.Run("forbidden", func(t *testing.T) {
		h := start(t, as(userSession))
		assert.True(t, h.route("/admin", false, true))
		assert.Equal(t, []client.Blocked{{To: "/admin", Reason: client.ReasonForbidden}}, h.b.blocked())
		assert.Equal(t, []string{"/public?from=test"}, h.b.history(), "the page stays")
		assert.Zero(t, h.b.count(wire.PathStatus))
	})
	t.Run("invalid", func(t *testing.T) {
		h := start(t, as(nil))
		assert.True(t, h.route("/admin/%2e%2e%2f/..", false, true))
		assert.Equal(t, []client.Blocked{{To: "/admin/%2e%2e%2f/..", Reason: client.ReasonError}}, h.b.blocked())
		assert.Equal(t, []string{"/public?from=test"}, h.b.history(), "no sign-in page")
	})
}

// TestRouterPushCommitsThenChecks: a pushState the known state allows
// commits; the Client follows it (its index on the router's entry, the
// view shown) and confirms it with one status check.
func TestRouterPushCommitsThenChecks(t *testing.T) {
	h := start(t, as(userSession))
	assert.False(t, h.route("/dashboard", false, true))
	h.checked(1)
	assert.Empty(t, h.b.blocked())
	assert.Equal(t, []string{"/public?from=test", "/dashboard"}, h.b.history())
	assert.Equal(t, []string{"view-dashboard"}, h.visible(views...))
	h.b.mu.Lock()
	stamped := h.b.entries[h.b.pos].has
	h.b.mu.Unlock()
	assert.True(t, stamped, "the router's entry carries the Client's index")

	// Back to the first entry, then forward again: the guard knows where
	// it is and checks the destination as for any move.
	h.b.Go(-1)
	assert.True(t, h.wait(h.popstate()))
	h.b.Go(1)
	assert.True(t, h.wait(h.popstate()))
	assert.Equal(t, "/dashboard", h.b.url())

	assert.False(t, h.route("/public", true, true), "public: replace, no check")
	assert.Equal(t, []string{"/public?from=test", "/public"}, h.b.history())
	assert.Equal(t, 2, h.b.count(wire.PathStatus), "only the move forward asked again")
}

// TestRouterPushCorrectedAfterTheCheck: when the server refuses what the
// known state allowed, the committed URL is corrected right after: the
// sign-in page in its place for a session that ended, the previous URL
// with sessionguard:blocked for a refusal the browser cannot cancel.
func TestRouterPushCorrectedAfterTheCheck(t *testing.T) {
	t.Run("session ended elsewhere", func(t *testing.T) {
		h := start(t, as(userSession))
		h.b.handle(wire.PathStatus, signedOut)
		assert.False(t, h.route("/dashboard", false, true), "the known state allows it")
		eventually(t, func() bool { return h.b.url() == "/?callbackUrl=%2Fdashboard" }, "the page goes to sign-in")
		assert.Equal(t, []string{"/public?from=test", "/?callbackUrl=%2Fdashboard"}, h.b.history(), "in place of the refused entry")
		assert.Equal(t, []client.Blocked{{To: "/dashboard", Reason: client.ReasonUnauthenticated}}, h.b.blocked())
		assert.Nil(t, h.c.Session())
	})
	t.Run("status check failed", func(t *testing.T) {
		h := start(t, as(userSession))
		h.b.handle(wire.PathStatus, networkError)
		assert.False(t, h.route("/dashboard", false, true))
		eventually(t, func() bool { return len(h.b.blocked()) == 1 }, "refused")
		assert.Equal(t, []client.Blocked{{To: "/dashboard", Reason: client.ReasonError}}, h.b.blocked())
		assert.Equal(t, []string{"/public?from=test", "/public?from=test"}, h.b.history(), "back to the previous URL")
		assert.Equal(t, []string{"view-public"}, h.visible(views...))
	})
	t.Run("not cancelable", func(t *testing.T) {
		h := start(t, as(userSession))
		assert.False(t, h.route("/admin", false, false), "the browser would not cancel it")
		assert.Equal(t, []client.Blocked{{To: "/admin", Reason: client.ReasonForbidden}}, h.b.blocked())
		assert.Equal(t, []string{"/public?from=test", "/public?from=test"}, h.b.history(), "corrected after the commit")
	})
}

// TestRouterPushSupersededCorrection: a navigation that starts before the
// server answered supersedes the correction of the older one.
func TestRouterPushSupersededCorrection(t *testing.T) {
	h := start(t, as(userSession))
	arrived, release := blockingStatus(h, signedOut)
	assert.False(t, h.route("/dashboard", false, true))
	<-arrived
	assert.False(t, h.route("/public", false, true), "public: commits at once")
	close(release)
	h.checked(1)
	assert.Equal(t, "/public", h.b.url(), "the newer navigation stands")
	assert.Empty(t, h.b.blocked())
	assert.Nil(t, h.c.Session(), "the 401 still signed the client out")
}

// TestRouterNavigationBeforeBoot: before the Client knows the session it
// lets page code navigate (the server guards every load and API call).
func TestRouterNavigationBeforeBoot(t *testing.T) {
	page, _ := newPage(t)
	c := client.New(page.b, &fakeClock{now: t0})
	cancel, after := c.RouterNavigation(origin+"/admin", false, true)
	assert.False(t, cancel)
	after()
	assert.Empty(t, page.b.blocked())
}

package client_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

// browserTabs are tabs of one browser context, each with a stream of its
// own to open (and a visibility of its own), on one clock.
type browserTabs struct {
	t     *testing.T
	ctx   *fakeContext
	clock *fakeClock
	hs    []*harness
	ls    []*fakeLive
}

func newBrowserTabs(t *testing.T) *browserTabs {
	return &browserTabs{t: t, ctx: newFakeContext(t), clock: &fakeClock{now: t0}}
}

// open boots a tab at url signed in as userSession; hidden makes its page
// hidden from the start. GET /api/session answers that the session ended.
func (bt *browserTabs) open(url string, hidden bool) int {
	bt.t.Helper()
	l := newFakeLive(bt.t)
	l.setHidden(hidden)
	h := start(bt.t, at(url), as(userSession), withLive(l), inContext(bt.ctx), onClock(bt.clock))
	h.b.handle(wire.PathSession, sessionIs(nil))
	bt.hs, bt.ls = append(bt.hs, h), append(bt.ls, l)
	return len(bt.hs) - 1
}

// leader waits until exactly one open tab holds the stream lock and
// returns it.
func (bt *browserTabs) leader() int {
	bt.t.Helper()
	found := -1
	eventually(bt.t, func() bool {
		found = -1
		for i, h := range bt.hs {
			if h.b.leader() {
				if found >= 0 {
					return false
				}
				found = i
			}
		}
		return found >= 0
	}, "one tab leads")
	return found
}

// connections counts the connections opened and not closed, over all tabs.
func (bt *browserTabs) connections() int {
	n := 0
	for _, l := range bt.ls {
		n += l.open()
	}
	return n
}

// opened counts every connection opened, over all tabs.
func (bt *browserTabs) opened() int {
	n := 0
	for _, l := range bt.ls {
		n += l.opened()
	}
	return n
}

// allLive waits until every open tab's Live is live.
func (bt *browserTabs) allLive(live bool) {
	bt.t.Helper()
	eventually(bt.t, func() bool {
		for _, h := range bt.hs {
			if !h.b.isClosed() && h.c.Live() != live {
				return false
			}
		}
		return true
	}, "every tab's Live is as the stream")
}

// TestStreamOnePerBrowser: five tabs of one browser keep one connection;
// every tab hears its events through the tab that holds it, and a
// revocation, confirmed once, ends the session in every tab, each
// dispatching sessionguard:ended.
func TestStreamOnePerBrowser(t *testing.T) {
	bt := newBrowserTabs(t)
	for range 5 {
		bt.open("/dashboard", false)
	}
	lead := bt.leader()
	s := bt.ls[lead].next()
	s.send(t, readyEvent)
	bt.allLive(true)
	assert.Equal(t, 1, bt.opened(), "one connection for the browser")
	for i, l := range bt.ls {
		if i != lead {
			l.none("a follower opens no connection")
		}
	}

	// The heartbeat keeps every tab live.
	bt.clock.Advance(25 * time.Second)
	s.send(t, ": ping\n\n")
	bt.ctx.settle()
	bt.clock.Advance(25 * time.Second)
	bt.allLive(true)

	s.send(t, "event: two-factor-changed\ndata: {}\n\n")
	for _, h := range bt.hs {
		eventually(t, func() bool { return len(h.b.eventsNamed(client.EventTwoFactorChanged)) == 1 }, "every page hears it")
	}

	s.endWith(t, client.ReasonRevoked)
	for i, h := range bt.hs {
		eventually(t, func() bool { return h.b.url() == "/?callbackUrl=%2Fdashboard" }, "every tab leaves for sign-in")
		h.c.AwaitEffects()
		assert.Nil(t, h.c.Session(), "tab %d", i)
		assert.Equal(t, []any{client.Ended{Reason: client.ReasonRevoked}}, h.b.eventsNamed(client.EventEnded), "tab %d", i)
		want := 0
		if i == lead {
			want = 1
		}
		assert.Equal(t, want, h.b.count(wire.PathSession), "the leader alone confirms (tab %d)", i)
	}
	bt.allLive(false)
	assert.Zero(t, bt.connections())
}

// TestStreamTakeover: when the leader's tab closes, the browser releases
// its lock and another tab connects; there is one connection again.
func TestStreamTakeover(t *testing.T) {
	bt := newBrowserTabs(t)
	for range 3 {
		bt.open("/dashboard", false)
	}
	first := bt.leader()
	bt.ls[first].next().send(t, readyEvent)
	bt.allLive(true)

	closeTab(bt.hs[first], bt.ls[first])
	second := bt.leader()
	require.NotEqual(t, first, second)
	bt.ls[second].next().send(t, readyEvent)
	bt.allLive(true)
	assert.Equal(t, 1, bt.connections(), "one connection again")
	assert.Equal(t, 2, bt.opened())
}

// TestStreamNeedsAVisibleTab: a hidden leader connects once another tab
// of the browser is visible, and, after its connection breaks, once a
// visible tab answers; with every tab hidden it does not reconnect.
func TestStreamNeedsAVisibleTab(t *testing.T) {
	bt := newBrowserTabs(t)
	lead := bt.open("/dashboard", true)
	require.Equal(t, lead, bt.leader())
	bt.ctx.settle()
	assert.False(t, bt.hs[lead].c.StreamConnecting(), "no tab is visible")

	other := bt.open("/dashboard", false) // says it is visible
	s := bt.ls[lead].next()
	s.send(t, readyEvent)
	bt.allLive(true)

	close(s.pieces) // the connection breaks off: the visible tab answers
	eventually(t, func() bool { return !bt.hs[lead].c.StreamConnecting() }, "the failure is handled")
	bt.ctx.settle()
	bt.clock.Advance(time.Second)
	s = bt.ls[lead].next()
	s.send(t, readyEvent)
	bt.allLive(true)

	bt.ls[other].setHidden(true)
	close(s.pieces)
	eventually(t, func() bool { return !bt.hs[lead].c.StreamConnecting() }, "the failure is handled")
	bt.ctx.settle()
	bt.clock.Advance(time.Minute)
	bt.ls[lead].none("every tab is hidden")

	bt.ls[other].setHidden(false)
	bt.hs[other].c.PageShown()
	bt.ls[lead].next().send(t, readyEvent)
	bt.allLive(true)
}

// TestStreamPerTabWithoutWebLocks: where the page has no navigator.locks
// (no secure context), each tab keeps its own stream.
func TestStreamPerTabWithoutWebLocks(t *testing.T) {
	bt := newBrowserTabs(t)
	bt.ctx.noLocks = true
	bt.open("/dashboard", false)
	bt.open("/dashboard", false)
	for _, l := range bt.ls {
		l.next().send(t, readyEvent)
	}
	assert.Equal(t, 2, bt.connections())
	bt.allLive(true)
}

// TestStreamFollowerJoinsLive: a tab opened while the browser's stream is
// open learns at once that it is live, and hears "ready" of a reconnect
// as its own (reading its lists when used).
func TestStreamFollowerJoinsLive(t *testing.T) {
	bt := newBrowserTabs(t)
	lead := bt.open("/dashboard", false)
	require.Equal(t, lead, bt.leader())
	bt.ls[lead].next().send(t, readyEvent)
	late := bt.open("/dashboard", true)
	eventually(t, bt.hs[late].c.Live, "the new tab hears that the stream is live")
	assert.Equal(t, 1, bt.opened())
}

// TestStreamLeaderReconnectsAfterRenewalElsewhere (jwt): the leader's
// stream goes stale while its tab is idle; a renewal in a follower, told
// over the channel, lets the leader connect again.
func TestStreamLeaderReconnectsAfterRenewalElsewhere(t *testing.T) {
	clock := &fakeClock{now: t0}
	srv := newFakeServer(t, clock)
	srv.signIn()
	ctx := newFakeContext(t)
	la, lb := newFakeLive(t), newFakeLive(t)
	a := jwtTab(t, ctx, clock, srv, "/dashboard", withLive(la))
	s := la.next() // a leads: it booted first
	s.send(t, readyEvent)
	b := jwtTab(t, ctx, clock, srv, "/dashboard", withLive(lb))
	eventually(t, b.c.Live, "the follower hears the stream")

	// The tabs were used at boot: the access token is renewed in time,
	// and stale reconnects at once.
	clock.Advance(accessLife - time.Second)
	renewedTo(t, a, t0.Add(accessLife-time.Second+accessLife))
	ctx.settle()
	s.endWith(t, "stale")
	s = la.next()
	s.send(t, readyEvent)

	clock.Advance(accessLife + accessLife) // both idle: nobody renews
	s.endWith(t, "stale")
	ctx.settle()
	la.none("no connection with an access token that is due")
	before := posts(srv)
	b.c.Activity()
	eventually(t, func() bool { return posts(srv) > before }, "the follower's input renews")
	la.next().send(t, readyEvent)
	eventually(t, b.c.Live, "the follower hears the new connection")
	assert.True(t, a.c.Live())
	lb.none("the follower keeps no stream")
}

// TestStreamEndingNotToldToTheTabThatSignsOut: the ending the leader
// confirmed is no news to a tab whose own sign-out caused it, as its own
// stream would not have told it either.
func TestStreamEndingNotToldToTheTabThatSignsOut(t *testing.T) {
	h := start(t, at("/dashboard"), as(userSession))
	h.b.handle(wire.PathSignOut, func(r client.Request) (*client.Response, error) {
		h.c.HandleBroadcast(mustValue(`{"session":null,"ended":"revoked"}`))
		return answer(200, `{"redirectUrl":"/"}`)(r)
	})
	require.True(t, h.c.SignOut("/").OK)
	assert.Nil(t, h.c.Session())
	assert.Empty(t, h.b.eventsNamed(client.EventEnded))
	assert.Equal(t, "/", h.b.url())
}

// TestStreamMessagesPassEarlierModules: a tab still running the module of
// an earlier version (loaded before a deploy) takes a message without a
// "lock" member for a session message, and one without a session for a
// sign-out; it ignores a lock message of no known operation and id. Every
// stream message is one of those.
func TestStreamMessagesPassEarlierModules(t *testing.T) {
	bt := newBrowserTabs(t)
	bt.open("/dashboard", false)
	bt.open("/dashboard", true)
	lead := bt.leader()
	s := bt.ls[lead].next()
	// The other tab's report at boot is heard before the stream opens: a
	// leader answers a report with "ping" while its stream is open, which
	// would add one to what this test counts.
	bt.ctx.settle()
	s.send(t, readyEvent)
	s.send(t, ": ping\n\n")
	s.send(t, "event: sessions-changed\ndata: {}\n\n")
	close(s.pieces)
	eventually(t, func() bool { return !bt.hs[lead].c.StreamConnecting() }, "the failure is handled")
	bt.ctx.settle()
	var raw []string
	for _, h := range bt.hs {
		h.b.mu.Lock()
		raw = append(raw, h.b.raw...)
		h.b.mu.Unlock()
	}
	ops := bt.hs[lead].b.streamMessages()
	require.NotEmpty(t, ops)
	assert.Equal(t, []string{"down", "ready", "ping", "sessions-changed", "down"}, ops[1:], "after its report at boot: taking over, the stream, its end")
	for _, m := range raw {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(m), &v))
		assert.Equal(t, "", v["lock"], m)
		assert.NotContains(t, v, "id", m)
		assert.NotContains(t, v, "session", m)
	}
}

package client

import (
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"sync"

	"github.com/sessionguard/sessionguard/wire"
)

// The live event stream, GET wire.PathEvents (Server-Sent Events), tells the page
// at once when its session ends elsewhere. One tab of the browser keeps it
// for all of them (relay.go); that tab keeps it by these rules (a page
// whose Browser is no Streamer keeps none):
//
//   - Wanted while booted and signed in, except while the Client changes
//     the session itself (sign-in, sign-out, password change) or confirms
//     an ending. A new connection also needs a visible tab (this one, or
//     another that said so) and, under the jwt strategy, an access token
//     known and not yet due (the stream is authenticated by it); an open
//     connection is kept when the pages are hidden or the token comes due,
//     until the server says stale.
//   - One connection at a time, read with fetch rather than EventSource:
//     EventSource hides the comment heartbeat and the HTTP status.
//   - Back-off: after a connection fails (no answer, a status other than
//     200 and 401, the body ending without an event that ends the session)
//     the next attempt waits 1 s, doubling up to 30 s; "ready" resets it;
//     the page becoming visible (PageShown) connects at once (another
//     tab's becoming visible lets a hidden leader connect once the wait is
//     over: relay.go).
//   - "revoked", "expired", "role-changed": the connection is closed and the
//     session confirmed with GET /api/session under the refresh lock (so a
//     password change or sign-in under way in another tab lands in the
//     cookie jar first). A session there is adopted (another tab signed in
//     again) and a new connection made; none makes the session null, tells
//     the other tabs, dispatches EventEnded with the event as reason, and
//     sends a protected view to sign-in. A failed confirmation counts as
//     none: the server has said the session ended.
//   - "stale" (jwt): the connection's access token expired. It is closed
//     and a new one made as soon as the access token is fresh again:
//     renewed in this tab or another, or on the next activity.
//   - 401: the session is gone and no event said so (it ended while the
//     page had no connection). Database strategy: confirmed as "revoked".
//     Jwt: renewed (a refused renewal signs out), then connected again.
//   - "refreshed" needs nothing: the tab channel carries the new tokens.
//   - "two-factor-changed" dispatches EventTwoFactorChanged for the page.
//   - "sessions-changed" (another session of the user began or ended)
//     reads the shown device lists again, when the page was used within
//     the last 30 s (a read extends the session).
//   - Every piece of the body (events and the server's comment heartbeat,
//     every 25 s) counts as the stream speaking; see instantLocked for
//     what that is used for.

// Times of the live event stream.
const (
	streamBackoffMin = lite.Second
	streamBackoffMax = 30 * lite.Second
	// liveFresh is how recently the stream must have spoken for the
	// known-state rule (the server's heartbeat comes every 25 s).
	liveFresh = 30 * lite.Second
)

// Events of the stream.
const (
	streamReady       = "ready"
	streamStale       = "stale"
	streamRevoked     = ReasonRevoked
	streamExpired     = ReasonExpired
	streamRoleChanged = ReasonRoleChanged
	// streamSessionsChanged: another session of the user began or ended.
	streamSessionsChanged = "sessions-changed"
	// streamTwoFactorChanged: the user's second factor was turned on or off.
	streamTwoFactorChanged = "two-factor-changed"
)

// liveState is the Client's side of the event stream; c.mu guards it.
type liveState struct {
	_          noCompare
	role       int       // roleFollower, roleLeader or roleSolo (relay.go)
	relayed    bool      // a follower: the leader's connection is open
	woken      bool      // the leader: a follower's page is visible (relay.go)
	conn       *liveConn // the connection being made or open; nil when none
	open       bool      // conn answered 200 and said ready
	spokeAt    lite.Time // when conn last received anything
	backoff    lite.Duration
	retryAt    lite.Time // no new connection before this
	timer      Timer     // calls syncStreamLocked at retryAt
	paused     int       // the Client's own session changes under way
	confirming bool      // an ending is being confirmed
}

// liveConn is one connection.
type liveConn struct {
	_      noCompare
	mu     sync.Mutex
	body   Stream
	closed bool
}

// close aborts the connection; a body that arrives later is closed at once.
func (l *liveConn) close() {
	l.mu.Lock()
	l.closed = true
	b := l.body
	l.mu.Unlock()
	if b != nil {
		b.Close()
	}
}

// attach keeps the body to close; it reports false, closing body, when the
// connection was closed meanwhile.
func (l *liveConn) attach(body Stream) bool {
	l.mu.Lock()
	closed := l.closed
	l.body = body
	l.mu.Unlock()
	if closed {
		body.Close()
	}
	return !closed
}

// syncStreamLocked opens or closes the connection as the rules above say.
// It returns at once; the connection runs in a goroutine. c.mu must be held.
func (c *Client) syncStreamLocked() {
	sb, ok := c.b.(Streamer)
	lv := &c.live
	if !ok || !c.booted {
		return
	}
	if lv.timer != nil {
		lv.timer.Stop()
		lv.timer = nil
	}
	if c.state.session == nil || lv.paused > 0 || lv.confirming || lv.role == roleFollower {
		c.dropStreamLocked()
		lv.backoff, lv.retryAt = 0, lite.Time{}
		return
	}
	now := c.now()
	if lv.conn != nil || c.state.jwt.on && !c.state.jwt.fresh(now) {
		return
	}
	if now.Before(lv.retryAt) {
		lv.timer = c.clock.AfterFunc(lv.retryAt.Sub(now), c.syncStream)
		return
	}
	if !sb.Visible() && !lv.woken {
		return
	}
	l := &liveConn{}
	lv.conn, lv.open = l, false
	go c.runStream(sb, l)
}

// dropStreamLocked closes the connection, if any. c.mu must be held.
func (c *Client) dropStreamLocked() {
	if l := c.live.conn; l != nil {
		c.endConnLocked()
		l.close() // aborts a fetch: no page code runs
	}
}

// endConnLocked forgets the connection and tells the followers, asking
// the visible ones to say so again. c.mu must be held.
func (c *Client) endConnLocked() {
	c.live.conn, c.live.open, c.live.woken = nil, false, false
	c.relayLocked(relayDown)
}

// runStream makes the connection l and reads it until it ends.
func (c *Client) runStream(sb Streamer, l *liveConn) {
	status, body, err := sb.OpenStream(wire.PathEvents)
	if err != nil || status != 200 || body == nil {
		if body != nil {
			body.Close()
		}
		c.streamFailed(l, status)
		return
	}
	if !l.attach(body) {
		return
	}
	var p sseParser
	for {
		text, err := body.Read()
		if err != nil {
			c.streamFailed(l, 0)
			return
		}
		events := p.feed(text)
		c.mu.Lock()
		current := c.live.conn == l
		if current {
			c.live.spokeAt = c.now()
			if len(events) == 0 {
				c.relayLocked(relayPing)
			}
		}
		c.mu.Unlock()
		if !current {
			body.Close()
			return
		}
		for _, typ := range events {
			if !c.streamEvent(l, typ) {
				return
			}
		}
	}
}

// streamEvent handles one event of connection l; it reports whether the
// connection goes on.
func (c *Client) streamEvent(l *liveConn, typ string) bool {
	c.mu.Lock()
	if c.live.conn != l {
		c.mu.Unlock()
		l.close()
		return false
	}
	switch typ {
	case streamRevoked, streamExpired, streamRoleChanged:
		c.endConnLocked()
		c.live.confirming = true
		c.mu.Unlock()
		l.close()
		c.confirmEnded(typ)
		return false
	case streamStale:
		c.endConnLocked()
		c.syncStreamLocked()
		c.mu.Unlock()
		l.close()
		return false
	case streamReady:
		c.live.open = true
		c.live.backoff, c.live.retryAt = 0, lite.Time{}
	}
	c.relayLocked(typ)
	c.mu.Unlock()
	c.streamNews(typ)
	return true // "refreshed" and events this version does not know need nothing
}

// streamNews handles the events of the stream that the page hears of, in
// the leader and in every follower (relay.go): after "ready" (a reconnect)
// and "sessions-changed" the lists shown are read again, and
// "two-factor-changed" is dispatched; anything else needs nothing.
func (c *Client) streamNews(typ string) {
	c.mu.Lock()
	// The lists may be out of date. Reading them extends the session:
	// after a reconnect only a page used since its last read reads them,
	// after sessions-changed only one used within the last listPoll (an
	// unattended one waits for its next use: the poll of lists then reads
	// them).
	now, active := c.now(), c.state.jwt.lastActive
	read := typ == streamReady && active.After(c.lists.polled) ||
		typ == streamSessionsChanged && now.Sub(active) < listPoll
	c.mu.Unlock()
	if typ == streamTwoFactorChanged {
		c.b.Dispatch(EventTwoFactorChanged, "{}")
	}
	if read {
		go c.refreshLists()
	}
}

// streamFailed handles the end of connection l without an event that ends
// it: status is the answer's HTTP status, 0 when there was none or the
// body broke off.
func (c *Client) streamFailed(l *liveConn, status int) {
	c.mu.Lock()
	if c.live.conn != l {
		c.mu.Unlock()
		return
	}
	c.endConnLocked()
	if status == 401 {
		c.live.confirming = true
		jwt, before := c.state.jwt.on, c.state.jwt.accessExp
		c.mu.Unlock()
		if !jwt {
			c.confirmEnded(ReasonRevoked)
			return
		}
		s, err := c.renew(before)
		c.effects.Lock()
		defer c.effects.Unlock()
		c.mu.Lock()
		c.live.confirming = false
		if err != nil {
			c.backoffLocked()
		}
		c.syncStreamLocked()
		c.mu.Unlock()
		if err == nil && s == nil {
			c.leaveProtectedView(false)
		}
		return
	}
	c.backoffLocked()
	c.syncStreamLocked()
	c.mu.Unlock()
}

// backoffLocked holds the next connection back by the back-off and doubles
// it. c.mu must be held.
func (c *Client) backoffLocked() {
	d := max(c.live.backoff, streamBackoffMin)
	c.live.retryAt = c.now().Add(d)
	c.live.backoff = min(2*d, streamBackoffMax)
}

// confirmEnded asks GET /api/session after the stream said the session
// ended (reason), and applies the answer as the rules above say.
func (c *Client) confirmEnded(reason string) {
	c.mu.Lock()
	gen := c.state.idGen
	c.mu.Unlock()
	var s *wire.Session
	var exp lite.Time
	_ = c.withLock(func(bool) { s, exp, _ = c.fetchSession() })
	c.effects.Lock()
	defer c.effects.Unlock()
	c.mu.Lock()
	c.live.confirming = false
	stale := c.state.idGen != gen // signed in or out meanwhile: the answer is old
	c.mu.Unlock()
	if !stale {
		c.applySession(s, exp, true, reason) // the other tabs dispatch it too
		c.leaveProtectedView(false)
	}
	c.syncStream()
}

// pauseStream closes the stream while the Client changes the session
// itself; resumeStream ends the pause.
func (c *Client) pauseStream() {
	c.mu.Lock()
	c.live.paused++
	c.syncStreamLocked()
	c.mu.Unlock()
}

func (c *Client) resumeStream() {
	c.mu.Lock()
	c.live.paused--
	c.syncStreamLocked()
	c.mu.Unlock()
}

// syncStream is syncStreamLocked for callers without c.mu.
func (c *Client) syncStream() {
	c.mu.Lock()
	c.syncStreamLocked()
	c.mu.Unlock()
}

// PageShown tells the Client that the page became visible: the stream,
// where this tab keeps it, connects at once without waiting for its
// back-off; a follower tells the leader that a tab is visible (relay.go).
func (c *Client) PageShown() {
	c.mu.Lock()
	c.live.retryAt = lite.Time{}
	c.syncStreamLocked()
	if c.booted && c.live.role == roleFollower {
		c.postStreamLocked(relayShown)
	}
	c.mu.Unlock()
}

// Live reports whether the event stream is connected and spoke within the
// last 30 s: this tab's, or the one the browser's leader tab relays.
func (c *Client) Live() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.liveLocked(c.now())
}

func (c *Client) liveLocked(now lite.Time) bool {
	lv := &c.live
	open := lv.conn != nil && lv.open || lv.role == roleFollower && lv.relayed
	return open && now.Sub(lv.spokeAt) < liveFresh
}

package client

// One event stream per browser, not per tab. Where the page has Web Locks
// and a BroadcastChannel, the tabs of the origin elect one of them to keep
// the stream (stream.go's rules apply to it) and hear it through that tab:
//
//   - Election: every tab with a Streamer asks for the Web Lock
//     StreamLockName at boot (through the Locker) and waits for it without
//     a time limit. The tab that holds it is the leader for the rest of its
//     life; when it closes (or the browser discards it) the browser
//     releases the lock and a waiting tab takes over.
//   - The leader posts what its stream says as stream messages {"lock":
//     "", "stream": op} (see postStreamLocked): each event as it came
//     ("ready", "two-factor-changed", "sessions-changed", "refreshed"…),
//     "ping" for the heartbeat, and
//     "down" when it has no open connection (on taking over too). A
//     follower handles each event as its own stream's (each tab reads its
//     own lists and tells its own page) and counts every message but
//     "down" as the stream speaking, so Live is true in every tab while
//     the browser's one connection is open.
//   - What must happen once happens in the leader only: the confirmation
//     of an ending (GET /api/session under the refresh lock), the renewal
//     after a 401 (jwt), the back-off. A confirmed ending reaches the
//     followers as the session message {"session": null, "ended": reason};
//     each of them that had the session dispatches EventEnded too (unless
//     it changes the session itself) and leaves a protected view.
//   - Visibility: a new connection needs a visible tab of the browser, not
//     necessarily the leader. A follower posts "shown" when its page
//     becomes visible, and in answer to "down" while it is visible; at
//     boot it posts "shown" or "hidden". The leader may connect while a
//     follower said "shown" since its connection was last lost; it answers
//     every "shown" and "hidden" with "ping" while its connection is open,
//     so a tab that just opened learns at once that the stream is live.
//     (A follower's "shown" does not cut the leader's back-off short, as
//     the leader's own PageShown does: it also answers "down", and a
//     server that refuses every connection would be asked at once again.)
//   - Under the jwt strategy the tabs share the access token (cookie jar)
//     and its expiry (session messages), so a renewal in any tab lets the
//     leader connect again after "stale".
//
// Without Web Locks (no secure context: plain http on a LAN address) or
// without a BroadcastChannel, every tab keeps a stream of its own: an
// election over the channel (chanlock.go) could not learn that the
// leader's tab closed, for a closed tab posts nothing, but by a silence of
// tens of seconds in which no tab hears the stream.

// StreamLockName is the Web Lock its leader holds for as long as it lives.
const StreamLockName = "sessionguard-stream"

// Roles of a tab in the shared stream.
const (
	// roleFollower: waits for the stream lock and hears the leader. A tab
	// with a Streamer starts as one.
	roleFollower = iota
	// roleLeader: holds the stream lock, keeps the connection, relays it.
	roleLeader
	// roleSolo: no Web Locks or no channel; the tab keeps its own stream
	// (none without a Streamer).
	roleSolo
)

// Operations of stream messages other than the stream's events.
const (
	relayPing   = "ping"   // the leader's stream spoke
	relayDown   = "down"   // the leader has no open connection
	relayShown  = "shown"  // a follower's page is visible
	relayHidden = "hidden" // a follower's page is hidden (said at boot)
)

// electLocked chooses the tab's role at boot and, with Web Locks and a
// channel, asks for the stream lock. c.mu must be held.
func (c *Client) electLocked() {
	sb, ok := c.b.(Streamer)
	l, lok := c.b.(Locker)
	if !ok || !lok || !c.postStreamLocked(visibility(sb)) {
		c.live.role = roleSolo
		return
	}
	go func() {
		if l.WithLock(StreamLockName, c.lead) != nil {
			c.takeRole(roleSolo)
		}
	}()
}

// lead makes this tab the leader once it holds the stream lock, for the
// rest of its life.
func (c *Client) lead(bool) {
	c.takeRole(roleLeader)
	select {} // the browser releases the lock when the tab closes
}

// takeRole makes role the tab's role. A new leader has no connection
// yet: it asks the followers whether one is visible.
func (c *Client) takeRole(role int) {
	c.mu.Lock()
	c.live.role = role
	c.endConnLocked()
	c.syncStreamLocked()
	c.mu.Unlock()
}

func visibility(sb Streamer) string {
	if sb.Visible() {
		return relayShown
	}
	return relayHidden
}

// postStreamLocked posts the stream message op (an event type or one of
// the relay operations, none of which needs escaping); it reports whether
// there is a channel. c.mu may be held: Broadcast runs no page code.
//
// The message carries an empty "lock" member for the tabs that still run
// an earlier version of the module (loaded before a deploy): that takes a
// message without "lock" for a session message, and one without a session
// for a sign-out, but ignores a lock message whose operation and id it
// does not know.
//
//go:noinline
func (c *Client) postStreamLocked(op string) bool {
	bc, ok := c.b.(Broadcaster)
	return ok && bc.Broadcast(`{"lock":"","stream":"`+op+`"}`)
}

// relayLocked posts what the leader's stream said: an event's type,
// relayPing or relayDown. c.mu must be held.
func (c *Client) relayLocked(typ string) {
	if c.live.role == roleLeader {
		c.postStreamLocked(typ)
	}
}

// hearStream handles a stream message from another tab.
func (c *Client) hearStream(op string) {
	sb, _ := c.b.(Streamer)
	c.mu.Lock()
	lv := &c.live
	report := op == relayShown || op == relayHidden
	if lv.role == roleLeader && report {
		lv.woken = lv.woken || op == relayShown
		if lv.open {
			c.postStreamLocked(relayPing)
		}
		c.syncStreamLocked()
	}
	if lv.role != roleFollower || report {
		op = ""
	} else {
		lv.relayed, lv.spokeAt = op != relayDown, c.now()
		if !lv.relayed && sb.Visible() {
			c.postStreamLocked(relayShown)
		}
	}
	c.mu.Unlock()
	c.streamNews(op)
}

package client

import (
	"github.com/sessionguard/sessionguard/wasm/internal/lite"

	"github.com/sessionguard/sessionguard/wire"
)

// sessionState is what the Client knows of the session: the session
// itself, two generations that count its changes (answers that raced a
// change are dropped by comparing them), the jwt strategy's token state and
// the subscribers to its changes. It does no I/O and calls no page code;
// the Client's mu guards it.
type sessionState struct {
	session *wire.Session
	// gen counts changes of session (new expiry times included).
	gen uint64
	// idGen counts changes of who is signed in (sign-in, sign-out), not
	// of expiry times.
	idGen   uint64
	jwt     jwtState
	subs    map[int]func(*wire.Session)
	nextSub int
}

// noCompare makes a struct that holds it first incomparable, at no size:
// the compiler then emits no equality function for it, which the
// WebAssembly module would carry for nothing.
type noCompare [0]func()

func newSessionState() sessionState {
	return sessionState{subs: map[int]func(*wire.Session){}}
}

// start takes what Boot found: the configuration, the session s (nil:
// none) and its access expiry (zero: not told). Loading the page at now
// counts as activity.
func (st *sessionState) start(cfg wire.Config, s *wire.Session, access, now lite.Time) {
	st.session = s
	st.jwt.configure(cfg)
	st.jwt.setAccess(s, access, true)
	st.jwt.lastActive = now
}

// set makes s the session and records exp, the access expiry an answer
// told for it (zero: not told). It reports whether the session changed,
// whether the user did, and whether the known access expiry did.
func (st *sessionState) set(s *wire.Session, exp lite.Time) (changed, newUser, accessChanged bool) {
	changed = !sameSession(st.session, s)
	newUser = !sameUser(st.session, s)
	st.session = s
	if changed {
		st.gen++
	}
	if newUser {
		st.idGen++
	}
	return changed, newUser, st.jwt.setAccess(s, exp, newUser)
}

// subscribe adds fn to the subscribers and returns its id.
func (st *sessionState) subscribe(fn func(*wire.Session)) int {
	id := st.nextSub
	st.nextSub++
	st.subs[id] = fn
	return id
}

func (st *sessionState) unsubscribe(id int) { delete(st.subs, id) }

// subscribers returns the subscribers in the order they subscribed.
func (st *sessionState) subscribers() []func(*wire.Session) {
	subs := make([]func(*wire.Session), 0, len(st.subs))
	for id := 0; id < st.nextSub; id++ {
		if fn, ok := st.subs[id]; ok {
			subs = append(subs, fn)
		}
	}
	return subs
}

// message is the news of the state for the module in the page's other
// tabs.
func (st *sessionState) message() Message {
	return Message{Session: st.session, AccessExpires: st.jwt.accessExp}
}

// expires returns when s ends, on the Client's clock.
func expires(s *wire.Session) lite.Time { return lite.FromWire(s.Expires) }

func sameSession(a, b *wire.Session) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.User == b.User && a.Expires == b.Expires
}

// sameUser reports whether a and b are sessions of the same user (or both
// none).
func sameUser(a, b *wire.Session) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.User.ID == b.User.ID
}

// Session returns the current session, or nil. The returned value is shared
// and must not be modified.
func (c *Client) Session() *wire.Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.session
}

// OnChange calls fn with the new session (nil when signed out) after every
// change of the session, including a new expiry time. fn runs in one of the
// Client's goroutines and must not block on the Client. The returned
// function unsubscribes fn; it may be called more than once.
func (c *Client) OnChange(fn func(*wire.Session)) (unsubscribe func()) {
	c.mu.Lock()
	id := c.state.subscribe(fn)
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		c.state.unsubscribe(id)
		c.mu.Unlock()
	}
}

// setSession makes s the session and, when that is a change, renders the
// page, dispatches EventChange and calls the subscribers. exp, when not
// zero, is when the access token expires (jwt strategy). It reports whether
// the session changed. When broadcast is true a change of the session or of
// the access expiry is told to the module in the page's other tabs.
// c.effects must be held.
func (c *Client) setSession(s *wire.Session, exp lite.Time, broadcast bool) bool {
	return c.applySession(s, exp, broadcast, "")
}

// applySession is setSession; ended, when not "", is the stream event that
// ended the session: told with the broadcast, and dispatched as EventEnded
// when the session was there and the Client is not changing it itself.
// c.effects must be held.
func (c *Client) applySession(s *wire.Session, exp lite.Time, broadcast bool, ended string) bool {
	c.mu.Lock()
	paused := c.live.paused > 0
	if s != nil && !expires(s).After(c.now()) {
		s = nil
	}
	changed, newUser, accessChanged := c.state.set(s, exp)
	c.scheduleTickLocked()
	c.scheduleRenewalLocked()
	c.syncStreamLocked()
	msg := c.state.message()
	if s == nil {
		msg.Ended = ended
	}
	jwt := c.state.jwt.on
	subs := c.state.subscribers()
	c.mu.Unlock()
	if changed {
		c.render()
		c.b.Dispatch(EventChange, SessionJSON(s))
		for _, fn := range subs {
			fn(s)
		}
		if jwt {
			c.writeHint(s)
		}
		if newUser {
			go c.refreshLists()
		}
		if ended != "" && s == nil && !paused {
			c.b.Dispatch(EventEnded, Ended{Reason: ended}.json())
		}
	}
	if bc, ok := c.b.(Broadcaster); ok && broadcast && (changed || accessChanged) {
		bc.Broadcast(msg.json())
	}
	return changed
}

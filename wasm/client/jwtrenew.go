package client

import (
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"github.com/sessionguard/sessionguard/wire"
)

// Under the jwt strategy the session cookie holds a short-lived access token,
// and POST refreshPath trades the refresh token (its own cookie) for the next
// pair. The Client renews the access token by these rules:
//
//   - When: at accessExpires minus a margin (a fifth of the access token's
//     lifetime, at least 1 s and at most half of it), if the tab is active.
//   - Active: within the last access-token lifetime the user gave the tab
//     input (Activity: pointerdown, keydown, wheel, scroll, touchstart, the
//     tab becoming visible) or it made a guarded navigation; booting counts.
//     An idle tab lets its access token expire. Its next activity renews at
//     once, and a guarded navigation renews before its status check.
//   - One tab at a time: a renewal holds the origin-wide lock LockName
//     (lock.go: navigator.locks, or chanLock in a page that is no secure
//     context). Holding it, a tab first looks whether another tab renewed
//     since it decided to: a session message with a later accessExpires
//     that is not yet due. It adopts that instead of asking the server. The renewing tab announces its result
//     before it releases the lock, but the announcement may still be on its
//     way: a tab that had to wait for the lock and has not heard asks the
//     server (GET /api/get-session-status, which reads the shared cookie and
//     renews nothing) and adopts a later access token it reports. The cookie
//     jar holds the new refresh token before the lock is free, so no tab
//     redeems a used one in any case.
//   - A status check that answers 401 while the Client holds a session
//     renews (once) and checks again before it counts as signed out; a
//     renewal the server refuses (401) signs out, and a view that needs a
//     session goes to sign-in.

// renewal is one renewal that every caller in the tab shares.
type renewal struct {
	_    noCompare
	done chan struct{}
	s    *wire.Session // set before done is closed
	err  error
}

// Activity records that the user is using the tab (input, or the tab
// becoming visible). Under the jwt strategy it starts a renewal when one is
// due, at once after an idle spell that let the access token expire. It
// returns at once.
func (c *Client) Activity() {
	c.mu.Lock()
	c.state.jwt.lastActive = c.now()
	before, ok := c.autoRenewLocked()
	c.mu.Unlock()
	if ok {
		go c.autoRenew(before)
	}
}

// autoRenewLocked reports whether an automatic renewal should start now, and
// the access expiry it starts from. c.mu must be held.
func (c *Client) autoRenewLocked() (before lite.Time, ok bool) {
	j := &c.state.jwt
	now := c.now()
	if !j.on || !c.booted || c.state.session == nil || j.renewal != nil || !j.due(now) || !j.active(now) ||
		now.Before(j.retryAt) || j.accessExp.Equal(j.stuck) {
		return lite.Time{}, false
	}
	return j.accessExp, true
}

// scheduleRenewalLocked (re)starts the timer of the next automatic renewal.
// c.mu must be held.
func (c *Client) scheduleRenewalLocked() {
	j := &c.state.jwt
	if j.timer != nil {
		j.timer.Stop()
		j.timer = nil
	}
	j.timerGen++
	if !j.on || !c.booted || c.state.session == nil || j.accessExp.IsZero() || j.accessExp.Equal(j.stuck) {
		return
	}
	at := j.accessExp.Add(-j.margin())
	if at.Before(j.retryAt) {
		at = j.retryAt
	}
	gen := j.timerGen
	j.timer = c.clock.AfterFunc(max(at.Sub(c.now()), 0), func() { c.onRenewalTimer(gen) })
}

// onRenewalTimer renews if the tab is active; an idle tab waits for its
// next Activity.
func (c *Client) onRenewalTimer(gen uint64) {
	c.mu.Lock()
	if gen != c.state.jwt.timerGen {
		c.mu.Unlock()
		return
	}
	c.state.jwt.timer = nil
	before, ok := c.autoRenewLocked()
	c.mu.Unlock()
	if ok {
		go c.autoRenew(before)
	}
}

// autoRenew renews and, when the server refused, leaves a view that needs a
// session for the sign-in page.
func (c *Client) autoRenew(before lite.Time) {
	if s, err := c.renew(before); err == nil && s == nil {
		c.effects.Lock()
		c.leaveProtectedView(false)
		c.effects.Unlock()
	}
}

// renew renews the access token: one renewal per tab at a time (callers
// join the one under way) and one per origin (under the refresh lock).
// before is the access expiry the caller knew when it decided to renew: when
// the lock is ours and a later one that is not yet due has arrived from
// another tab, that renewal is adopted and the server not asked. It returns
// the session afterwards: nil when the server refused (401). On error
// (network, lock, unexpected answer) the state is left as it was and
// automatic renewals pause for a moment. It blocks.
func (c *Client) renew(before lite.Time) (*wire.Session, error) {
	c.mu.Lock()
	if r := c.state.jwt.renewal; r != nil {
		c.mu.Unlock()
		<-r.done
		return r.s, r.err
	}
	r := &renewal{done: make(chan struct{})}
	c.state.jwt.renewal = r
	c.mu.Unlock()
	if err := c.withLock(func(waited bool) { r.s, r.err = c.renewLocked(before, waited) }); err != nil {
		r.s, r.err = c.Session(), err
	}
	c.mu.Lock()
	c.state.jwt.renewal = nil
	if r.err != nil {
		c.state.jwt.retryAt = c.now().Add(c.state.jwt.retryDelay())
		c.scheduleRenewalLocked()
	}
	c.mu.Unlock()
	close(r.done)
	return r.s, r.err
}

// renewLocked adopts another tab's renewal or asks the server, and applies
// the answer. It runs under the refresh lock and announces its result before
// the lock is free. waited reports whether another tab held the lock first.
func (c *Client) renewLocked(before lite.Time, waited bool) (*wire.Session, error) {
	c.mu.Lock()
	if s := c.state.session; s != nil && c.state.jwt.accessExp.After(before) && c.state.jwt.fresh(c.now()) {
		c.mu.Unlock()
		return s, nil
	}
	gen, path, prev, signedIn := c.state.idGen, c.state.jwt.path, c.state.jwt.accessExp, c.state.session != nil
	c.mu.Unlock()
	if waited && signedIn && c.adoptFromServer(gen, before) {
		return c.Session(), nil
	}
	resp, err := c.fetch(Request{Method: "POST", URL: path})
	switch {
	case resp == nil:
		return c.Session(), err
	case resp.Status == 401:
		c.applyRenewal(gen, nil, lite.Time{}, prev)
		return c.Session(), nil
	case resp.Status != 200:
		return c.Session(), lite.Wrap(ErrBadResponse, path+" answered "+itoa(resp.Status))
	case err != nil:
		return c.Session(), err
	}
	s, err := DecodeSession(get(resp.Body, "session"))
	if err != nil || s == nil {
		return c.Session(), lite.Wrap(ErrBadResponse, path+" answered no session")
	}
	c.applyRenewal(gen, s, accessHeader(resp), prev)
	return c.Session(), nil
}

// adoptFromServer asks the status endpoint which access token the shared
// cookie holds. When it expires later than before and is not yet due,
// another tab renewed it: its session is adopted (and announced) and
// adoptFromServer reports true. Anything else, failures included, leaves
// the renewal to the caller.
func (c *Client) adoptFromServer(gen uint64, before lite.Time) bool {
	resp, err := c.fetch(Request{Method: "GET", URL: wire.PathStatus})
	if err != nil || resp.Status != 200 {
		return false
	}
	exp := accessHeader(resp)
	c.mu.Lock()
	s, fresh := c.state.session, !exp.IsZero() && c.now().Before(exp.Add(-c.state.jwt.margin()))
	c.mu.Unlock()
	if st, ok := decodeStatus(resp.Body); !ok || st != 200 || s == nil || !fresh || !exp.After(before) {
		return false
	}
	c.applyRenewal(gen, movedExpiry(s, resp), exp, before)
	return true
}

// applyRenewal makes the renewal's answer the session and tells the other
// tabs, unless the user changed (a sign-in or sign-out) while it was under
// way. prev is the access expiry before the renewal.
func (c *Client) applyRenewal(gen uint64, s *wire.Session, exp, prev lite.Time) {
	c.effects.Lock()
	defer c.effects.Unlock()
	c.mu.Lock()
	stale := c.state.idGen != gen
	if !stale && s != nil && !exp.After(prev) {
		c.state.jwt.stuck = prev // renewing again would not help
	}
	c.mu.Unlock()
	if stale {
		return
	}
	c.setSession(s, exp, true)
	if s == nil {
		c.writeHint(nil) // also when there was no session to change
	}
}

// preflight reports whether a status check must wait for a renewal first:
// the access token is due (or expired) while the Client holds a session.
func (c *Client) preflight() (before lite.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j := &c.state.jwt
	if !j.on || c.state.session == nil || !j.due(c.now()) || j.accessExp.Equal(j.stuck) {
		return lite.Time{}, false
	}
	return j.accessExp, true
}

package client

import "github.com/sessionguard/sessionguard/wasm/internal/lite"

// scheduleTickLocked (re)starts the timer that follows the session: it fires
// whenever the countdown's text changes (each whole second left) and so also
// exactly when the session expires. c.mu must be held.
func (c *Client) scheduleTickLocked() {
	if c.tick != nil {
		c.tick.Stop()
		c.tick = nil
	}
	c.tickGen++
	if c.state.session == nil || !c.booted {
		return
	}
	left := expires(c.state.session).Sub(c.now())
	d := left % lite.Second
	if d <= 0 {
		d = lite.Second
	}
	if left <= 0 {
		d = 0
	}
	gen := c.tickGen
	c.tick = c.clock.AfterFunc(d, func() { c.onTick(gen) })
}

// onTick updates the countdowns, or, once the session's expiry has passed,
// drops the session (the server has dropped it too) and leaves a view that
// needs one for the sign-in page.
func (c *Client) onTick(gen uint64) {
	c.effects.Lock()
	defer c.effects.Unlock()
	c.mu.Lock()
	if gen != c.tickGen || c.state.session == nil {
		c.mu.Unlock()
		return
	}
	s, now := c.state.session, c.now()
	if !expires(s).After(now) {
		c.mu.Unlock()
		c.setSession(nil, lite.Time{}, false)
		c.leaveProtectedView(false)
		return
	}
	c.scheduleTickLocked()
	c.mu.Unlock()
	renderCountdowns(c.b, s, now)
}

// Tick checks the expiry and updates the countdowns now, as when a hidden
// tab, whose timers the browser slows down, becomes visible again.
func (c *Client) Tick() {
	c.mu.Lock()
	gen := c.tickGen
	c.mu.Unlock()
	c.onTick(gen)
}

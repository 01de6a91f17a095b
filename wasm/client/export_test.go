package client

// SSEParser exposes the event stream's parser to the tests of client_test.
type SSEParser = sseParser

// Feed is feed.
func (p *sseParser) Feed(text string) []string { return p.feed(text) }

// StreamConnecting reports whether the Client has a stream connection
// being made or open (it starts one synchronously, in its own goroutine).
func (c *Client) StreamConnecting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live.conn != nil
}

// Renewing reports whether a renewal of the access token is under way in
// the tab: from its start until its callers have its result (the tab
// applies the new expiry, and the refresh lock is released, before that).
func (c *Client) Renewing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.jwt.renewal != nil
}

// Checking reports whether a status check is under way: a navigation that
// needs one joins it rather than asking again (its answer is applied before
// it ends).
func (c *Client) Checking() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flight != nil
}

// AwaitEffects waits until the change of the page under way, if any, is
// done: the Client makes each change (a list filled, a view rendered) whole
// while holding effects, as a browser runs one task at a time, so a test
// that saw the change begin sees it complete.
func (c *Client) AwaitEffects() {
	c.effects.Lock()
	// Nothing to do: having had the lock is the point.
	c.effects.Unlock()
}

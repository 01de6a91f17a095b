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

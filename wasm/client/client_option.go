package client

import "time"

// Option configures a Client in New.
type Option func(*Client)

// WithClock makes the Client tell the time and schedule its expiry timer and
// countdown with clock instead of the time package.
func WithClock(clock Clock) Option {
	return func(c *Client) { c.clock = clock }
}

// WithFetchTimeout sets how long the Client waits for an answer from the
// server before it treats the request as failed (default 15s; 0 = no limit).
func WithFetchTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = d }
}

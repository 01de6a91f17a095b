package client

import "github.com/sessionguard/sessionguard/wasm/internal/lite"

// Option configures a Client in New.
type Option func(*Client)

// WithFetchTimeout sets how long the Client waits for an answer from the
// server before it treats the request as failed (default 15s; 0 = no limit).
func WithFetchTimeout(d lite.Duration) Option {
	return func(c *Client) { c.timeout = d }
}

// WithInstantGuard turns on the known-state rule (off by default, since
// the module's contract wants guarded navigations to fail closed): while the live
// event stream is connected and spoke within the last 30 s, and the Client
// holds an unexpired session whose role the destination allows, a guarded
// navigation goes ahead at once and the status check runs afterwards. That
// check still extends the session; should it answer 401, the page goes to
// sign-in. A network or server error of that check, which would have
// cancelled the navigation, is ignored.
func WithInstantGuard(on bool) Option {
	return func(c *Client) { c.instant = on }
}

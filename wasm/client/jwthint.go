package client

import (
	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"github.com/sessionguard/sessionguard/wire"
)

// The session hint (jwt strategy): a full page load whose access token has
// expired comes without a session, though its refresh token may still hold
// one. localStorage's HintKey tells Boot whether one renewal is worth a
// request, and bootRedirectKey keeps Boot from following the sign-in page's
// callbackUrl in a loop.

// hintAlive reports whether the session hint says a jwt session may still
// be alive; ok is false when the page has no storage.
func (c *Client) hintAlive() (alive, ok bool) {
	st, ok := c.b.(Storage)
	if !ok {
		return false, false
	}
	v, found := st.GetItem(HintKey)
	if !found {
		return false, true
	}
	t, err := lite.ParseTime(v)
	return err == nil && t.After(c.now()), true
}

// writeHint keeps the session hint in line with the session s.
func (c *Client) writeHint(s *wire.Session) {
	st, ok := c.b.(Storage)
	switch {
	case !ok:
	case s == nil:
		st.RemoveItem(HintKey)
	default:
		st.SetItem(HintKey, lite.FormatTime(expires(s)))
	}
}

// wantBootRenewal reports whether Boot, under the jwt strategy and without
// a session, should try one renewal: when the session hint says a session
// may still be alive or, in a page without storage, when the page is the
// sign-in page with a callbackUrl (where the server sends a full page load
// whose access token has expired). Asking without either would cost every
// anonymous visitor a refused request.
func (c *Client) wantBootRenewal(loc Location) bool {
	if alive, ok := c.hintAlive(); ok {
		return alive
	}
	return c.bootCallback(loc) != ""
}

// bootCallback returns the safe callbackUrl of the sign-in page, or "".
func (c *Client) bootCallback(loc Location) string {
	if !c.isSignInPath(loc.Path) {
		return ""
	}
	cb, ok := lite.QueryValue(loc.Search, "callbackUrl")
	if !ok || !policy.IsSafeRedirect(cb) {
		return ""
	}
	return cb
}

// followCallback reports whether Boot may follow the callbackUrl after its
// renewal: not when it did so moments ago (a server that keeps sending the
// page back must not make a loop). c.effects must be held.
func (c *Client) followCallback() bool {
	st, ok := c.b.(Storage)
	if !ok {
		return true
	}
	now := c.now()
	if v, found := st.GetItem(bootRedirectKey); found {
		if t, err := lite.ParseTime(v); err == nil && now.Sub(t) < bootRedirectGuard && !t.After(now) {
			return false
		}
	}
	st.SetItem(bootRedirectKey, lite.FormatTime(now))
	return true
}

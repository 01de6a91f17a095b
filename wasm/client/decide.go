package client

import (
	"github.com/sessionguard/sessionguard/policy"
)

// The guard for routers: a router that navigates with history.pushState
// itself (React Router, Vue Router, SvelteKit) asks the guard in its own
// before-navigation hook. Decide answers at once from what the Client
// knows; Check gives the answer a navigation would get, with the same
// single status request.

// Answers of Decide.
const (
	// DecideAllow: go ahead (a public destination, or the known-state rule
	// vouches for the session).
	DecideAllow = "allow"
	// DecideDeny: the guard would refuse it whatever the server says now:
	// a path that cannot be cleaned, no session, a role that the
	// destination does not allow, or an aal2 path for a session proved
	// with a password only (Check tells it as ReasonStepUp).
	DecideDeny = "deny"
	// DecideCheck: the server must be asked (Check).
	DecideCheck = "check"
)

// Decide returns what the guard can tell of a navigation to target without
// asking the server: DecideAllow, DecideDeny or DecideCheck. target is a
// same-origin path (with search and hash) or an absolute URL of the page's
// origin; anything else is DecideDeny. Before the Client is ready it
// answers DecideCheck. It starts nothing and changes nothing.
func (c *Client) Decide(target string) string {
	target, ok := c.ownTarget(target)
	if !ok {
		return DecideDeny
	}
	if !c.Ready() {
		return DecideCheck
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	req := c.pol.Requirement(pathOf(target))
	s := c.state.session
	switch {
	case req.Invalid:
		return DecideDeny
	case req.Public:
		return DecideAllow
	case s == nil || !expires(s).After(c.now()):
		return DecideDeny
	case req.DecideAAL(true, s.User.Role, s.AAL) != policy.Allow:
		return DecideDeny
	case c.instantLocked(req):
		return DecideAllow
	}
	return DecideCheck
}

// ownTarget returns the target (path, search and hash) that Decide and
// Check judge: target itself when it is a same-origin path, or the target
// of an absolute URL of the page's origin (a router's to.url.href).
func (c *Client) ownTarget(target string) (string, bool) {
	if policy.IsSameOriginPath(target) {
		return target, true
	}
	return sameOrigin(target, c.b.Location().Origin)
}

// Verdict is Check's answer.
type Verdict struct {
	// Allow reports whether a navigation to the target would go ahead.
	Allow bool
	// Reason is why not: ReasonUnauthenticated, ReasonForbidden or
	// ReasonError; empty when Allow.
	Reason string
	// Redirect is where the page should go instead: the sign-in page with
	// the target as its callbackUrl, for ReasonUnauthenticated (unless the
	// target is the sign-in page itself); empty otherwise.
	Redirect string
}

// Check decides a navigation to target exactly as the guard would, without
// carrying it out: a public destination at once, others after the status
// check under way or a new one (one request however many checks and
// navigations race), or at once under the known-state rule with the check
// running afterwards. It dispatches nothing and moves nowhere: the caller
// (a router's hook) cancels or redirects. target is as for Decide; another
// origin's URL, or a Client not ready, gets ReasonError.
func (c *Client) Check(target string) <-chan Verdict {
	out := make(chan Verdict, 1)
	target, ok := c.ownTarget(target)
	if !ok || !c.Ready() {
		out <- Verdict{Reason: ReasonError}
		return out
	}
	c.mu.Lock()
	c.state.jwt.lastActive = c.now() // as a navigation: activity
	req := c.pol.Requirement(pathOf(target))
	var wait, background *flight
	switch {
	case req.Invalid || req.Public:
	case c.instantLocked(req):
		background = c.joinFlightLocked()
	default:
		wait = c.joinFlightLocked()
	}
	c.mu.Unlock()
	if background != nil {
		go c.confirmLater(background)
	}
	go func() {
		var err error
		if wait != nil {
			<-wait.done
			err = wait.err
		}
		c.mu.Lock()
		reason := c.refusalLocked(req, err)
		c.mu.Unlock()
		v := Verdict{Allow: reason == "", Reason: reason}
		if reason == ReasonUnauthenticated && !c.isSignInPath(target) {
			v.Redirect = c.signInURL(target)
		}
		out <- v
	}()
	return out
}

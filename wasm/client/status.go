package client

import (
	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"github.com/sessionguard/sessionguard/wire"
)

// The status protocol: a guarded navigation waits for the server's word,
// GET /api/get-session-status, which also extends the session.
//
//   - One check at a time: every navigation that starts while one is under
//     way joins it (a flight) rather than asking again.
//   - The answer is applied to the session before the navigations waiting
//     on it decide; an answer that raced a change of the session (a
//     sign-in or sign-out) is dropped, since it describes the old one.
//   - Under the jwt strategy a due access token is renewed before the
//     check, and a 401 while the Client holds a session is believed only
//     after one renewal and a second check.
//   - A failed check refuses the navigation (the guard fails closed),
//     except under the known-state rule (WithInstantGuard), where the
//     navigation went ahead and only a 401 sends the page to sign-in.

// flight is one GET /api/get-session-status shared by every navigation that
// starts while it is under way.
type flight struct {
	_    noCompare
	done chan struct{}
	err  error // set before done is closed
}

// instantLocked reports whether the known-state rule (WithInstantGuard)
// lets a navigation with requirement req go ahead without waiting for the
// server. c.mu must be held.
func (c *Client) instantLocked(req policy.Requirement) bool {
	now := c.now()
	s := c.state.session
	return c.instant && s != nil && expires(s).After(now) && c.liveLocked(now) &&
		req.DecideAAL(true, s.User.Role, s.AAL) == policy.Allow
}

// confirmLater waits for the status check that a navigation under the
// known-state rule did not wait for; when it found no session, the page
// leaves the protected view for sign-in.
func (c *Client) confirmLater(f *flight) {
	<-f.done
	c.effects.Lock()
	c.leaveProtectedView(false)
	c.effects.Unlock()
}

// joinFlightLocked returns the status check under way, starting one if
// there is none. c.mu must be held.
func (c *Client) joinFlightLocked() *flight {
	if c.flight == nil {
		f := &flight{done: make(chan struct{})}
		c.flight = f
		go c.fly(f)
	}
	return c.flight
}

// fly runs one status check and applies its answer to the session before
// the navigations waiting on it decide. Under the jwt strategy an access
// token that is due (or expired) is renewed first; should that fail, the
// check still decides.
func (c *Client) fly(f *flight) {
	if before, ok := c.preflight(); ok {
		_, _ = c.renew(before)
	}
	f.err = c.checkStatus(true)
	c.mu.Lock()
	c.flight = nil
	c.mu.Unlock()
	close(f.done)
}

// checkStatus asks GET /api/get-session-status. 401 makes the session nil;
// 200 moves its expiry to the Sg-Session-Expires header, or, when the Client
// knows no session (signed in from another tab), reads it from
// GET /api/session. Any failure is returned and changes nothing. An answer
// is not applied when the session changed while it was under way (a sign-in
// or sign-out that the request may have raced): it describes the old one.
//
// Under the jwt strategy a 401 may only mean that the access token expired:
// when the Client holds a session and renew is true, it renews (under the
// refresh lock) and checks once more before it believes the 401. A failed
// renewal is returned as the check's error (the guard fails closed).
func (c *Client) checkStatus(renew bool) error {
	c.mu.Lock()
	gen, before := c.state.gen, c.state.jwt.accessExp
	renew = renew && c.state.jwt.on && c.state.session != nil
	c.mu.Unlock()
	resp, err := c.fetch(Request{Method: "GET", URL: wire.PathStatus})
	if err != nil {
		return err
	}
	st, ok := decodeStatus(resp.Body)
	if resp.Status != 200 || !ok {
		return lite.Wrap(ErrBadResponse, wire.PathStatus+" answered "+itoa(resp.Status))
	}
	if st == 401 {
		if renew {
			s, err := c.renew(before)
			if err != nil || s == nil {
				return err // a refused renewal has signed out
			}
			return c.checkStatus(false)
		}
		c.applyStatus(gen, nil, lite.Time{})
		return nil
	}
	s, exp := c.Session(), accessHeader(resp)
	if s == nil {
		if s, exp, err = c.fetchSession(); err != nil {
			return err
		}
		if s == nil {
			return lite.Wrap(ErrBadResponse, "status 200 but no session")
		}
	} else {
		s = movedExpiry(s, resp)
	}
	c.applyStatus(gen, s, exp)
	return nil
}

// movedExpiry returns s with the expiry that a status answer's
// Sg-Session-Expires header tells, or s itself when the header is missing
// or bad.
func movedExpiry(s *wire.Session, resp *Response) *wire.Session {
	t, err := lite.ParseTime(resp.Header[headerExpires])
	if err != nil {
		return s
	}
	moved := *s
	moved.Expires = t.Wire()
	return &moved
}

// applyStatus makes s the session (exp: its access expiry, zero when not
// told) unless the session changed since the status check of generation
// gen started.
func (c *Client) applyStatus(gen uint64, s *wire.Session, exp lite.Time) {
	c.effects.Lock()
	defer c.effects.Unlock()
	c.mu.Lock()
	stale := c.state.gen != gen
	c.mu.Unlock()
	if !stale {
		c.setSession(s, exp, true)
	}
}

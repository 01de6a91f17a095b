package client

import (
	"strings"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
)

// The navigation state machine. Every navigation (a click, goto, a
// back/forward move, the module's own move to sign-in) gets the next id;
// starting one supersedes every earlier one, which then ends refused
// without effect. A navigation either goes ahead at once (a public
// destination, a trusted one after sign-in or sign-out, the known-state
// rule) or waits for the status check (status.go), then commits (history
// entry, view, scroll, EventNavigate) or is refused (EventBlocked, the
// browser moved back to the entry of the view shown, sign-in when the
// visitor is not signed in). The Client numbers its history entries
// (navState.index in history.state) to tell a move back after a refusal
// from a move of the user.

// navKind says how a navigation changes the history.
type navKind int

const (
	navPush    navKind = iota // a new entry (click, goto)
	navReplace                // the current entry (goto with replace, same URL)
	navPop                    // the browser already moved (back/forward)
)

// navState is where the page is in the history, as the Client keeps it;
// the Client's mu guards it.
type navState struct {
	_         noCompare
	url       string // target of the view shown (path, search, hash)
	index     int    // history index of the entry the browser is at
	viewIndex int    // history index of the entry whose view is shown
	seq       uint64 // id of the newest navigation
	// pendingSignIn is the sign-in URL to go to once the browser is back
	// at the view's entry after a refused back/forward move.
	pendingSignIn string
}

// navigation is one guarded move to target.
type navigation struct {
	_      noCompare
	id     uint64
	kind   navKind
	target string // path, search and hash
	to     int    // navPop: index of the entry the browser moved to; -1 unknown
	req    policy.Requirement
	// trusted navigations decide with the session the Client holds,
	// because the server has just confirmed it (sign-in, sign-out).
	trusted bool
	flight  *flight // the status check to wait for, when one is needed
	done    chan bool
}

// Goto navigates to target, a same-origin path with optional search and
// hash, if the guard allows it: public destinations at once, others after
// the server confirmed the session. The channel receives true when the page
// navigated, false when the navigation was refused, superseded by a newer
// one, or target is not a same-origin path. With replace the current history
// entry is replaced instead of a new one added.
func (c *Client) Goto(target string, replace bool) <-chan bool {
	if !policy.IsSameOriginPath(target) || !c.Ready() {
		done := make(chan bool, 1)
		done <- false
		return done
	}
	kind := navPush
	if replace {
		kind = navReplace
	}
	return c.navigate(kind, target, -1, false).done
}

// HandlePopState handles the browser's move through its history (back,
// forward, a fragment link). index is the index the Client stored in the
// entry's state (ok false when it has none). When the move leads to another
// view, the guard checks it; if it refuses, the browser is moved back to the
// entry of the view shown. The channel tells the outcome, as Goto's does; it
// is nil when there was nothing to check. After a refusal of a visitor who
// is not signed in, the popstate that reports the browser back at the view's
// entry leads to the sign-in page; its channel tells when that is done.
func (c *Client) HandlePopState(index int, ok bool) <-chan bool {
	if !c.Ready() {
		return nil
	}
	loc := c.b.Location()
	target := loc.Target()
	c.mu.Lock()
	if ok && index == c.nav.index {
		// The browser is back where the Client wants it: the echo of
		// a move back after a refusal.
		pending := c.nav.pendingSignIn
		c.nav.pendingSignIn = ""
		c.mu.Unlock()
		if pending == "" {
			return nil
		}
		done := make(chan bool, 1)
		go func() {
			c.effects.Lock()
			defer c.effects.Unlock()
			c.forceNavigate(pending, navPush, true)
			done <- true
		}()
		return done
	}
	if withoutHash(target) == withoutHash(c.nav.url) {
		// Only the fragment changed: same view, nothing to guard.
		if !ok {
			index = c.nav.index + 1
		}
		c.nav.index, c.nav.viewIndex, c.nav.url = index, index, target
		c.mu.Unlock()
		if !ok {
			c.b.ReplaceState(index, loc.Origin+target)
		}
		return nil
	}
	c.mu.Unlock()
	if !ok {
		index = -1
	}
	return c.navigate(navPop, target, index, false).done
}

// navigate starts a navigation: it takes the newest id (superseding every
// earlier navigation), decides whether the server must be asked, joins the
// status check under way or starts one, and finishes in a goroutine.
func (c *Client) navigate(kind navKind, target string, to int, trusted bool) *navigation {
	n := &navigation{kind: kind, target: target, to: to, trusted: trusted, done: make(chan bool, 1)}
	c.mu.Lock()
	c.nav.seq++
	n.id = c.nav.seq
	c.nav.pendingSignIn = ""
	c.state.jwt.lastActive = c.now() // a navigation is activity
	if kind == navPop && to >= 0 {
		c.nav.index = to
	}
	n.req = c.pol.Requirement(pathOf(target))
	var background *flight
	switch {
	case n.req.Invalid || n.req.Public || trusted:
		// Nothing to ask: a path that cannot be cleaned is refused
		// whatever the session, the others go ahead.
	case c.instantLocked(n.req):
		background = c.joinFlightLocked()
	default:
		n.flight = c.joinFlightLocked()
	}
	c.mu.Unlock()
	go c.finish(n)
	if background != nil {
		go c.confirmLater(background)
	}
	return n
}

// finish waits for the status check the navigation needs, then, unless a
// newer navigation superseded it, carries it out or refuses it.
func (c *Client) finish(n *navigation) {
	var err error
	if n.flight != nil {
		<-n.flight.done
		err = n.flight.err
	}
	c.effects.Lock()
	defer c.effects.Unlock()
	c.mu.Lock()
	if n.id != c.nav.seq {
		c.mu.Unlock()
		n.done <- false
		return
	}
	reason := c.refusalLocked(n.req, err)
	c.mu.Unlock()
	if reason == "" {
		c.commit(n.kind, n.target, n.to, false)
		n.done <- true
		return
	}
	c.refuse(n, reason)
	n.done <- false
}

// refusalLocked is why a navigation with requirement req is refused after
// its status check ended with err (nil when none was needed), judged by the
// session the Client holds now; "" when it goes ahead. c.mu must be held.
func (c *Client) refusalLocked(req policy.Requirement, err error) string {
	switch {
	case req.Invalid:
		return ReasonError
	case req.Public:
		return ""
	case err != nil:
		return ReasonError
	case c.state.session == nil:
		return ReasonUnauthenticated
	}
	s := c.state.session
	if d := req.DecideAAL(true, s.User.Role, s.AAL); d != policy.Allow {
		return d.String()
	}
	return ""
}

// commit shows target: a new or replaced history entry (or the entry the
// browser moved to) and the view rendered for it, without loading a page.
// A page without data-sg-route views is loaded instead. c.effects must be
// held.
func (c *Client) commit(kind navKind, target string, to int, signIn bool) {
	loc := c.b.Location()
	abs := loc.Origin + target
	if kind == navPush && target == loc.Target() {
		kind = navReplace // as browsers do for a link to the current URL
	}
	if len(c.b.Query("[data-sg-route]")) == 0 {
		c.b.Load(abs, kind != navPush)
		return
	}
	c.mu.Lock()
	idx := c.nav.index
	stamp := false
	switch kind {
	case navPush:
		idx++
	case navPop:
		if to < 0 {
			idx, stamp = c.nav.viewIndex+1, true
		}
	}
	c.nav.index, c.nav.viewIndex, c.nav.url = idx, idx, target
	c.mu.Unlock()
	switch {
	case kind == navPush:
		c.b.PushState(idx, abs)
	case kind == navReplace || stamp:
		c.b.ReplaceState(idx, abs)
	}
	c.render()
	go c.refreshLists()
	if kind != navPop {
		hash := ""
		if i := strings.IndexByte(target, '#'); i >= 0 {
			hash = target[i:]
		}
		c.b.ScrollTo(hash)
	}
	c.b.Dispatch(EventNavigate, Navigated{URL: target, Path: pathOf(target), SignIn: signIn}.json())
}

// refuse cancels n: it tells the page why (EventBlocked), moves the browser
// back to the view's entry after a back/forward move, and goes to the
// sign-in page when the visitor is not signed in (never for a path that
// cannot be cleaned: signing in would not open it). c.effects must be held.
func (c *Client) refuse(n *navigation, reason string) {
	c.b.Dispatch(EventBlocked, Blocked{To: n.target, Reason: reason}.json())
	signIn := ""
	if reason == ReasonUnauthenticated && !c.isSignInPath(n.target) {
		signIn = c.signInURL(n.target)
	}
	if n.kind == navPop {
		c.mu.Lock()
		delta := c.nav.viewIndex - c.nav.index
		view := c.nav.url
		c.nav.index = c.nav.viewIndex
		if n.to >= 0 && delta != 0 {
			// Go back to the view's entry; the sign-in page, if
			// any, follows when the browser reports it is there.
			c.nav.pendingSignIn = signIn
			c.mu.Unlock()
			c.b.Go(delta)
			return
		}
		idx := c.nav.viewIndex
		c.mu.Unlock()
		if signIn != "" {
			// No index to go back to: the entry becomes the
			// sign-in page.
			c.forceNavigate(signIn, navReplace, true)
			return
		}
		c.b.ReplaceState(idx, c.b.Location().Origin+view)
		return
	}
	if signIn != "" {
		c.forceNavigate(signIn, navPush, true)
	}
}

// forceNavigate goes to target without asking the guard (the sign-in page,
// or a destination already decided). It supersedes every navigation under
// way. c.effects must be held.
func (c *Client) forceNavigate(target string, kind navKind, signIn bool) {
	c.mu.Lock()
	c.nav.seq++
	if kind == navPush && target == c.nav.url {
		kind = navReplace
	}
	c.mu.Unlock()
	c.commit(kind, target, -1, signIn)
}

// leaveProtectedView goes to the sign-in page when the view shown needs a
// session and there is none (after an expiry, a sign-out in another tab, or
// at boot). c.effects must be held.
func (c *Client) leaveProtectedView(replace bool) {
	c.mu.Lock()
	target, s, pol := c.nav.url, c.state.session, c.pol
	c.mu.Unlock()
	if s != nil || pol.IsPublic(pathOf(target)) || c.isSignInPath(target) {
		return
	}
	kind := navPush
	if replace {
		kind = navReplace
	}
	c.forceNavigate(c.signInURL(target), kind, true)
}

// isSignInPath reports whether target leads to the sign-in page, where a
// refusal must not send the visitor again (no redirect loop).
func (c *Client) isSignInPath(target string) bool {
	return samePath(pathOf(target), pathOf(c.SignInPath()))
}

// signInURL returns the sign-in page's URL that brings the visitor back to
// dest after signing in.
func (c *Client) signInURL(dest string) string {
	base := c.SignInPath()
	sep := "?"
	if _, rest := policy.SplitPath(base); rest != "" {
		sep = "&"
	}
	return base + sep + "callbackUrl=" + lite.EncodeURIComponent(dest)
}

package client

// Router navigations: page code (an app's router) that calls
// history.pushState or history.replaceState itself. Where the browser has
// the Navigation API, its navigate event tells the module of such a
// navigation before it commits, and the browser layer hands it to
// RouterNavigation; elsewhere the module does not see it, and the router's
// own hooks (Decide, Check) are the guard.
//
// A pushState cannot wait for the server. What the known state denies (no
// session, a role the destination does not allow, a path that cannot be
// cleaned) is cancelled at once and reported as a click's refusal would be:
// EventBlocked, then the sign-in page when the visitor is not signed in.
// The rest commits; the Client follows it (the entry is stamped with its
// index, the views are rendered) and, unless the destination is public,
// checks with the server right after, as Check does, and corrects a
// refusal: the sign-in page in place of the entry (unauthenticated), or
// the previous URL in place of the refused one with EventBlocked
// (forbidden, error). A newer navigation supersedes the correction.

// RouterNavigation decides a same-document push (or, with replace, replace)
// navigation to target that page code started; the module's own are not
// passed to it. target is an absolute URL of the page's origin or a path.
// It reports whether the navigation must be cancelled (when cancelable is
// false it cannot be, and a refusal is corrected after the commit instead),
// and returns the function to call once the navigate event is over: the
// URL committed, unless cancelled. after never blocks the caller for long;
// it may be called from any goroutine.
func (c *Client) RouterNavigation(target string, replace, cancelable bool) (cancel bool, after func()) {
	nop := func() {}
	t, ok := c.ownTarget(target)
	if !ok || !c.Ready() {
		return false, nop // the server guards what the module cannot judge
	}
	c.mu.Lock()
	c.nav.seq++
	id := c.nav.seq
	c.nav.pendingSignIn = ""
	c.state.jwt.lastActive = c.now() // a navigation is activity
	req := c.pol.Requirement(pathOf(t))
	reason := c.refusalLocked(req, nil)
	if s := c.state.session; reason == "" && !req.Public && !expires(s).After(c.now()) {
		reason = ReasonUnauthenticated // expired: the timer has not cleared it yet
	}
	if reason != "" && cancelable {
		c.mu.Unlock()
		return true, func() { c.refuseRouterNavigation(id, t, reason) }
	}
	// It commits: follow it at once, so that a navigation that starts
	// before after runs finds the Client where the browser will be.
	prev := c.nav.url
	if !replace {
		c.nav.index++
	}
	c.nav.viewIndex, c.nav.url = c.nav.index, t
	idx := c.nav.index
	c.mu.Unlock()
	return false, func() {
		if !c.followRouterNavigation(id, idx, t) || req.Public {
			return
		}
		if reason != "" {
			c.correctRouterNavigation(id, t, prev, Verdict{Reason: reason})
			return
		}
		go func() {
			if v := <-c.Check(t); !v.Allow {
				c.correctRouterNavigation(id, t, prev, v)
			}
		}()
	}
}

// refuseRouterNavigation reports the cancelled router navigation id to t,
// and goes to the sign-in page when the visitor is not signed in, unless a
// newer navigation started meanwhile.
func (c *Client) refuseRouterNavigation(id uint64, t, reason string) {
	c.effects.Lock()
	defer c.effects.Unlock()
	c.b.Dispatch(EventBlocked, Blocked{To: t, Reason: reason}.json())
	c.mu.Lock()
	current := c.nav.seq == id
	c.mu.Unlock()
	if current && reason == ReasonUnauthenticated && !c.isSignInPath(t) {
		c.forceNavigate(c.signInURL(t), navPush, true)
	}
}

// followRouterNavigation stamps the committed entry of navigation id with
// its index (keeping the router's state) and renders the views, unless a
// newer navigation started meanwhile; it reports whether it did.
func (c *Client) followRouterNavigation(id uint64, idx int, t string) bool {
	c.effects.Lock()
	defer c.effects.Unlock()
	c.mu.Lock()
	current := c.nav.seq == id
	c.mu.Unlock()
	if !current {
		return false
	}
	c.b.ReplaceState(idx, c.b.Location().Origin+t)
	c.render()
	return true
}

// correctRouterNavigation undoes the committed router navigation id to t
// that the server refused (v), unless a newer navigation started: the
// sign-in page in its place for a visitor who is not signed in, else the
// previous URL prev in its place, with EventBlocked either way.
func (c *Client) correctRouterNavigation(id uint64, t, prev string, v Verdict) {
	c.effects.Lock()
	defer c.effects.Unlock()
	c.mu.Lock()
	current := c.nav.seq == id
	c.mu.Unlock()
	if !current {
		return // the newer navigation is judged on its own
	}
	c.b.Dispatch(EventBlocked, Blocked{To: t, Reason: v.Reason}.json())
	if v.Reason == ReasonUnauthenticated && !c.isSignInPath(t) {
		c.forceNavigate(c.signInURL(t), navReplace, true)
		return
	}
	c.mu.Lock()
	c.nav.seq++ // the correction is a navigation of its own
	c.nav.url = prev
	idx := c.nav.index
	c.mu.Unlock()
	c.b.ReplaceState(idx, c.b.Location().Origin+prev)
	c.render()
}

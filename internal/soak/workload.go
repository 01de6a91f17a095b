package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Workload bounds.
const (
	maxBrowsers = 3                // per simulated user
	maxPast     = 8                // cookie sets a browser remembers, for the probes after it is revoked
	maxRevoked  = 40               // revoked cookie sets a user keeps probing
	reuseAfter  = 6 * time.Second  // past the refresh grace (5 s)
	streamHear  = 35 * time.Second // an open stream hears of a revocation (event, or its 25 s heartbeat)
	adminEmail  = "admin@example.com"
	adminPass   = "admin-password"
)

// browser is one simulated browser of a user: its cookies, as a browser
// keeps them for the site whichever instance answers.
type browser struct {
	n       int
	ip      string
	cookies map[string]string
	past    []map[string]string // earlier cookie sets of this session (tokens re-issued)
	maxExp  time.Time           // the latest expires it was told
	tokenAt time.Time           // when the session cookie last changed
	stream  *stream
	reuse   *pendingReuse
}

// pendingReuse is a spent refresh token the browser will submit again
// once the grace has passed: the server must end the whole session.
type pendingReuse struct {
	refresh string
	due     time.Time
}

// revokedCred is a cookie set of a session whose revocation returned.
type revokedCred struct {
	cookies map[string]string
	at      time.Time
	why     string
	by      *instance // the instance that revoked it
}

// simUser is one account and its browsers; a goroutine of its own acts for
// it, one step at a time, so the model of what is live is exact.
type simUser struct {
	s         *setup
	r         *recorder
	rng       *rand.Rand
	idx       int
	email, id string
	password  string
	alt       string // a password it may have (a change whose answer was lost)
	role      string // "" when a change's answer was lost
	disabled  bool
	browsers  []*browser
	revoked   []revokedCred
	admin     map[string]string // the cookies of its administrator's browser
	adminIP   string
	nb        int
	uncertain int      // sessions it lost track of (answers lost to faults): they may exist
	trace     []string // its last requests, for a violation's report
}

// maxTrace is how many of its last requests a user remembers.
const maxTrace = 16

// send sends a request for the user and remembers it in its trace.
func (u *simUser) send(ctx context.Context, in *instance, kind, method, path, body string, cookies map[string]string, ip string) result {
	res := send(ctx, u.r, in, kind, method, path, body, cookies, ip)
	line := fmt.Sprintf("%s %s %s %s on %s with %s from %s → ", res.start.UTC().Format("15:04:05.000"), kind, method, path, in.name, describe(cookies), ip)
	if res.err != nil {
		line += "error " + res.err.Error()
	} else {
		line += fmt.Sprintf("%d %.80s", res.code, strings.TrimSpace(res.body))
		for _, ck := range res.cookies {
			if ck.Name == sessionCookie || ck.Name == refreshCookie {
				line += fmt.Sprintf(" set %s=%s", strings.TrimPrefix(strings.TrimPrefix(ck.Name, "__Host-"), "__Secure-"), short(ck.Value))
			}
		}
	}
	u.trace = append(u.trace, line)
	if len(u.trace) > maxTrace {
		u.trace = u.trace[1:]
	}
	return res
}

// history is the user's last requests, one a line.
func (u *simUser) history() string {
	return "\n    " + u.email + "'s last requests:\n      " + strings.Join(u.trace, "\n      ")
}

// ip gives each browser a client address of its own (the instances trust
// the soak as a proxy), so the sign-in limits per address stay per browser.
func (u *simUser) newIP() string {
	u.nb++
	return fmt.Sprintf("10.%d.%d.%d", u.s.index, u.idx, u.nb%250+1)
}

// pick returns a random instance of the setup.
func (u *simUser) pick() *instance { return u.s.inst[u.rng.IntN(len(u.s.inst))] }

// apply takes the cookies of an answer into b, remembering the session's
// earlier cookie sets.
func (b *browser) apply(res result) {
	for _, ck := range res.cookies {
		if ck.Name != sessionCookie && ck.Name != refreshCookie {
			continue
		}
		if ck.MaxAge < 0 {
			delete(b.cookies, ck.Name)
			continue
		}
		if b.cookies[ck.Name] == ck.Value {
			continue
		}
		if ck.Name == sessionCookie {
			b.tokenAt = time.Now()
		}
		if len(b.cookies) > 0 {
			b.past = append(b.past, clone(b.cookies))
			if len(b.past) > maxPast {
				b.past = b.past[1:]
			}
		}
		b.cookies[ck.Name] = ck.Value
	}
}

func clone(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// run acts for the user until ctx ends.
func (u *simUser) run(ctx context.Context, think time.Duration) {
	for ctx.Err() == nil {
		u.step(ctx)
		d := think/2 + time.Duration(u.rng.Int64N(int64(think)))
		select {
		case <-ctx.Done():
		case <-time.After(d):
		}
	}
}

// step is one action, chosen by weight among those that make sense now.
func (u *simUser) step(ctx context.Context) {
	if u.disabled {
		u.enable(ctx)
		return
	}
	for _, b := range u.browsers {
		if b.reuse != nil && time.Now().After(b.reuse.due) {
			u.reuseRefresh(ctx, b)
			return
		}
	}
	for _, b := range u.browsers {
		if b.stream != nil && !b.stream.isOpen() {
			b.stream = nil
		}
	}
	if len(u.browsers) == 0 {
		u.signIn(ctx)
		return
	}
	jwt := u.s.strategy == "jwt"
	type action struct {
		w  int
		fn func(context.Context)
	}
	actions := []action{
		{35, u.statusCheck},
		{12, u.sessionRead},
		{12, u.probe},
		{4, u.wrongSignIn},
		{4, u.signOut},
		{3, u.openEvents},
		{2, u.passwordChange},
		{2, u.roleChange},
		{1, u.disable},
	}
	if len(u.browsers) < maxBrowsers {
		actions = append(actions, action{8, u.signIn})
	}
	if len(u.browsers) > 1 {
		actions = append(actions, action{4, u.endDevice}, action{1, u.revokeOthers})
	}
	if jwt {
		actions = append(actions, action{6, u.refresh}, action{3, u.doubleRefresh}, action{1, u.scheduleReuse})
	}
	total := 0
	for _, a := range actions {
		total += a.w
	}
	n := u.rng.IntN(total)
	for _, a := range actions {
		if n < a.w {
			a.fn(ctx)
			return
		}
		n -= a.w
	}
}

// any returns a random browser.
func (u *simUser) any() *browser { return u.browsers[u.rng.IntN(len(u.browsers))] }

// drop forgets b: its answers were lost, so whether its session lives is
// unknown; it is neither probed as live nor as revoked.
func (u *simUser) drop(b *browser) {
	u.browsers = slices.DeleteFunc(u.browsers, func(x *browser) bool { return x == b })
	if b.stream != nil {
		b.stream.close()
	}
	u.uncertain++
}

// dropAll forgets every browser.
func (u *simUser) dropAll() {
	for _, b := range slices.Clone(u.browsers) {
		u.drop(b)
	}
}

// revoke records that b's session was revoked by request res, which
// returned at res.end: from now on no instance may accept any of its cookies
// (with -store-cache: none but res.in after cacheBound). It probes the
// newest right away on every instance, and has its open stream checked.
func (u *simUser) revoke(ctx context.Context, b *browser, why string, res result) {
	at := res.end
	u.browsers = slices.DeleteFunc(u.browsers, func(x *browser) bool { return x == b })
	sets := append(slices.Clone(b.past), clone(b.cookies))
	for _, c := range sets {
		if len(c) == 0 {
			continue
		}
		u.revoked = append(u.revoked, revokedCred{cookies: c, at: at, why: why, by: res.in})
	}
	if len(u.revoked) > maxRevoked {
		u.revoked = u.revoked[len(u.revoked)-maxRevoked:]
	}
	u.r.checked("revocations")
	if st := b.stream; st != nil {
		go u.checkStream(ctx, st, why, at)
	}
	for _, in := range u.s.inst {
		u.probeOne(ctx, in, revokedCred{cookies: clone(b.cookies), at: at, why: why, by: res.in}, false)
	}
}

// revokeAll revokes every browser of the user.
func (u *simUser) revokeAll(ctx context.Context, why string, res result) {
	for _, b := range slices.Clone(u.browsers) {
		u.revoke(ctx, b, why, res)
	}
}

// checkStream waits until st has told its page that the session ended, or
// fails when it has not within streamHear of the revocation (or of the end
// of the setup's last fault: events may be lost while the store is away,
// the heartbeat then catches up).
func (u *simUser) checkStream(ctx context.Context, st *stream, why string, at time.Time) {
	defer st.close()
	for {
		if st.heard() {
			u.r.checked("streams-told")
			return
		}
		deadline := at
		if last := u.s.faults.lastEnd(); last.After(deadline) {
			deadline = last
		}
		deadline = deadline.Add(streamHear)
		if time.Now().After(deadline) {
			st.mu.Lock()
			events := strings.Join(st.events, ",")
			st.mu.Unlock()
			u.r.violation(u.s.name, "an open event stream did not hear of its session's revocation",
				fmt.Sprintf("%s of %s returned at %s; the stream on %s heard [%s] and is still open %v later",
					why, u.email, at.UTC().Format("15:04:05.000"), st.in.name, events, time.Since(at).Round(time.Second)))
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-st.change:
		case <-time.After(time.Until(deadline)):
		}
	}
}

// signIn signs a new browser in with the right password.
func (u *simUser) signIn(ctx context.Context) {
	b := &browser{ip: u.newIP(), cookies: map[string]string{}}
	in := u.pick()
	for _, pw := range []string{u.password, u.alt} {
		if pw == "" {
			continue
		}
		res := u.send(ctx, in, "signin", http.MethodPost, "/api/auth/signin",
			fmt.Sprintf(`{"email":%q,"password":%q}`, u.email, pw), nil, b.ip)
		switch {
		case res.ok():
			b.apply(res)
			if b.cookies[sessionCookie] == "" {
				u.r.violation(u.s.name, "sign-in without a session cookie", res.String())
				return
			}
			u.password, u.alt = pw, ""
			u.browsers = append(u.browsers, b)
			return
		case res.err != nil || res.code == http.StatusServiceUnavailable:
			u.uncertain++ // a session may have been made
			return
		case res.code == http.StatusUnauthorized && u.alt != "":
			continue // the password it had may have been changed
		default:
			u.r.violation(u.s.name, "a sign-in with the right password refused", res.String())
			return
		}
	}
}

// wrongSignIn signs in with a wrong password, to a decoy account (so the
// workload's accounts never reach their limits) or to nobody.
func (u *simUser) wrongSignIn(ctx context.Context) {
	email := fmt.Sprintf("decoy-%d@soak.test", u.rng.IntN(2))
	if u.rng.IntN(2) == 0 {
		email = fmt.Sprintf("nobody-%d@soak.test", u.rng.IntN(1000))
	}
	res := u.send(ctx, u.pick(), "signin-wrong", http.MethodPost, "/api/auth/signin",
		fmt.Sprintf(`{"email":%q,"password":"wrong-password"}`, email), nil, u.newIP())
	if res.ok() || (res.err == nil && res.code != http.StatusUnauthorized && res.code != http.StatusTooManyRequests && res.code != http.StatusServiceUnavailable) {
		u.r.violation(u.s.name, "a wrong password was not refused with 401 or 429", res.String())
	}
}

// expired reports whether b's access token (jwt) may have expired: a 401
// is then what a live session gets until it refreshes.
func (u *simUser) expired(b *browser) bool {
	return u.s.strategy == "jwt" && time.Since(b.tokenAt) > accessMaxAge-10*time.Second
}

// lost judges a 401 (or null) for b's live session: allowed while a fault
// lasts, or when its access token expired (then it refreshes); otherwise
// the session was lost.
func (u *simUser) lost(ctx context.Context, b *browser, res result) {
	switch {
	case u.expired(b):
		u.refreshBrowser(ctx, b, "refresh")
	case u.s.faults.during(res.in, res.start, res.end):
		// the store or the instance was away: a status check fails closed
	default:
		u.r.violation(u.s.name, "a live session was refused (lost?)", fmt.Sprintf("%s of %s: %s%s", describe(b.cookies), u.email, res, u.history()))
		u.drop(b)
	}
}

// statusCheck asks a live browser's status.
func (u *simUser) statusCheck(ctx context.Context) {
	b := u.any()
	if u.expired(b) {
		u.refreshBrowser(ctx, b, "refresh")
		return
	}
	res := u.send(ctx, u.pick(), "status", http.MethodGet, "/api/get-session-status", "", b.cookies, b.ip)
	if res.err == nil {
		u.r.status(res.took(), u.s.faults.during(res.in, res.start, res.end))
	}
	switch {
	case res.ok() && strings.Contains(res.body, `"status":200`):
		b.apply(res)
	case res.ok() && strings.Contains(res.body, `"status":401`):
		u.lost(ctx, b, res)
	case res.ok():
		u.r.violation(u.s.name, "a status check answered neither 200 nor 401", res.String())
	}
}

// sessionRead reads a live browser's session and checks that its expires
// never moved back (a rolling extension not yet written may be lost:
// -update-age).
func (u *simUser) sessionRead(ctx context.Context) {
	b := u.any()
	if u.expired(b) {
		u.refreshBrowser(ctx, b, "refresh")
		return
	}
	res := u.send(ctx, u.pick(), "session", http.MethodGet, "/api/session", "", b.cookies, b.ip)
	if !res.ok() {
		if res.err == nil && res.code != http.StatusServiceUnavailable {
			u.r.violation(u.s.name, "a session read answered neither 200 nor 503", res.String())
		}
		return
	}
	if strings.TrimSpace(res.body) == "null" {
		u.lost(ctx, b, res)
		return
	}
	var sess struct {
		Expires time.Time `json:"expires"`
		User    struct {
			Email string `json:"email"`
			Role  string `json:"role"`
		} `json:"user"`
	}
	if err := json.Unmarshal([]byte(res.body), &sess); err != nil {
		u.r.violation(u.s.name, "a session read answered no session JSON", res.String())
		return
	}
	if sess.User.Email != u.email {
		u.r.violation(u.s.name, "a session read answered another user's session", res.String())
	}
	if u.role != "" && sess.User.Role != u.role {
		u.r.violation(u.s.name, "a session read answered a stale role", fmt.Sprintf("want %s: %s", u.role, res))
	}
	if !b.maxExp.IsZero() && sess.Expires.Before(b.maxExp.Add(-updateAge-time.Second)) {
		u.r.violation(u.s.name, "a session's expires moved backwards by more than -update-age",
			fmt.Sprintf("was %s, now %s: %s", b.maxExp.UTC().Format(time.RFC3339Nano), sess.Expires.UTC().Format(time.RFC3339Nano), res))
	}
	if !b.maxExp.IsZero() {
		u.r.checked("expires")
	}
	if sess.Expires.After(b.maxExp) {
		b.maxExp = sess.Expires
	}
	b.apply(res)
}

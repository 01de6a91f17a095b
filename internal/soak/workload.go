package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
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

// revoke records that b's session was revoked by a request that returned at
// at: from now on no instance may accept any of its cookies. It probes the
// newest right away on every instance, and has its open stream checked.
func (u *simUser) revoke(ctx context.Context, b *browser, why string, at time.Time) {
	u.browsers = slices.DeleteFunc(u.browsers, func(x *browser) bool { return x == b })
	sets := append(slices.Clone(b.past), clone(b.cookies))
	for _, c := range sets {
		if len(c) == 0 {
			continue
		}
		u.revoked = append(u.revoked, revokedCred{cookies: c, at: at, why: why})
	}
	if len(u.revoked) > maxRevoked {
		u.revoked = u.revoked[len(u.revoked)-maxRevoked:]
	}
	u.r.checked("revocations")
	if st := b.stream; st != nil {
		go u.checkStream(ctx, st, why, at)
	}
	for _, in := range u.s.inst {
		u.probeOne(ctx, in, revokedCred{cookies: clone(b.cookies), at: at, why: why}, false)
	}
}

// revokeAll revokes every browser of the user.
func (u *simUser) revokeAll(ctx context.Context, why string, at time.Time) {
	for _, b := range slices.Clone(u.browsers) {
		u.revoke(ctx, b, why, at)
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

// probe asks an instance whether it accepts a revoked cookie set: it must
// not, not once.
func (u *simUser) probe(ctx context.Context) {
	if len(u.revoked) == 0 {
		u.statusCheck(ctx)
		return
	}
	c := u.revoked[u.rng.IntN(len(u.revoked))]
	u.probeOne(ctx, u.pick(), c, u.rng.IntN(3) == 0)
}

func (u *simUser) probeOne(ctx context.Context, in *instance, c revokedCred, refresh bool) {
	since := func() string {
		return fmt.Sprintf("%s of %s returned %v before", c.why, u.email, time.Since(c.at).Round(time.Millisecond))
	}
	if refresh && c.cookies[refreshCookie] != "" {
		res := u.send(ctx, in, "probe", http.MethodPost, "/api/auth/refresh", "", map[string]string{refreshCookie: c.cookies[refreshCookie]}, u.newIP())
		if res.ok() {
			u.r.violation(u.s.name, "a revoked session's refresh token bought new tokens", since()+": "+res.String())
		}
		return
	}
	if c.cookies[sessionCookie] == "" {
		return
	}
	only := map[string]string{sessionCookie: c.cookies[sessionCookie]}
	if u.rng.IntN(3) == 0 {
		res := u.send(ctx, in, "probe", http.MethodGet, "/api/session", "", only, u.newIP())
		if res.ok() && strings.TrimSpace(res.body) != "null" {
			u.r.violation(u.s.name, "a revoked session was read", since()+": "+res.String())
		}
		return
	}
	res := u.send(ctx, in, "probe", http.MethodGet, "/api/get-session-status", "", only, u.newIP())
	if res.ok() && !strings.Contains(res.body, `"status":401`) {
		u.r.violation(u.s.name, "a revoked session was accepted", since()+": "+res.String())
	}
}

// refreshBrowser spends b's refresh token for new tokens (jwt).
func (u *simUser) refreshBrowser(ctx context.Context, b *browser, kind string) bool {
	res := u.send(ctx, u.pick(), kind, http.MethodPost, "/api/auth/refresh", "", b.cookies, b.ip)
	switch {
	case res.ok():
		b.apply(res)
		return true
	case res.err != nil || res.code == http.StatusServiceUnavailable:
		u.drop(b) // spent or not: unknown
	case res.code == http.StatusUnauthorized && u.s.faults.during(res.in, res.start, res.end):
		u.drop(b)
	default:
		u.r.violation(u.s.name, "a live session's refresh refused", res.String())
		u.drop(b)
	}
	return false
}

func (u *simUser) refresh(ctx context.Context) { u.refreshBrowser(ctx, u.any(), "refresh") }

// doubleRefresh submits one refresh token twice at once, as two tabs or a
// retry on a slow network do: both are answered, with one successor.
func (u *simUser) doubleRefresh(ctx context.Context) {
	b := u.any()
	var wg sync.WaitGroup
	var res [2]result
	for i := range res {
		wg.Go(func() {
			res[i] = u.send(ctx, u.pick(), "refresh-double", http.MethodPost, "/api/auth/refresh", "", b.cookies, b.ip)
		})
	}
	wg.Wait()
	if !res[0].ok() || !res[1].ok() {
		for _, r := range res {
			if r.err == nil && r.code == http.StatusUnauthorized && !u.s.faults.during(r.in, r.start, r.end) {
				u.r.violation(u.s.name, "a double submit of a refresh token within the grace refused", fmt.Sprintf("%s | %s", res[0], res[1]))
				break
			}
		}
		u.drop(b)
		return
	}
	token := func(r result) string {
		for _, ck := range r.cookies {
			if ck.Name == refreshCookie {
				return ck.Value
			}
		}
		return ""
	}
	u.r.checked("one-successor")
	if t0, t1 := token(res[0]), token(res[1]); t0 != t1 {
		u.r.violation(u.s.name, "a refresh family got two successors", fmt.Sprintf("%s → %s and %s: %s | %s", short(b.cookies[refreshCookie]), short(t0), short(t1), res[0], res[1]))
	}
	b.apply(res[0])
}

// scheduleReuse refreshes b and keeps the spent token, to submit it again
// after the grace: that must end the whole session.
func (u *simUser) scheduleReuse(ctx context.Context) {
	b := u.any()
	if b.reuse != nil {
		return
	}
	old := b.cookies[refreshCookie]
	if old == "" || !u.refreshBrowser(ctx, b, "refresh") {
		return
	}
	b.reuse = &pendingReuse{refresh: old, due: time.Now().Add(reuseAfter)}
}

// reuseRefresh submits b's spent refresh token: 401, and b's session ends.
func (u *simUser) reuseRefresh(ctx context.Context, b *browser) {
	res := u.send(ctx, u.pick(), "refresh-reuse", http.MethodPost, "/api/auth/refresh", "", map[string]string{refreshCookie: b.reuse.refresh}, b.ip)
	b.reuse = nil
	switch {
	case res.ok():
		u.r.violation(u.s.name, "a spent refresh token was accepted after the grace", res.String())
		u.drop(b)
	case res.err == nil && res.code == http.StatusUnauthorized:
		u.revoke(ctx, b, "refresh-token reuse", res.end)
	default:
		u.drop(b)
	}
}

// reauth reports a 403 reauth_required: a sensitive request of a session
// older than -fresh-age, an expected answer that changed nothing.
func reauth(res result) bool {
	return res.err == nil && res.code == http.StatusForbidden && strings.Contains(res.body, "reauth_required")
}

// signOut signs a browser out.
func (u *simUser) signOut(ctx context.Context) {
	b := u.any()
	res := u.send(ctx, u.pick(), "signout", http.MethodPost, "/api/auth/signout", "{}", b.cookies, b.ip)
	if res.ok() {
		u.revoke(ctx, b, "sign-out", res.end)
		return
	}
	if res.err == nil && res.code != http.StatusServiceUnavailable {
		u.r.violation(u.s.name, "a sign-out refused", res.String())
	}
	u.drop(b)
}

// endDevice ends one browser's session from another, as the account page
// does.
func (u *simUser) endDevice(ctx context.Context) {
	x := u.browsers[0]
	y := u.browsers[1+u.rng.IntN(len(u.browsers)-1)]
	list := u.send(ctx, u.pick(), "devices", http.MethodGet, "/api/auth/sessions", "", y.cookies, y.ip)
	if !list.ok() {
		return
	}
	var devices struct {
		Sessions []struct {
			Handle  string `json:"handle"`
			Current bool   `json:"current"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(list.body), &devices); err != nil {
		u.r.violation(u.s.name, "the device list is not JSON", list.String())
		return
	}
	handle := ""
	for _, d := range devices.Sessions {
		if d.Current {
			handle = d.Handle
		}
	}
	if handle == "" {
		u.r.violation(u.s.name, "the device list does not mark the current session", list.String())
		return
	}
	res := u.send(ctx, u.pick(), "device-end", http.MethodDelete, "/api/auth/sessions/"+handle, "", x.cookies, x.ip)
	switch {
	case reauth(res):
		u.r.checked("reauth-required")
	case res.ok():
		u.revoke(ctx, y, "device ending", res.end)
	case res.err != nil || res.code == http.StatusServiceUnavailable:
		u.drop(y)
	default:
		u.r.violation(u.s.name, "ending a device refused", res.String())
		u.drop(y)
	}
}

// revokeOthers ends every session of the user but one.
func (u *simUser) revokeOthers(ctx context.Context) {
	b := u.any()
	res := u.send(ctx, u.pick(), "revoke-others", http.MethodPost, "/api/auth/sessions/revoke-others", "", b.cookies, b.ip)
	switch {
	case reauth(res):
		u.r.checked("reauth-required")
	case res.ok():
		for _, o := range slices.Clone(u.browsers) {
			if o != b {
				u.revoke(ctx, o, "sign-out of the other devices", res.end)
			}
		}
	case res.err != nil || res.code == http.StatusServiceUnavailable:
		u.dropAll()
	default:
		u.r.violation(u.s.name, "signing the other devices out refused", res.String())
		u.dropAll()
	}
}

// passwordChange changes the password from one browser: every other
// session ends, this one goes on under a new id (its old cookies end).
func (u *simUser) passwordChange(ctx context.Context) {
	b := u.any()
	next := fmt.Sprintf("soak-password-%d", u.rng.Int64())
	res := u.send(ctx, u.pick(), "password", http.MethodPost, "/api/auth/password",
		fmt.Sprintf(`{"currentPassword":%q,"newPassword":%q}`, u.password, next), b.cookies, b.ip)
	switch {
	case reauth(res):
		u.r.checked("reauth-required")
	case res.ok():
		u.password, u.alt = next, ""
		old := &browser{cookies: clone(b.cookies), past: b.past, stream: b.stream}
		b.stream, b.past = nil, nil
		b.reuse = nil // a token of the old session: its reuse ends nothing of the new one
		b.apply(res)
		b.past = nil
		b.maxExp = time.Time{}
		u.browsers = slices.DeleteFunc(u.browsers, func(x *browser) bool { return x == b })
		u.revokeAll(ctx, "password change", res.end)
		u.revoke(ctx, old, "password change (the changing session's old id)", res.end)
		u.browsers = append(u.browsers, b)
	case res.err != nil || res.code == http.StatusServiceUnavailable:
		u.alt = next // changed or not: unknown
		u.dropAll()
	default:
		u.r.violation(u.s.name, "a password change with the right password refused", res.String())
		u.dropAll()
	}
}

// adminDo sends an administrator's request, signing the administrator in
// when needed.
func (u *simUser) adminDo(ctx context.Context, kind, method, path, body string) result {
	for try := 0; ; try++ {
		if u.admin == nil {
			res := u.send(ctx, u.pick(), "signin", http.MethodPost, "/api/auth/signin",
				fmt.Sprintf(`{"email":%q,"password":%q}`, adminEmail, adminPass), nil, u.adminIP)
			if !res.ok() {
				return res
			}
			b := &browser{cookies: map[string]string{}}
			b.apply(res)
			u.admin = b.cookies
		}
		res := u.send(ctx, u.pick(), kind, method, path, body, u.admin, u.adminIP)
		if reauth(res) {
			u.r.checked("reauth-required")
		}
		if (res.err == nil && res.code == http.StatusUnauthorized || reauth(res)) && try == 0 {
			u.admin = nil // jwt: its access token expired; or signed in longer than -fresh-age ago
			continue
		}
		return res
	}
}

// roleChange moves the user between the roles user and admin: every
// session of the user ends.
func (u *simUser) roleChange(ctx context.Context) {
	next := "admin"
	if u.role == "admin" {
		next = "user"
	}
	res := u.adminDo(ctx, "role", http.MethodPatch, "/api/admin/users/"+u.id, fmt.Sprintf(`{"role":%q}`, next))
	switch {
	case res.ok() && u.role != "":
		u.role = next
		u.revokeAll(ctx, "role change", res.end)
	case res.ok():
		u.role = next
		u.dropAll()
	case res.err != nil || res.code == http.StatusServiceUnavailable:
		u.role = ""
		u.dropAll()
	default:
		u.r.violation(u.s.name, "a role change refused", res.String())
		u.role = ""
		u.dropAll()
	}
}

// disable disables the account (every session ends, the right password
// gets 403); the next step enables it again.
func (u *simUser) disable(ctx context.Context) {
	res := u.adminDo(ctx, "disable", http.MethodPatch, "/api/admin/users/"+u.id, `{"disabled":true}`)
	switch {
	case res.ok():
		u.disabled = true
		u.revokeAll(ctx, "account disabled", res.end)
		in := u.pick()
		got := u.send(ctx, in, "signin", http.MethodPost, "/api/auth/signin",
			fmt.Sprintf(`{"email":%q,"password":%q}`, u.email, u.password), nil, u.newIP())
		if got.ok() {
			u.r.violation(u.s.name, "a disabled account signed in", got.String())
			u.uncertain++
		} else if got.err == nil && got.code != http.StatusForbidden && got.code != http.StatusServiceUnavailable &&
			!(got.code == http.StatusUnauthorized && u.alt != "") {
			u.r.violation(u.s.name, "a disabled account's sign-in not answered 403", got.String())
		}
	case res.err != nil || res.code == http.StatusServiceUnavailable:
		u.disabled = true // maybe: enable it to be sure
		u.dropAll()
	default:
		u.r.violation(u.s.name, "disabling an account refused", res.String())
	}
}

// enable enables the account again.
func (u *simUser) enable(ctx context.Context) {
	res := u.adminDo(ctx, "disable", http.MethodPatch, "/api/admin/users/"+u.id, `{"disabled":false}`)
	if res.ok() {
		u.disabled = false
	} else if res.err == nil && res.code != http.StatusServiceUnavailable {
		u.r.violation(u.s.name, "enabling an account refused", res.String())
	}
}

// openEvents opens an event stream for a browser without one.
func (u *simUser) openEvents(ctx context.Context) {
	b := u.any()
	if b.stream != nil {
		u.statusCheck(ctx)
		return
	}
	if u.expired(b) {
		u.refreshBrowser(ctx, b, "refresh")
		return
	}
	st, res := openStream(ctx, u.r, u.pick(), b.cookies, b.ip)
	if st != nil {
		b.stream = st
		return
	}
	if res.err == nil && res.code == http.StatusUnauthorized {
		u.lost(ctx, b, res)
	}
}

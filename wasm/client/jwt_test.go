package client_test

import (
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/policy/policytest"
	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

// The jwt strategy's side of the module: renewing the access token in time,
// one tab at a time, and never signing a tab out because of a race. The
// server is a fake that keeps the browser context's cookie jar (the refresh
// token and the access token's expiry) and redeems refresh tokens as the
// real one does, so a test sees any refresh token redeemed twice.

const (
	accessLife = 5 * time.Second
	refreshURL = "/api/auth/refresh"
	idleLife   = 30 * time.Minute
	grace      = 5 * time.Second
)

func jwtConfig(accessMaxAge int) string {
	return mustJSON(wire.Config{
		PublicPaths: strings.Split(policytest.DefaultPublic, ","),
		AdminPaths:  strings.Split(policytest.DefaultAdmin, ","),
		SignInPath:  "/",
		MaxAge:      int(idleLife / time.Second),
		Strategy:    "jwt", RefreshPath: refreshURL, AccessMaxAge: accessMaxAge,
	})
}

// fakeServer is the jwt strategy's server for the tabs of one browser
// context, with that context's cookie jar.
type fakeServer struct {
	t     *testing.T
	clock *fakeClock
	life  time.Duration

	mu     sync.Mutex
	live   bool      // the session exists on the server
	token  int       // the refresh token in the jar
	access time.Time // when the access token in the jar expires
	used   map[int]time.Time
	// redeemed lists the refresh tokens redeemed, in order.
	redeemed []int
	reuses   int // redeems after the grace window: the session ended
	posts    int // refresh requests answered
	inFlight int
	// maxInFlight is the most refresh requests under way at once.
	maxInFlight int
	status401   int // status checks answered {"status":401}
	// gate, when set, holds each refresh request until it can receive;
	// arrived, when set, is told each refresh request's token.
	gate    chan struct{}
	arrived chan int
	// fail answers refresh requests with this status (e.g. 503).
	fail int
	// denyStatus answers every status check 401.
	denyStatus bool
	// capAccess, when set, caps the access expiry (the absolute cap).
	capAccess time.Time
}

func newFakeServer(t *testing.T, clock *fakeClock) *fakeServer {
	return &fakeServer{t: t, clock: clock, life: accessLife, used: map[int]time.Time{}}
}

// signIn gives the jar a session: refresh token 1 and a fresh access token.
func (s *fakeServer) signIn() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live, s.token = true, 1
	s.access = s.accessFrom(s.clock.Now())
}

func (s *fakeServer) accessFrom(now time.Time) time.Time {
	t := now.Add(s.life).Truncate(time.Second)
	if !s.capAccess.IsZero() && t.After(s.capAccess) {
		t = s.capAccess
	}
	return t
}

func (s *fakeServer) sessionAt(now time.Time) *wire.Session {
	return &wire.Session{User: userSession.User, Expires: wireTime(now.Add(idleLife).Truncate(time.Second))}
}

func (s *fakeServer) accessExpires() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access
}

// expireAccess makes the access token in the jar expire now, unknown to the
// tabs (a clock skew, a key rotation).
func (s *fakeServer) expireAccess() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = s.clock.Now()
}

// end ends the session on the server (signed out elsewhere).
func (s *fakeServer) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live = false
}

func (s *fakeServer) set(f func(s *fakeServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *fakeServer) get(f func(s *fakeServer) int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f(s)
}

func (s *fakeServer) install(b *fakeBrowser) {
	b.handle(refreshURL, s.refresh)
	b.handle(wire.PathStatus, s.status)
	b.handle(wire.PathSession, s.session)
}

func (s *fakeServer) refresh(req client.Request) (*client.Response, error) {
	assert.Equal(s.t, "POST", req.Method)
	assert.Nil(s.t, req.Body)
	s.mu.Lock()
	tok := s.token // the cookie the browser sends
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	gate, arrived := s.gate, s.arrived
	s.mu.Unlock()
	if arrived != nil {
		arrived <- tok
	}
	if gate != nil {
		<-gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	s.posts++
	now := s.clock.Now()
	if s.fail != 0 {
		return answer(s.fail, `{"error":"session store unavailable"}`)(req)
	}
	if !s.live {
		return answer(401, `{"error":"no valid refresh token; sign in again"}`)(req)
	}
	if at, used := s.used[tok]; used && now.Sub(at) > grace {
		s.reuses++
		s.live = false
		return answer(401, `{"error":"refresh token reused; the session has been ended"}`)(req)
	} else if !used {
		s.used[tok] = now
	}
	s.redeemed = append(s.redeemed, tok)
	s.token = tok + 1
	s.access = s.accessFrom(now)
	return answer(200, `{"session":`+mustJSON(s.sessionAt(now))+`}`,
		wire.AccessExpiresHeader, s.access.Format(wire.TimeFormat))(req)
}

func (s *fakeServer) status(req client.Request) (*client.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if !s.live || !now.Before(s.access) || s.denyStatus {
		s.status401++
		return signedOut(req)
	}
	return answer(200, `{"status":200}`, wire.ExpiresHeader, timeOf(s.sessionAt(now).Expires).Format(wire.TimeFormat),
		wire.AccessExpiresHeader, s.access.Format(wire.TimeFormat))(req)
}

func (s *fakeServer) session(req client.Request) (*client.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if !s.live || !now.Before(s.access) {
		return answer(200, `null`)(req)
	}
	return answer(200, mustJSON(s.sessionAt(now)), wire.AccessExpiresHeader, s.access.Format(wire.TimeFormat))(req)
}

// jwtTab boots a tab of ctx on srv at url: signed in when the server's
// session is live (embedded as the server does), anonymous otherwise.
func jwtTab(t *testing.T, ctx *fakeContext, clock *fakeClock, srv *fakeServer, url string, opts ...option) *harness {
	t.Helper()
	all := []option{at(url), inContext(ctx), onClock(clock), withConfig(jwtConfig(int(srv.life / time.Second)))}
	if srv.get(func(s *fakeServer) int { return b2i(s.live) }) == 1 {
		all = append(all, as(srv.sessionAt(clock.Now())), accessUntil(srv.accessExpires()))
	}
	h, _ := newPage(t, append(all, opts...)...)
	srv.install(h.b)
	h.boot()
	return h
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// eventually waits until cond holds: for the Client's goroutines, never for
// the clock, which moves only when a test advances it. cond must say that
// what the test goes on from is over, not that it began: the Client often
// shows a step before it finishes (a new expiry before the broadcast and the
// lock's release, rows before their fields), and natively, unlike in a
// browser's single thread, a test can look in between (see renewedTo,
// filled, fakeStream.send). The deadline is far above the longest wait seen
// under -race on a loaded 2-core machine (under 1 s): a timeout means the
// awaited thing never happens.
func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

func posts(srv *fakeServer) int { return srv.get(func(s *fakeServer) int { return s.posts }) }

// renewedTo waits until the tab knows the access expiry want and its own
// renewal, if any, is over. A renewing tab applies the new expiry before it
// releases the refresh lock and lets go of the renewal; a test that moved
// the fake clock in between would find the renewal still under way (a
// timer or an input that comes due then joins it instead of renewing) or
// the lock still held (the tab's next renewal would count as one that
// waited for another tab and ask the server first).
func renewedTo(t *testing.T, h *harness, want time.Time) {
	t.Helper()
	eventually(t, func() bool { return h.c.AccessExpires().Equal(clockTime(want)) && !h.c.Renewing() },
		"the tab knows the access token of "+want.Format(time.TimeOnly)+" and its renewal is over")
}

// posted reports whether the tab broadcast m.
func (b *fakeBrowser) posted(m client.Message) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, got := range b.messages {
		if got.stream == "" && reflect.DeepEqual(got.Message, m) {
			return true
		}
	}
	return false
}

// paths returns the URLs the tab requested, in order.
func (b *fakeBrowser) paths() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, r := range b.requests {
		out = append(out, r.URL)
	}
	return out
}

func newJWT(t *testing.T) (*fakeContext, *fakeClock, *fakeServer) {
	ctx, clock := newFakeContext(t), &fakeClock{now: t0}
	srv := newFakeServer(t, clock)
	srv.signIn()
	return ctx, clock, srv
}

func TestJWTRenewsBeforeExpiryWhileActive(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	h := jwtTab(t, ctx, clock, srv, "/dashboard")
	require.Equal(t, clockTime(t0.Add(5*time.Second)), h.c.AccessExpires(), "read from data-access-expires")
	assert.Empty(t, h.b.requests, "no request at boot")

	clock.Advance(3900 * time.Millisecond)
	assert.Zero(t, posts(srv), "not before the margin")
	clock.Advance(100 * time.Millisecond) // 1 s (the margin) before expiry
	renewedTo(t, h, t0.Add(9*time.Second))
	assert.Equal(t, 1, posts(srv))
	assert.Equal(t, srv.sessionAt(t0.Add(4*time.Second)), h.c.Session(), "the renewal moves the idle expiry")
	// The tab learns the new expiry before it tells the others: wait for the
	// message, not just the state.
	told := client.Message{Session: h.c.Session(), AccessExpires: clockTime(t0.Add(9 * time.Second))}
	eventually(t, func() bool { return h.b.posted(told) }, "other tabs are told")

	h.c.Activity() // at t0+4s
	clock.Advance(4 * time.Second)
	renewedTo(t, h, t0.Add(13*time.Second))
	assert.Equal(t, 2, posts(srv))
	assert.Equal(t, []int{1, 2}, srv.redeemed)
	assert.Equal(t, "/dashboard", h.b.url())
}

func TestJWTRenewalMargin(t *testing.T) {
	tests := []struct {
		life int // seconds
		at   time.Duration
	}{
		{1, 500 * time.Millisecond}, // half the lifetime
		{2, 1 * time.Second},        // the 1 s floor
		{5, 4 * time.Second},
		{300, 240 * time.Second}, // a fifth
	}
	for _, tt := range tests {
		t.Run(time.Duration(tt.life*int(time.Second)).String(), func(t *testing.T) {
			ctx, clock, srv := newJWT(t)
			srv.life = time.Duration(tt.life) * time.Second
			srv.signIn()
			h := jwtTab(t, ctx, clock, srv, "/dashboard")
			h.c.Activity()
			clock.Advance(tt.at - time.Millisecond)
			assert.Zero(t, posts(srv))
			clock.Advance(time.Millisecond)
			eventually(t, func() bool { return posts(srv) == 1 }, "renewed")
		})
	}
}

func TestJWTIdleTabDoesNotRenew(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	h := jwtTab(t, ctx, clock, srv, "/dashboard")
	clock.Advance(4 * time.Second) // active: the page loaded 4 s ago
	renewedTo(t, h, t0.Add(9*time.Second))

	clock.Advance(16 * time.Second) // no input for 20 s: idle
	assert.Equal(t, 1, posts(srv), "an idle tab lets its access token expire")
	assert.NotNil(t, h.c.Session(), "still signed in: the refresh token lives on")
	assert.Equal(t, "/dashboard", h.b.url())
	assert.Zero(t, clock.pending()-1, "only the expiry countdown is pending")

	h.c.Activity() // back, with an expired access token
	renewedTo(t, h, t0.Add(25*time.Second))
	assert.Equal(t, 2, posts(srv))
	assert.Equal(t, []int{1, 2}, srv.redeemed)
	assert.Zero(t, srv.get(func(s *fakeServer) int { return s.reuses }))
}

func TestJWTReturnFromIdleRenewsBeforeStatusCheck(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	h := jwtTab(t, ctx, clock, srv, "/public")
	clock.Advance(4 * time.Second)
	renewedTo(t, h, t0.Add(9*time.Second))
	clock.Advance(16 * time.Second)
	before := len(h.b.paths())

	assert.True(t, h.wait(h.c.Goto("/dashboard", false)), "the navigation goes through")
	assert.Equal(t, []string{refreshURL, wire.PathStatus}, h.b.paths()[before:], "renewed before the status check")
	assert.Zero(t, srv.get(func(s *fakeServer) int { return s.status401 }), "the check never saw an expired token")
	assert.Equal(t, "/dashboard", h.b.url())
	assert.Equal(t, clockTime(t0.Add(25*time.Second)), h.c.AccessExpires())
}

func TestJWTStatus401RenewsAndChecksAgain(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	h := jwtTab(t, ctx, clock, srv, "/public")
	clock.Advance(time.Second)
	srv.expireAccess() // the module believes its token has 3 s left

	assert.True(t, h.wait(h.c.Goto("/dashboard", false)))
	assert.Equal(t, []string{wire.PathStatus, refreshURL, wire.PathStatus}, h.b.paths())
	assert.Equal(t, "/dashboard", h.b.url())
	assert.NotNil(t, h.c.Session())
	assert.Empty(t, h.b.blocked())
	assert.Equal(t, clockTime(t0.Add(6*time.Second)), h.c.AccessExpires())
}

func TestJWTStatus401AfterRenewalSignsOut(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	h := jwtTab(t, ctx, clock, srv, "/public")
	srv.set(func(s *fakeServer) { s.denyStatus = true })

	assert.False(t, h.wait(h.c.Goto("/dashboard", false)))
	assert.Equal(t, []string{wire.PathStatus, refreshURL, wire.PathStatus}, h.b.paths(), "one renewal, one more check")
	assert.Nil(t, h.c.Session())
	assert.Equal(t, []client.Blocked{{To: "/dashboard", Reason: client.ReasonUnauthenticated}}, h.b.blocked())
	assert.Equal(t, "/?callbackUrl=%2Fdashboard", h.b.url())
}

func TestJWTRenewalRefusedSignsOut(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	h := jwtTab(t, ctx, clock, srv, "/dashboard")
	_, hinted := h.b.GetItem(client.HintKey)
	require.False(t, hinted, "booting signed in writes no hint")
	h.c.Activity()
	clock.Advance(time.Second)
	_, hinted = h.b.GetItem(client.HintKey)
	require.False(t, hinted)
	srv.end() // signed out everywhere, say

	clock.Advance(3 * time.Second)
	eventually(t, func() bool { return h.b.url() == "/?callbackUrl=%2Fdashboard" }, "the protected view goes to sign-in")
	assert.Nil(t, h.c.Session())
	assert.Equal(t, []*wire.Session{nil}, h.b.broadcasts, "other tabs are told")
	assert.Equal(t, []any{(*wire.Session)(nil)}, h.b.eventsNamed(client.EventChange))
	assert.Equal(t, 1, posts(srv))
	assert.Zero(t, clock.pending(), "nothing left to follow")
}

func TestJWTRenewalRefusedDuringNavigation(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	h := jwtTab(t, ctx, clock, srv, "/public")
	srv.expireAccess()
	srv.end()

	assert.False(t, h.wait(h.c.Goto("/dashboard", false)))
	assert.Equal(t, []string{wire.PathStatus, refreshURL}, h.b.paths())
	assert.Equal(t, []client.Blocked{{To: "/dashboard", Reason: client.ReasonUnauthenticated}}, h.b.blocked())
	assert.Equal(t, "/?callbackUrl=%2Fdashboard", h.b.url())
	assert.Nil(t, h.c.Session())
}

func TestJWTRenewalErrorKeepsSessionAndRetries(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	h := jwtTab(t, ctx, clock, srv, "/dashboard")
	srv.set(func(s *fakeServer) { s.fail = 503 })
	clock.Advance(4 * time.Second)
	eventually(t, func() bool { return posts(srv) == 1 }, "tried")
	eventually(t, func() bool { return clock.pending() == 2 }, "a retry is scheduled")
	assert.NotNil(t, h.c.Session(), "an error signs nobody out")
	assert.Equal(t, clockTime(t0.Add(5*time.Second)), h.c.AccessExpires())

	h.c.Activity()
	clock.Advance(500 * time.Millisecond)
	h.c.Activity()
	assert.Equal(t, 1, posts(srv), "no retry at every input")

	srv.set(func(s *fakeServer) { s.fail = 0 })
	clock.Advance(500 * time.Millisecond) // the retry, a second later
	renewedTo(t, h, t0.Add(10*time.Second))
	assert.Equal(t, 2, posts(srv))
	assert.Equal(t, "/dashboard", h.b.url())
}

func TestJWTAbsoluteCapDoesNotLoop(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	srv.set(func(s *fakeServer) { s.capAccess = t0.Add(5 * time.Second) })
	h := jwtTab(t, ctx, clock, srv, "/dashboard")
	clock.Advance(4 * time.Second)
	eventually(t, func() bool { return posts(srv) == 1 }, "renewed once")
	for range 5 {
		h.c.Activity()
		clock.Advance(100 * time.Millisecond)
	}
	assert.Equal(t, 1, posts(srv), "a renewal that cannot move the expiry is not repeated")
}

func TestJWTRefreshAPIRenews(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	h := jwtTab(t, ctx, clock, srv, "/dashboard")
	clock.Advance(time.Second)
	s, err := h.c.Refresh()
	require.NoError(t, err)
	assert.Equal(t, srv.sessionAt(t0.Add(time.Second)), s)
	assert.Equal(t, []string{refreshURL}, h.b.paths(), "refresh() renews under jwt")
	assert.Equal(t, clockTime(t0.Add(6*time.Second)), h.c.AccessExpires())
}

// twoTabs boots two signed-in tabs of one browser context at /dashboard.
func twoTabs(t *testing.T, ctx *fakeContext, clock *fakeClock, srv *fakeServer) (*harness, *harness) {
	return jwtTab(t, ctx, clock, srv, "/dashboard"), jwtTab(t, ctx, clock, srv, "/dashboard")
}

// refreshBoth calls Refresh in both tabs at once and waits for both.
func refreshBoth(t *testing.T, a, b *harness) {
	t.Helper()
	var wg sync.WaitGroup
	for _, h := range []*harness{a, b} {
		wg.Go(func() {
			_, err := h.c.Refresh()
			assert.NoError(t, err)
		})
	}
	wg.Wait()
}

func TestJWTLockSerialisesRenewals(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	a, b := twoTabs(t, ctx, clock, srv)
	clock.Advance(2 * time.Second)
	gate, arrived := make(chan struct{}), make(chan int, 4)
	srv.set(func(s *fakeServer) { s.gate, s.arrived = gate, arrived })

	done := make(chan struct{})
	go func() { refreshBoth(t, a, b); close(done) }()
	assert.Equal(t, 1, <-arrived, "the first renewal redeems token 1")
	eventually(t, func() bool { return ctx.waiters() == 1 }, "the other tab waits for the lock")
	assert.Equal(t, 1, len(a.b.paths())+len(b.b.paths()), "one request sent")
	close(gate)
	<-done

	assert.Equal(t, 1, srv.get(func(s *fakeServer) int { return s.maxInFlight }), "never two renewals at once")
	assert.Equal(t, 1, ctx.maxHolders)
	assert.Equal(t, 1, posts(srv), "the second tab adopted the first one's renewal")
	assert.Equal(t, []int{1}, srv.redeemed)
	assert.Equal(t, clockTime(t0.Add(7*time.Second)), a.c.AccessExpires())
	assert.Equal(t, clockTime(t0.Add(7*time.Second)), b.c.AccessExpires())
	assert.Equal(t, a.c.Session(), b.c.Session())
}

func TestJWTSecondTabAdoptsTheFirstsRenewal(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	a, b := twoTabs(t, ctx, clock, srv)
	clock.Advance(4 * time.Second) // both tabs' timers are due
	renewedTo(t, a, t0.Add(9*time.Second))
	renewedTo(t, b, t0.Add(9*time.Second))
	assert.Equal(t, 1, posts(srv))
	assert.Equal(t, 1, len(a.b.paths())+len(b.b.paths()), "one tab asked, the other adopted")
	assert.Equal(t, a.c.Session(), b.c.Session())

	// The next round: the adopting tab's timer follows the new token.
	a.c.Activity()
	b.c.Activity()
	clock.Advance(4 * time.Second)
	renewedTo(t, a, t0.Add(13*time.Second))
	renewedTo(t, b, t0.Add(13*time.Second))
	assert.Equal(t, 2, posts(srv))
	assert.Equal(t, []int{1, 2}, srv.redeemed)
}

func TestJWTWaitingTabAsksTheServerWhenTheNewsIsLate(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	a, b := twoTabs(t, ctx, clock, srv)
	clock.Advance(2 * time.Second)
	ctx.hold() // the first renewal's news arrives after the lock passed on
	gate, arrived := make(chan struct{}), make(chan int, 4)
	srv.set(func(s *fakeServer) { s.gate, s.arrived = gate, arrived })
	done := make(chan struct{})
	go func() { refreshBoth(t, a, b); close(done) }()
	<-arrived
	eventually(t, func() bool { return ctx.waiters() == 1 }, "the other tab waits for the lock")
	close(gate)
	<-done

	assert.Equal(t, 1, posts(srv), "the waiting tab found the new token on the server")
	assert.Equal(t, []int{1}, srv.redeemed)
	waiter := b
	if a.b.paths()[0] == wire.PathStatus {
		waiter = a
	}
	assert.Equal(t, []string{wire.PathStatus}, waiter.b.paths(), "a status check, no renewal")
	assert.Equal(t, clockTime(t0.Add(7*time.Second)), waiter.c.AccessExpires())
	ctx.release()
	ctx.settle()
	assert.Equal(t, a.c.AccessExpires(), b.c.AccessExpires())
}

func TestJWTLateNewsWithoutWaitingRenewsTheNewToken(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	a, b := twoTabs(t, ctx, clock, srv)
	clock.Advance(2 * time.Second)
	ctx.hold()
	_, err := a.c.Refresh()
	require.NoError(t, err)
	_, err = b.c.Refresh() // the lock is free and the news not there yet
	require.NoError(t, err)
	assert.Equal(t, []string{refreshURL}, b.b.paths(), "nothing told it of the renewal")
	assert.Equal(t, []int{1, 2}, srv.redeemed, "it redeemed the new refresh token: none twice")
	assert.Zero(t, srv.get(func(s *fakeServer) int { return s.reuses }))
	ctx.release()
	ctx.settle()
	assert.NotNil(t, a.c.Session())
	assert.NotNil(t, b.c.Session())
	assert.Equal(t, a.c.AccessExpires(), b.c.AccessExpires())
}

func TestJWTRacingRenewalsWithoutLockStaySignedIn(t *testing.T) {
	// Neither navigator.locks nor a channel: renewals may overlap, and the
	// server's grace window gives both the same new token.
	ctx, clock, srv := newJWT(t)
	ctx.noLocks, ctx.noChannel = true, true
	a, b := twoTabs(t, ctx, clock, srv)
	clock.Advance(2 * time.Second)
	gate, arrived := make(chan struct{}), make(chan int, 4)
	srv.set(func(s *fakeServer) { s.gate, s.arrived = gate, arrived })
	done := make(chan struct{})
	go func() { refreshBoth(t, a, b); close(done) }()
	assert.Equal(t, 1, <-arrived)
	assert.Equal(t, 1, <-arrived, "both sent the same token")
	close(gate)
	<-done
	assert.Equal(t, 2, srv.get(func(s *fakeServer) int { return s.maxInFlight }), "the control: without a lock they overlap")
	assert.NotNil(t, a.c.Session())
	assert.NotNil(t, b.c.Session())
	assert.Zero(t, srv.get(func(s *fakeServer) int { return s.reuses }))
}

func TestJWTFallbackLeaderWithoutLocks(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	ctx.noLocks = true
	a, b := twoTabs(t, ctx, clock, srv)
	clock.Advance(2 * time.Second)

	done := make(chan struct{})
	go func() { refreshBoth(t, a, b); close(done) }()
	eventually(t, func() bool { return len(a.b.lockMessages()) > 0 && len(b.b.lockMessages()) > 0 }, "both claimed")
	ctx.settle() // each heard the other's claim (and the smaller one's repeat)
	assert.Zero(t, posts(srv), "nobody renews during the claim window")
	clock.Advance(150 * time.Millisecond)
	eventually(t, func() bool { return posts(srv) == 1 }, "the smaller id renewed")
	winner, loser := a, b
	if len(b.b.paths()) == 1 {
		winner, loser = b, a
	}
	eventually(t, func() bool { return len(loser.b.lockMessages()) == 2 }, "the other claimed again after the release")
	ctx.settle()
	clock.Advance(150 * time.Millisecond)
	<-done

	assert.Equal(t, []string{"claim", "claim", "release"}, loser.b.lockMessages())
	won := winner.b.lockMessages()
	assert.Equal(t, "release", won[len(won)-1])
	assert.NotContains(t, won, "held", "the winner never held while the other claimed")
	assert.Equal(t, 1, posts(srv), "the second holder adopted the renewal")
	assert.Equal(t, 1, len(loser.b.paths())+len(winner.b.paths()))
	assert.Equal(t, 1, srv.get(func(s *fakeServer) int { return s.maxInFlight }))
	assert.Equal(t, clockTime(t0.Add(7*time.Second)), loser.c.AccessExpires())
}

func TestJWTFallbackHolderAnswersClaims(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	ctx.noLocks = true
	a, b := twoTabs(t, ctx, clock, srv)
	clock.Advance(2 * time.Second)
	gate, arrived := make(chan struct{}), make(chan int, 4)
	srv.set(func(s *fakeServer) { s.gate, s.arrived = gate, arrived })

	aDone := make(chan struct{})
	go func() { _, err := a.c.Refresh(); assert.NoError(t, err); close(aDone) }()
	eventually(t, func() bool { return len(a.b.lockMessages()) == 1 }, "a claimed")
	ctx.settle()
	clock.Advance(150 * time.Millisecond)
	<-arrived // a holds the lock and renews

	bDone := make(chan struct{})
	go func() { _, err := b.c.Refresh(); assert.NoError(t, err); close(bDone) }()
	eventually(t, func() bool { return len(a.b.lockMessages()) == 2 }, "a answered b's claim")
	ctx.settle()
	assert.Equal(t, []string{"claim", "held"}, a.b.lockMessages())
	clock.Advance(150 * time.Millisecond) // b's window passes: b lost, so it waits
	assert.Zero(t, len(b.b.paths()))

	close(gate)
	<-aDone
	eventually(t, func() bool { return len(b.b.lockMessages()) == 2 }, "b claimed again after a's release")
	ctx.settle()
	clock.Advance(150 * time.Millisecond)
	<-bDone
	assert.Equal(t, 1, posts(srv))
	assert.Empty(t, b.b.paths(), "b adopted a's renewal")
	assert.Equal(t, clockTime(t0.Add(7*time.Second)), b.c.AccessExpires())
}

func TestJWTFallbackGivesUpOnVanishedHolder(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	ctx.noLocks = true
	h := jwtTab(t, ctx, clock, srv, "/dashboard")
	h.c.HandleBroadcast(mustValue(`{"lock":"held","id":"ffffffffffffffff"}`)) // then the tab closed
	timers := clock.pending()
	done := make(chan struct{})
	go func() { _, err := h.c.Refresh(); assert.NoError(t, err); close(done) }()
	eventually(t, func() bool { return clock.pending() == timers+1 }, "waiting for the holder")
	clock.Advance(19 * time.Second)
	assert.Empty(t, h.b.lockMessages(), "waits for the holder")
	clock.Advance(time.Second)
	eventually(t, func() bool { return len(h.b.lockMessages()) == 1 }, "claims once the holder is given up on")
	clock.Advance(150 * time.Millisecond)
	<-done
	assert.Equal(t, 1, posts(srv))
	assert.Equal(t, []string{"claim", "release"}, h.b.lockMessages())
}

func TestJWTBootRenewal(t *testing.T) {
	hint := func(ctx *fakeContext, at time.Time) {
		ctx.storage[client.HintKey] = at.Format(wire.TimeFormat)
	}
	tests := []struct {
		name    string
		url     string
		prepare func(ctx *fakeContext, srv *fakeServer) // runs holding srv.mu
		opts    []option
		posts   int
		session bool
		want    string // where the page ends up
	}{
		{"hint, callback", "/?callbackUrl=%2Fdashboard", func(ctx *fakeContext, _ *fakeServer) { hint(ctx, t0.Add(time.Minute)) }, nil, 1, true, "/dashboard"},
		{"hint, callback with query", "/?x=1&callbackUrl=%2Fdashboard%3Ftab%3D2%26b%3D3", func(ctx *fakeContext, _ *fakeServer) { hint(ctx, t0.Add(time.Minute)) }, nil, 1, true, "/dashboard?tab=2&b=3"},
		{"hint, callback with a space", "/?callbackUrl=%2Fdashboard+x", func(ctx *fakeContext, _ *fakeServer) { hint(ctx, t0.Add(time.Minute)) }, nil, 1, true, "/?callbackUrl=%2Fdashboard+x"},
		{"hint, public page", "/public", func(ctx *fakeContext, _ *fakeServer) { hint(ctx, t0.Add(time.Minute)) }, nil, 1, true, "/public"},
		{"hint, unsafe callback", "/?callbackUrl=%2F%2Fevil.example", func(ctx *fakeContext, _ *fakeServer) { hint(ctx, t0.Add(time.Minute)) }, nil, 1, true, "/?callbackUrl=%2F%2Fevil.example"},
		{"hint, bad escape", "/?callbackUrl=%2Fdash%zz", func(ctx *fakeContext, _ *fakeServer) { hint(ctx, t0.Add(time.Minute)) }, nil, 1, true, "/?callbackUrl=%2Fdash%zz"},
		{"hint, refused", "/?callbackUrl=%2Fdashboard", func(ctx *fakeContext, srv *fakeServer) { hint(ctx, t0.Add(time.Minute)); srv.live = false }, nil, 1, false, "/?callbackUrl=%2Fdashboard"},
		{"hint, server error", "/?callbackUrl=%2Fdashboard", func(ctx *fakeContext, srv *fakeServer) { hint(ctx, t0.Add(time.Minute)); srv.fail = 503 }, nil, 1, false, "/?callbackUrl=%2Fdashboard"},
		{"hint, just followed", "/?callbackUrl=%2Fdashboard", func(ctx *fakeContext, _ *fakeServer) {
			hint(ctx, t0.Add(time.Minute))
			ctx.storage["sessionguard:boot-redirect"] = t0.Add(-2 * time.Second).Format(time.RFC3339Nano)
		}, nil, 1, true, "/?callbackUrl=%2Fdashboard"},
		{"hint, followed long ago", "/?callbackUrl=%2Fdashboard", func(ctx *fakeContext, _ *fakeServer) {
			hint(ctx, t0.Add(time.Minute))
			ctx.storage["sessionguard:boot-redirect"] = t0.Add(-time.Minute).Format(time.RFC3339Nano)
		}, nil, 1, true, "/dashboard"},
		{"expired hint", "/?callbackUrl=%2Fdashboard", func(ctx *fakeContext, _ *fakeServer) { hint(ctx, t0) }, nil, 0, false, "/?callbackUrl=%2Fdashboard"},
		{"no hint: an anonymous visitor", "/?callbackUrl=%2Fdashboard", nil, nil, 0, false, "/?callbackUrl=%2Fdashboard"},
		{"no storage, callback", "/?callbackUrl=%2Fdashboard", nil, []option{withoutStorage()}, 1, true, "/dashboard"},
		{"no storage, no callback", "/", nil, []option{withoutStorage()}, 0, false, "/"},
		{"no storage, callback elsewhere", "/public?callbackUrl=%2Fdashboard", nil, []option{withoutStorage()}, 0, false, "/public?callbackUrl=%2Fdashboard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, clock, srv := newJWT(t)
			srv.set(func(s *fakeServer) { s.access = t0.Add(-time.Second) }) // the page came without a session
			if tt.prepare != nil {
				srv.set(func(s *fakeServer) { tt.prepare(ctx, s) })
			}
			h, _ := newPage(t, append([]option{at(tt.url), inContext(ctx), onClock(clock), withConfig(jwtConfig(5))}, tt.opts...)...)
			srv.install(h.b)
			h.boot()
			eventually(t, func() bool { return h.b.url() == tt.want }, "the page is at "+tt.want)
			assert.Equal(t, tt.posts, posts(srv), "at most one renewal")
			assert.Equal(t, tt.session, h.c.Session() != nil)
			assert.Equal(t, []string{h.b.url()}, h.b.history(), "the sign-in page's entry is replaced")
			if tt.session {
				assert.Equal(t, clockTime(t0.Add(5*time.Second)), h.c.AccessExpires())
				assert.Equal(t, "Demo User", h.b.byID("name").Text())
			}
			if tt.posts == 1 && !tt.session && srv.get(func(s *fakeServer) int { return s.fail }) == 0 {
				_, hinted := h.b.GetItem(client.HintKey)
				assert.False(t, hinted, "a refused renewal clears the hint")
			}
		})
	}
}

func TestJWTHintFollowsTheSession(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	srv.end()
	h := jwtTab(t, ctx, clock, srv, "/")
	srv.signIn()
	h.b.handle(wire.PathSignIn, func(req client.Request) (*client.Response, error) {
		return answer(200, `{"session":`+mustJSON(srv.sessionAt(t0))+`,"redirectUrl":"/dashboard"}`,
			wire.AccessExpiresHeader, srv.accessExpires().Format(wire.TimeFormat))(req)
	})
	require.True(t, h.c.SignIn("user@example.com", "user-password", "/dashboard").OK)
	assert.Equal(t, clockTime(t0.Add(5*time.Second)), h.c.AccessExpires(), "from the sign-in's header")
	v, _ := h.b.GetItem(client.HintKey)
	assert.Equal(t, timeOf(srv.sessionAt(t0).Expires).Format(wire.TimeFormat), v)

	h.b.handle(wire.PathSignOut, answer(200, `{"redirectUrl":"/"}`))
	require.True(t, h.c.SignOut("/").OK)
	_, hinted := h.b.GetItem(client.HintKey)
	assert.False(t, hinted)
	assert.True(t, h.c.AccessExpires().IsZero())
}

func TestJWTSignInInAnotherTabCarriesTheAccessExpiry(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	srv.end()
	a := jwtTab(t, ctx, clock, srv, "/")
	b := jwtTab(t, ctx, clock, srv, "/public")
	srv.signIn()
	a.b.handle(wire.PathSignIn, func(req client.Request) (*client.Response, error) {
		return answer(200, `{"session":`+mustJSON(srv.sessionAt(t0))+`,"redirectUrl":"/dashboard"}`,
			wire.AccessExpiresHeader, srv.accessExpires().Format(wire.TimeFormat))(req)
	})
	require.True(t, a.c.SignIn("user@example.com", "user-password", "/dashboard").OK)
	renewedTo(t, b, t0.Add(5*time.Second))
	clock.Advance(4 * time.Second)
	renewedTo(t, a, t0.Add(9*time.Second))
	renewedTo(t, b, t0.Add(9*time.Second))
	assert.Equal(t, 1, posts(srv))
}

func TestDatabaseStrategyNeverRenews(t *testing.T) {
	h := start(t, as(userSession), at("/dashboard"))
	h.b.handle(wire.PathStatus, answer(200, `{"status":200}`, wire.ExpiresHeader, timeOf(userSession.Expires).Format(wire.TimeFormat),
		wire.AccessExpiresHeader, t0.Add(5*time.Second).Format(wire.TimeFormat)))
	h.b.handle(wire.PathSession, answer(200, mustJSON(userSession)))
	for range 10 {
		h.c.Activity()
		require.True(t, h.wait(h.c.Goto("/dashboard?x", false)))
		h.clock.Advance(time.Minute)
	}
	s, err := h.c.Refresh()
	require.NoError(t, err)
	assert.Equal(t, userSession, s)
	for _, p := range h.b.paths() {
		assert.NotEqual(t, refreshURL, p)
	}
	assert.Equal(t, wire.PathSession, h.b.lastRequest().URL, "refresh() reads the session")
	assert.True(t, h.c.AccessExpires().IsZero(), "the database strategy has no access token")
	assert.Empty(t, h.b.ctx.storage, "and no hint")
	for _, m := range h.b.messages {
		assert.True(t, m.AccessExpires.IsZero())
	}
}

func TestJWTFallbackRepeatsItsClaimToALaterClaimer(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	ctx.noLocks = true
	h := jwtTab(t, ctx, clock, srv, "/dashboard")
	done := make(chan struct{})
	go func() { _, err := h.c.Refresh(); assert.NoError(t, err); close(done) }()
	eventually(t, func() bool { return len(h.b.lockMessages()) == 1 }, "claimed")
	// Another tab, which missed that claim, claims with a larger id.
	h.c.HandleBroadcast(mustValue(`{"lock":"claim","id":"ffffffffffffffff"}`))
	assert.Equal(t, []string{"claim", "claim"}, h.b.lockMessages(), "told it again, so the other tab loses")
	// One with a smaller id wins instead.
	h.c.HandleBroadcast(mustValue(`{"lock":"claim","id":"0000000000000000"}`))
	clock.Advance(150 * time.Millisecond)
	assert.Zero(t, posts(srv), "lost: waits for the release")
	h.c.HandleBroadcast(mustValue(`{"lock":"release","id":"0000000000000000"}`))
	eventually(t, func() bool { return len(h.b.lockMessages()) == 3 }, "claims again")
	clock.Advance(150 * time.Millisecond)
	<-done
	assert.Equal(t, []string{"claim", "claim", "claim", "release"}, h.b.lockMessages())
	assert.Equal(t, 1, posts(srv))
}

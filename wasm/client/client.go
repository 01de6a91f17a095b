// Package client is the logic of sessionguard's browser module: it holds the
// session, guards navigations that stay in the page, renders the per-user
// elements (data-sg-*), follows the session's expiry and signs in and out
// (CONTRACT §4). It talks to the page only through the Browser interface, so
// it is tested natively with a fake browser and under Node, and the
// WebAssembly build (package wasm) wires it to syscall/js.
//
// The package imports no fmt, encoding/json, net/http or net/url: the size
// of the WebAssembly module is a feature.
package client

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/wire"
)

// Paths of the server's API (CONTRACT §3).
const (
	PathSession    = "/api/session"
	PathStatus     = "/api/get-session-status"
	PathConfig     = "/api/auth/config"
	PathSignIn     = "/api/auth/signin"
	PathSignOut    = "/api/auth/signout"
	apiPrefix      = "/api/"
	ElemSessionID  = "sg-session"
	ElemConfigID   = "sg-config"
	defaultTimeout = 15 * time.Second
)

// Client is the browser module's state and logic. Create it with New, then
// call Boot once. Its methods are safe for concurrent use. Methods that wait
// for the server (SignIn, SignOut, Refresh) block; the others return at once,
// handing their waiting to goroutines of their own.
type Client struct {
	b       Browser
	clock   Clock
	timeout time.Duration

	// effects serializes the changes that have effects in the page
	// (history, rendering, events), so they happen in the order decided.
	// It is held while calling page code, so nothing a page can call
	// synchronously takes it. Lock order: effects, then mu.
	effects sync.Mutex

	// mu guards the fields below. It is never held while calling page
	// code (Dispatch, element writes, subscribers).
	mu        sync.Mutex
	booted    bool
	pol       *policy.Policy
	signIn    string // the sign-in path
	session   *wire.Session
	sessGen   uint64 // counts changes of session
	url       string // target of the view shown (path, search, hash)
	index     int    // history index of the entry the browser is at
	viewIndex int    // history index of the entry whose view is shown
	navSeq    uint64 // id of the newest navigation
	flight    *flight
	// pendingSignIn is the sign-in URL to go to once the browser is back
	// at the view's entry after a refused back/forward move.
	pendingSignIn string
	subs          map[int]func(*wire.Session)
	nextSub       int
	tick          Timer
	tickGen       uint64
	// idGen counts changes of who is signed in (sign-in, sign-out), not
	// of expiry times.
	idGen uint64
	jwt   jwtState

	// live is the event stream; instant enables the known-state rule
	// (WithInstantGuard).
	live    liveState
	instant bool
	// devSeq numbers the device list reads (the newest one renders);
	// devPoll is the timer of the next one, devPolled when the last one
	// started.
	devSeq    uint64
	devPoll   Timer
	devPolled time.Time

	// chanLock is the refresh lock where the page has no navigator.locks;
	// it has locks of its own.
	chanLock chanLock
}

// New returns a Client for the page b. It does nothing until Boot.
func New(b Browser, opts ...Option) *Client {
	c := &Client{b: b, clock: realClock{}, timeout: defaultTimeout, subs: map[int]func(*wire.Session){}}
	c.chanLock = chanLock{c: c, id: formatTabID(rand.Uint64())}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Boot reads the configuration and the initial session from the tags the
// server embeds in the page (or, when they are missing, from the API), then
// renders the page and starts following the session's expiry. When the page
// shows a path that needs a session and there is none, it goes to the
// sign-in page. Under the jwt strategy, a page without a session whose
// access token may merely have expired first tries one renewal (see
// wantBootRenewal); when that brings the session back on the sign-in page,
// Boot follows its callbackUrl. Boot must be called once; it blocks while it
// asks the API.
func (c *Client) Boot() error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	pol, err := policyOf(cfg)
	if err != nil {
		return err
	}
	sess, access, err := c.loadSession()
	if err != nil {
		return err
	}
	signIn := cfg.SignInPath
	if !policy.IsSameOriginPath(signIn) {
		signIn = "/"
	}
	loc := c.b.Location()

	c.effects.Lock()
	defer c.effects.Unlock()
	c.mu.Lock()
	c.pol, c.signIn, c.url = pol, signIn, loc.Target()
	now := c.now()
	if sess != nil && !sess.Expires.After(now) {
		sess = nil
	}
	c.session = sess
	c.jwt.configure(cfg)
	c.jwt.setAccess(sess, access, true)
	c.jwt.lastActive = now // loading the page is activity
	idx, ok := c.b.HistoryIndex()
	c.index, c.viewIndex = idx, idx
	c.booted = true
	c.scheduleTickLocked()
	c.scheduleRenewalLocked()
	c.syncStreamLocked()
	jwt := c.jwt.on
	c.mu.Unlock()
	if !ok {
		c.b.ReplaceState(idx, loc.Origin+loc.Target())
	}
	if jwt && sess == nil && c.wantBootRenewal(loc) {
		// Renew outside c.effects: the renewal applies its answer.
		c.effects.Unlock()
		s, err := c.renew(time.Time{})
		c.effects.Lock()
		if cb := c.bootCallback(loc); err == nil && s != nil && cb != "" && c.followCallback() {
			c.render()
			c.navigate(navReplace, cb, -1, true) // finishes once Boot is done
			return nil
		}
	}
	c.render()
	c.leaveProtectedView(true)
	return nil
}

func (c *Client) loadConfig() (wire.Config, error) {
	if v, found := c.b.Embedded(ElemConfigID); found {
		if cfg, err := DecodeConfig(v); err == nil {
			return cfg, nil
		}
	}
	resp, err := c.fetch(Request{Method: "GET", URL: PathConfig})
	if err != nil {
		return wire.Config{}, err
	}
	if resp.Status != 200 {
		return wire.Config{}, wrap(ErrBadResponse, PathConfig+" answered "+itoa(resp.Status))
	}
	return DecodeConfig(resp.Body)
}

// loadSession returns the initial session and, under the jwt strategy, when
// its access token expires (zero when not told).
func (c *Client) loadSession() (*wire.Session, time.Time, error) {
	if v, found := c.b.Embedded(ElemSessionID); found {
		if s, err := DecodeSession(v); err == nil {
			if s == nil {
				return nil, time.Time{}, nil
			}
			return s, c.embeddedAccessExpires(), nil
		}
	}
	return c.fetchSession()
}

// fetchSession reads GET /api/session, and the access expiry its
// Sg-Access-Expires header tells (jwt strategy; zero when absent).
func (c *Client) fetchSession() (*wire.Session, time.Time, error) {
	resp, err := c.fetch(Request{Method: "GET", URL: PathSession})
	if err != nil {
		return nil, time.Time{}, err
	}
	if resp.Status != 200 {
		return nil, time.Time{}, wrap(ErrBadResponse, PathSession+" answered "+itoa(resp.Status))
	}
	s, err := DecodeSession(resp.Body)
	if err != nil || s == nil {
		return s, time.Time{}, err
	}
	return s, accessHeader(resp), nil
}

// fetch sends req with the Client's timeout. An answer whose body is not
// JSON is returned with an ErrBadResponse error; no answer at all is an
// ErrNetwork error and a nil Response.
func (c *Client) fetch(req Request) (*Response, error) {
	if req.Timeout == 0 {
		req.Timeout = c.timeout
	}
	resp, err := c.b.Fetch(req)
	if err != nil {
		return nil, wrap(ErrNetwork, err.Error())
	}
	if resp.Header == nil {
		resp.Header = map[string]string{}
	}
	if resp.BadBody {
		return resp, wrap(ErrBadResponse, req.URL+" answered "+itoa(resp.Status)+" without JSON")
	}
	return resp, nil
}

// Ready reports whether Boot has succeeded.
func (c *Client) Ready() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.booted
}

// Session returns the current session, or nil. The returned value is shared
// and must not be modified.
func (c *Client) Session() *wire.Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session
}

// IsPublic reports whether the server lets everybody see path (a query or
// fragment is ignored). It is false before Boot.
func (c *Client) IsPublic(path string) bool {
	c.mu.Lock()
	pol := c.pol
	c.mu.Unlock()
	return pol != nil && pol.IsPublic(pathOf(path))
}

// SignInPath returns the configured sign-in path.
func (c *Client) SignInPath() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.signIn
}

// OnChange calls fn with the new session (nil when signed out) after every
// change of the session, including a new expiry time. fn runs in one of the
// Client's goroutines and must not block on the Client. The returned
// function unsubscribes fn; it may be called more than once.
func (c *Client) OnChange(fn func(*wire.Session)) (unsubscribe func()) {
	c.mu.Lock()
	id := c.nextSub
	c.nextSub++
	c.subs[id] = fn
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		delete(c.subs, id)
		c.mu.Unlock()
	}
}

// setSession makes s the session and, when that is a change, renders the
// page, dispatches EventChange and calls the subscribers. exp, when not
// zero, is when the access token expires (jwt strategy). It reports whether
// the session changed. When broadcast is true a change of the session or of
// the access expiry is told to the module in the page's other tabs.
// c.effects must be held.
func (c *Client) setSession(s *wire.Session, exp time.Time, broadcast bool) bool {
	c.mu.Lock()
	if s != nil && !s.Expires.After(c.now()) {
		s = nil
	}
	changed := !sameSession(c.session, s)
	newUser := !sameUser(c.session, s)
	c.session = s
	if changed {
		c.sessGen++
	}
	if newUser {
		c.idGen++
	}
	accessChanged := c.jwt.setAccess(s, exp, newUser)
	c.scheduleTickLocked()
	c.scheduleRenewalLocked()
	c.syncStreamLocked()
	msg := Message{Session: s, AccessExpires: c.jwt.accessExp}
	jwt := c.jwt.on
	subs := make([]func(*wire.Session), 0, len(c.subs))
	for id := 0; id < c.nextSub; id++ {
		if fn, ok := c.subs[id]; ok {
			subs = append(subs, fn)
		}
	}
	c.mu.Unlock()
	if changed {
		c.render()
		c.b.Dispatch(EventChange, SessionJSON(s))
		for _, fn := range subs {
			fn(s)
		}
		if jwt {
			c.writeHint(s)
		}
		if newUser {
			go c.refreshLists()
		}
	}
	if bc, ok := c.b.(Broadcaster); ok && broadcast && (changed || accessChanged) {
		bc.Broadcast(msg.json())
	}
	return changed
}

func sameSession(a, b *wire.Session) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.User == b.User && a.Expires.Equal(b.Expires)
}

// sameUser reports whether a and b are sessions of the same user (or both
// none).
func sameUser(a, b *wire.Session) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.User.ID == b.User.ID
}

// HandleBroadcast takes a message from the module in another tab of the
// page (see Broadcaster): a session it announced, {"session": {…} | null}
// with "accessExpires" under the jwt strategy, or a message of the refresh
// lock, {"lock": op, "id": id}. Messages must be handled in the order they
// arrive, one at a time. It blocks while it renders.
func (c *Client) HandleBroadcast(msg Value) {
	if msg == nil {
		return
	}
	if op, ok := str(msg, "lock"); ok {
		id, _ := str(msg, "id")
		c.chanLock.handle(op, id)
		return
	}
	if !c.Ready() {
		return
	}
	s, err := DecodeSession(get(msg, "session"))
	if err != nil {
		return
	}
	var exp time.Time
	if v, ok := str(msg, "accessExpires"); ok {
		exp, _ = parseTime(v)
	}
	c.effects.Lock()
	defer c.effects.Unlock()
	if c.setSession(s, exp, false) {
		go c.refreshLists()
	}
	c.leaveProtectedView(false)
}

// Refresh reads the session from the server again (GET /api/session), as
// after the page comes back from the back/forward cache. Under the jwt
// strategy, with a session (or the hint of one), it renews the access token
// instead (POST refreshPath, under the refresh lock, adopting another tab's
// renewal that completes meanwhile). When the session is gone and the page
// shows a path that needs one, it goes to the sign-in page. On error the
// state is left as it was.
func (c *Client) Refresh() (*wire.Session, error) {
	if !c.Ready() {
		return nil, wrap(ErrBadResponse, "not booted")
	}
	c.mu.Lock()
	c.jwt.lastActive = c.now()
	jwt, signedIn, before := c.jwt.on, c.session != nil, c.jwt.accessExp
	c.mu.Unlock()
	if alive, _ := c.hintAlive(); jwt && (signedIn || alive) {
		if _, err := c.renew(before); err != nil {
			return c.Session(), err
		}
		c.effects.Lock()
		defer c.effects.Unlock()
		c.leaveProtectedView(false)
		return c.Session(), nil
	}
	s, exp, err := c.fetchSession()
	if err != nil {
		return c.Session(), err
	}
	c.effects.Lock()
	defer c.effects.Unlock()
	c.setSession(s, exp, true)
	c.leaveProtectedView(false)
	return c.Session(), nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// now returns the Clock's time.
func (c *Client) now() time.Time { return time.Unix(0, c.clock.UnixNano()).UTC() }

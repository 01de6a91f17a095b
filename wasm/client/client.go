// Package client is the logic of sessionguard's browser module: it holds the
// session, guards navigations that stay in the page, renders the per-user
// elements (data-sg-*), follows the session's expiry and signs in and out
// (docs/MODULE.md). It talks to the page only through the Browser interface, so
// it is tested natively with a fake browser and under Node, and the
// WebAssembly build (package wasm) wires it to syscall/js.
//
// The package imports no fmt, encoding/json, net/http or net/url: the size
// of the WebAssembly module is a feature. The small stand-ins it uses in
// their place are in wasm/internal/lite.
package client

import (
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"github.com/sessionguard/sessionguard/wire"
)

// The elements of the app shell that carry the session and the
// configuration, and how long a request may take.
const (
	ElemSessionID  = "sg-session"
	ElemConfigID   = "sg-config"
	defaultTimeout = 15 * lite.Second
)

// The headers the Client reads, by the lower-case names Response.Header
// uses.
const (
	headerExpires       = "sg-session-expires" // wire.ExpiresHeader
	headerAccessExpires = "sg-access-expires"  // wire.AccessExpiresHeader
	headerRetryAfter    = "retry-after"
)

// Client is the browser module's state and logic. Create it with New, then
// call Boot once. Its methods are safe for concurrent use. Methods that wait
// for the server (SignIn, SignOut, Refresh) block; the others return at once,
// handing their waiting to goroutines of their own.
type Client struct {
	b       Browser
	clock   Clock
	timeout lite.Duration

	// effects serializes the changes that have effects in the page
	// (history, rendering, events), so they happen in the order decided.
	// It is held while calling page code, so nothing a page can call
	// synchronously takes it. Lock order: effects, then mu.
	effects sync.Mutex

	// mu guards the fields below. It is never held while calling page
	// code (Dispatch, element writes, subscribers).
	mu      sync.Mutex
	booted  bool
	pol     *policy.Policy
	signIn  string       // the sign-in path
	state   sessionState // the session, its generations, the jwt tokens, subscribers
	nav     navState     // where the page is in the history (navigate.go)
	flight  *flight      // the status check under way (status.go)
	tick    Timer        // the countdown and expiry timer (expiry.go)
	tickGen uint64
	// live is the event stream; instant enables the known-state rule
	// (WithInstantGuard).
	live    liveState
	instant bool
	lists   listState // the device and account lists shown (devices.go)

	// chanLock is the refresh lock where the page has no navigator.locks
	// (lock.go); it has locks of its own.
	chanLock chanLock
}

// New returns a Client for the page b that tells the time with clock. It
// does nothing until Boot.
func New(b Browser, clock Clock, opts ...Option) *Client {
	c := &Client{b: b, clock: clock, timeout: defaultTimeout, state: newSessionState()}
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
	c.pol, c.signIn, c.nav.url = pol, signIn, loc.Target()
	now := c.now()
	if sess != nil && !expires(sess).After(now) {
		sess = nil
	}
	c.state.start(cfg, sess, access, now)
	idx, ok := c.b.HistoryIndex()
	c.nav.index, c.nav.viewIndex = idx, idx
	c.booted = true
	c.electLocked()
	c.scheduleTickLocked()
	c.scheduleRenewalLocked()
	c.syncStreamLocked()
	jwt := c.state.jwt.on
	c.mu.Unlock()
	if !ok {
		c.b.ReplaceState(idx, loc.Origin+loc.Target())
	}
	if jwt && sess == nil && c.wantBootRenewal(loc) {
		// Renew outside c.effects: the renewal applies its answer.
		c.effects.Unlock()
		s, err := c.renew(lite.Time{})
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
	resp, err := c.fetch(Request{Method: "GET", URL: wire.PathConfig})
	if err != nil {
		return wire.Config{}, err
	}
	if resp.Status != 200 {
		return wire.Config{}, lite.Wrap(ErrBadResponse, wire.PathConfig+" answered "+itoa(resp.Status))
	}
	return DecodeConfig(resp.Body)
}

// loadSession returns the initial session and, under the jwt strategy, when
// its access token expires (zero when not told).
func (c *Client) loadSession() (*wire.Session, lite.Time, error) {
	if v, found := c.b.Embedded(ElemSessionID); found {
		if s, err := DecodeSession(v); err == nil {
			if s == nil {
				return nil, lite.Time{}, nil
			}
			return s, c.embeddedAccessExpires(), nil
		}
	}
	return c.fetchSession()
}

// fetchSession reads GET /api/session, and the access expiry its
// Sg-Access-Expires header tells (jwt strategy; zero when absent).
func (c *Client) fetchSession() (*wire.Session, lite.Time, error) {
	resp, err := c.fetch(Request{Method: "GET", URL: wire.PathSession})
	if err != nil {
		return nil, lite.Time{}, err
	}
	if resp.Status != 200 {
		return nil, lite.Time{}, lite.Wrap(ErrBadResponse, wire.PathSession+" answered "+itoa(resp.Status))
	}
	s, err := DecodeSession(resp.Body)
	if err != nil || s == nil {
		return s, lite.Time{}, err
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
		return nil, lite.Wrap(ErrNetwork, err.Error())
	}
	if resp.Header == nil {
		resp.Header = map[string]string{}
	}
	if resp.BadBody {
		return resp, lite.Wrap(ErrBadResponse, req.URL+" answered "+itoa(resp.Status)+" without JSON")
	}
	if resp.Status == 403 {
		// A sensitive call of a session proved too long ago, or an aal2
		// one of a password-only session: the page can ask the user
		// (reauth) and try again.
		if code, _ := str(resp.Body, "code"); code == CodeReauthRequired || code == CodeAAL2Required {
			c.b.Dispatch(EventReauth, Reauth{Code: code, Path: req.URL}.json())
		}
	}
	return resp, nil
}

// Ready reports whether Boot has succeeded.
func (c *Client) Ready() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.booted
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

// HandleBroadcast takes a message from the module in another tab of the
// page (see Broadcaster): a session it announced, {"session": {…} | null}
// with "accessExpires" under the jwt strategy and "ended" when the event
// stream ended it, a message of the refresh lock, {"lock": op, "id": id},
// or one of the shared event stream, {"lock": "", "stream": op}. Messages
// must be handled in the order they arrive, one at a time. It blocks while
// it renders.
func (c *Client) HandleBroadcast(msg Value) {
	if msg == nil {
		return
	}
	op, stream := str(msg, "stream")
	if lock, ok := str(msg, "lock"); ok && !stream {
		id, _ := str(msg, "id")
		c.chanLock.handle(lock, id)
		return
	}
	if !c.Ready() {
		return
	}
	if stream {
		c.hearStream(op)
		return
	}
	s, err := DecodeSession(get(msg, "session"))
	if err != nil {
		return
	}
	var exp lite.Time
	if v, ok := str(msg, "accessExpires"); ok {
		exp, _ = lite.ParseTime(v)
	}
	ended, _ := str(msg, "ended")
	c.effects.Lock()
	defer c.effects.Unlock()
	if c.applySession(s, exp, false, ended) {
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
		return nil, lite.Wrap(ErrBadResponse, "not booted")
	}
	c.mu.Lock()
	c.state.jwt.lastActive = c.now()
	jwt, signedIn, before := c.state.jwt.on, c.state.session != nil, c.state.jwt.accessExp
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
func (c *Client) now() lite.Time { return lite.UnixMilli(c.clock.UnixNano() / 1e6) }

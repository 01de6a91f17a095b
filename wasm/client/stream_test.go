package client_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

// ---- a fake live event stream and list rendering ----------------------

// fakeLive is the server's event stream as a tab sees it: every
// connection the Client opens arrives on opens, answered with the next
// status of answers (200 when none is left; 0 is a network error).
type fakeLive struct {
	t     *testing.T
	opens chan *fakeStream

	mu      sync.Mutex
	answers []int
	hidden  bool
	count   int
	all     []*fakeStream // every connection opened
}

// open counts the connections opened and not closed.
func (l *fakeLive) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.all {
		if !s.isClosed() {
			n++
		}
	}
	return n
}

// closeTab closes the tab h, whose stream is l: the browser aborts its
// connections and releases its locks.
func closeTab(h *harness, l *fakeLive) {
	h.b.close()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.all {
		s.Close()
	}
}

func newFakeLive(t *testing.T) *fakeLive {
	return &fakeLive{t: t, opens: make(chan *fakeStream, 64)}
}

func withLive(l *fakeLive) option { return func(s *setup) { s.live = l } }

func instantGuard() option { return func(s *setup) { s.instant = true } }

// answer makes the next connections answer these statuses.
func (l *fakeLive) answer(statuses ...int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answers = append(l.answers, statuses...)
}

func (l *fakeLive) setHidden(h bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hidden = h
}

func (l *fakeLive) opened() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count
}

// next returns the next connection the Client opened.
func (l *fakeLive) next() *fakeStream {
	l.t.Helper()
	select {
	case s := <-l.opens:
		return s
	case <-time.After(10 * time.Second):
		l.t.Fatal("the Client opened no stream")
		return nil
	}
}

// none checks that no connection is waiting to be taken with next.
func (l *fakeLive) none(why string) {
	l.t.Helper()
	select {
	case <-l.opens:
		l.t.Fatal("a stream was opened: " + why)
	default:
	}
}

type fakeStream struct {
	status int
	pieces chan string
	closed chan struct{}
	once   sync.Once

	mu     sync.Mutex
	reads  int // Read calls begun
	taken  int // pieces Read returned
	takeBy int // the Read call that returned the last piece
}

func (s *fakeStream) Read() (string, error) {
	s.mu.Lock()
	s.reads++
	call := s.reads
	s.mu.Unlock()
	select {
	case p, ok := <-s.pieces:
		if !ok {
			return "", errors.New("end of stream")
		}
		s.mu.Lock()
		s.taken++
		s.takeBy = call
		s.mu.Unlock()
		return p, nil
	case <-s.closed:
		return "", errors.New("AbortError")
	}
}

func (s *fakeStream) Close() { s.once.Do(func() { close(s.closed) }) }

func (s *fakeStream) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// send sends a piece of the body and waits until the Client has handled
// it and reads again: a Read call later than the one that took the piece.
// (A Read call begun is not enough: the Client may have begun the one that
// takes this piece just after the piece was sent.)
func (s *fakeStream) send(t *testing.T, piece string) {
	t.Helper()
	s.mu.Lock()
	require.Zero(t, len(s.pieces), "a piece sent earlier is still unread")
	want := s.taken + 1
	s.mu.Unlock()
	s.pieces <- piece
	eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.taken >= want && s.reads > s.takeBy
	}, "the Client handles the piece and reads on")
}

// event sends one event and waits until the Client closed the stream.
func (s *fakeStream) endWith(t *testing.T, typ string) {
	t.Helper()
	s.pieces <- "event: " + typ + "\ndata: {\"type\":\"" + typ + "\"}\n\n"
	eventually(t, s.isClosed, "the Client closes the stream after "+typ)
}

const readyEvent = "retry: 2000\n\nevent: ready\ndata: {\"type\":\"ready\"}\n\n"

// liveTab is a fake tab with a Streamer and a Filler.
type liveTab struct {
	*fakeBrowser
	live *fakeLive
}

func (lt liveTab) OpenStream(url string) (int, client.Stream, error) {
	l := lt.live
	assert.Equal(l.t, wire.PathEvents, url)
	if lt.isClosed() {
		return 0, nil, errors.New("the tab is closed")
	}
	l.mu.Lock()
	l.count++
	status := 200
	if len(l.answers) > 0 {
		status, l.answers = l.answers[0], l.answers[1:]
	}
	l.mu.Unlock()
	s := &fakeStream{status: status, pieces: make(chan string, 16), closed: make(chan struct{})}
	l.mu.Lock()
	l.all = append(l.all, s)
	l.mu.Unlock()
	l.opens <- s
	switch status {
	case 0:
		return 0, nil, errors.New("TypeError: network error")
	case 200:
		return 200, s, nil
	}
	return status, nil, nil
}

func (lt liveTab) Visible() bool {
	lt.live.mu.Lock()
	defer lt.live.mu.Unlock()
	return !lt.live.hidden
}

// Fill clones the subtree of container's first TEMPLATE child.
func (lt liveTab) Fill(container client.Element, n int) []client.Element {
	b := lt.fakeBrowser
	box := container.(*fakeElement)
	b.mu.Lock()
	defer b.mu.Unlock()
	var tpl, root *fakeElement
	for _, e := range b.elems {
		if e.parent == box && e.tag == "TEMPLATE" && tpl == nil {
			tpl = e
		} else if tpl != nil && e.parent == tpl && root == nil {
			root = e
		}
	}
	if tpl == nil || root == nil {
		return nil
	}
	// Drop the items of the last Fill, with everything inside them.
	inItem := func(e *fakeElement) bool {
		for ; e != nil; e = e.parent {
			if _, ok := e.attrs["data-sg-item"]; ok && e.parent == box {
				return true
			}
		}
		return false
	}
	kept := b.elems[:0]
	for _, e := range b.elems {
		if !inItem(e) {
			kept = append(kept, e)
		}
	}
	b.elems = kept
	var clone func(e, parent *fakeElement) *fakeElement
	clone = func(e, parent *fakeElement) *fakeElement {
		c := &fakeElement{b: b, tag: e.tag, attrs: map[string]string{}, text: e.text, hidden: e.hidden, parent: parent}
		for k, v := range e.attrs {
			c.attrs[k] = v
		}
		b.elems = append(b.elems, c)
		for _, child := range append([]*fakeElement(nil), b.elems...) {
			if child.parent == e {
				clone(child, c)
			}
		}
		return c
	}
	var out []client.Element
	for i := 0; i < n; i++ {
		r := clone(root, box)
		r.attrs["data-sg-item"] = ""
		out = append(out, r)
	}
	return out
}

// sessionIs answers GET /api/session with s.
func sessionIs(s *wire.Session) func(client.Request) (*client.Response, error) {
	return answer(200, mustJSON(s))
}

// liveStart boots a tab with a live stream at url, signed in as sess.
func liveStart(t *testing.T, url string, sess *wire.Session, opts ...option) (*harness, *fakeLive) {
	t.Helper()
	l := newFakeLive(t)
	h := start(t, append([]option{at(url), as(sess), withLive(l)}, opts...)...)
	return h, l
}

// ---- tests -------------------------------------------------------------

func TestStreamOnlyWhileSignedIn(t *testing.T) {
	l := newFakeLive(t)
	h := start(t, at("/public"), withLive(l))
	require.Nil(t, h.c.Session())
	l.none("anonymous pages keep no stream")
	assert.Zero(t, l.opened())

	h.c.HandleBroadcast(mustValue(`{"session":` + mustJSON(userSession) + `}`)) // signed in in another tab
	s := l.next()
	s.send(t, readyEvent)
	assert.True(t, h.c.Live(), "connected and spoke")
	s.send(t, ": ping\n\n")
	h.clock.Advance(29 * time.Second)
	assert.True(t, h.c.Live())
	h.clock.Advance(2 * time.Second)
	assert.False(t, h.c.Live(), "silent for more than 30 s")
	s.send(t, ": ping\n\n")
	assert.True(t, h.c.Live(), "the heartbeat counts")

	h.c.HandleBroadcast(mustValue(`{"session":null}`)) // signed out in another tab
	eventually(t, s.isClosed, "the stream is closed")
	assert.False(t, h.c.Live())
	l.none("no stream without a session")
}

func TestStreamBackoff(t *testing.T) {
	l := newFakeLive(t)
	l.answer(503, 0, 503)
	h := start(t, at("/dashboard"), as(userSession), withLive(l))
	down := func() bool { return !h.c.StreamConnecting() }
	l.next() // 503
	var s *fakeStream
	for _, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		eventually(t, down, "the failure is handled")
		h.clock.Advance(d - time.Millisecond)
		assert.False(t, h.c.StreamConnecting(), "no retry before %v", d)
		l.none("no retry before " + d.String())
		h.clock.Advance(time.Millisecond)
		s = l.next() // a network error, 503, then 200
	}
	s.send(t, readyEvent)
	close(s.pieces) // the connection breaks off
	eventually(t, down, "the stream is down")
	h.clock.Advance(time.Second - time.Millisecond)
	assert.False(t, h.c.StreamConnecting())
	l.setHidden(true)
	h.clock.Advance(time.Millisecond)
	assert.False(t, h.c.StreamConnecting(), "ready reset the back-off to 1 s, but a hidden page does not reconnect")
	h.clock.Advance(time.Minute)
	assert.False(t, h.c.StreamConnecting(), "a hidden page does not reconnect")
	l.none("a hidden page does not reconnect")
	l.setHidden(false)
	h.c.PageShown()
	l.next().send(t, readyEvent)
	assert.True(t, h.c.Live())
	assert.Equal(t, "/dashboard", h.b.url())
}

func TestStreamPageShownSkipsBackoff(t *testing.T) {
	l := newFakeLive(t)
	l.answer(503)
	h := start(t, at("/dashboard"), as(userSession), withLive(l))
	l.next()
	eventually(t, func() bool { return !h.c.StreamConnecting() }, "the failure is handled")
	h.c.PageShown()
	l.next().send(t, readyEvent)
	assert.True(t, h.c.Live())
}

func TestStreamEndsSession(t *testing.T) {
	for _, reason := range []string{client.ReasonRevoked, client.ReasonExpired, client.ReasonRoleChanged} {
		t.Run(reason, func(t *testing.T) {
			h, l := liveStart(t, "/dashboard?tab=1", userSession)
			h.b.handle(wire.PathSession, sessionIs(nil))
			s := l.next()
			s.send(t, readyEvent)
			s.endWith(t, reason)
			eventually(t, func() bool { return h.c.Session() == nil }, "the session ends")
			eventually(t, func() bool { return h.b.url() != "/dashboard?tab=1" }, "the page leaves")
			assert.Equal(t, "/?callbackUrl=%2Fdashboard%3Ftab%3D1", h.b.url(), "a protected view goes to sign-in")
			assert.Equal(t, 1, h.b.count(wire.PathSession), "confirmed with the server")
			assert.Equal(t, []any{client.Ended{Reason: reason}}, h.b.eventsNamed(client.EventEnded))
			assert.Equal(t, []any{(*wire.Session)(nil)}, h.b.eventsNamed(client.EventChange))
			assert.Equal(t, []*wire.Session{nil}, h.b.broadcasts, "the other tabs are told")
			l.none("no stream without a session")
		})
	}
}

func TestStreamRevokedButSignedInAgain(t *testing.T) {
	h, l := liveStart(t, "/dashboard", userSession)
	again := &wire.Session{User: userSession.User, Expires: wireTime(t0.Add(time.Hour))}
	h.b.handle(wire.PathSession, sessionIs(again))
	s := l.next()
	s.send(t, readyEvent)
	s.endWith(t, client.ReasonRevoked)
	s2 := l.next() // a connection for the new session
	assert.Equal(t, again, h.c.Session(), "the session another tab signed in is adopted")
	assert.Equal(t, "/dashboard", h.b.url())
	assert.Empty(t, h.b.eventsNamed(client.EventEnded))
	s2.send(t, readyEvent)
	assert.True(t, h.c.Live())
}

func TestStreamPublicViewStaysAfterRevoke(t *testing.T) {
	h, l := liveStart(t, "/public", userSession)
	h.b.handle(wire.PathSession, sessionIs(nil))
	s := l.next()
	s.send(t, readyEvent)
	s.endWith(t, client.ReasonRevoked)
	eventually(t, func() bool { return len(h.b.eventsNamed(client.EventEnded)) == 1 }, "the ending is told")
	assert.Nil(t, h.c.Session())
	assert.Equal(t, "/public", h.b.url())
}

func TestStream401ConfirmsTheSession(t *testing.T) {
	l := newFakeLive(t)
	l.answer(401)
	h := start(t, at("/dashboard"), as(userSession), withLive(l))
	h.b.handle(wire.PathSession, sessionIs(nil))
	l.next()
	eventually(t, func() bool { return h.b.url() == "/?callbackUrl=%2Fdashboard" }, "the page goes to sign-in")
	assert.Nil(t, h.c.Session())
	l.none("no retry of a refused stream")
}

func TestStreamRefreshedNeedsNothing(t *testing.T) {
	h, l := liveStart(t, "/dashboard", userSession)
	s := l.next()
	s.send(t, readyEvent+"event: refreshed\ndata: {}\n\n")
	assert.False(t, s.isClosed())
	assert.Zero(t, h.b.count(wire.PathSession))
	assert.Equal(t, userSession, h.c.Session())
}

// TestStreamTwoFactorChanged: the server's "two-factor-changed" reaches
// the page as sessionguard:two-factor-changed; the stream goes on.
func TestStreamTwoFactorChanged(t *testing.T) {
	h, l := liveStart(t, "/dashboard", userSession)
	s := l.next()
	s.send(t, readyEvent+"event: two-factor-changed\ndata: {}\n\n")
	eventually(t, func() bool { return len(h.b.eventsNamed(client.EventTwoFactorChanged)) == 1 }, "the page hears it")
	assert.False(t, s.isClosed())
	assert.Equal(t, userSession, h.c.Session())
}

func TestStreamStaleUnderJWT(t *testing.T) {
	clock := &fakeClock{now: t0}
	srv := newFakeServer(t, clock)
	srv.signIn()
	l := newFakeLive(t)
	h := jwtTab(t, newFakeContext(t), clock, srv, "/dashboard", withLive(l))
	s := l.next()
	s.send(t, readyEvent)

	// The access token was renewed in time (by this tab or another):
	// stale reconnects at once.
	clock.Advance(accessLife - time.Second) // the renewal timer fires
	// Renewed at t0+4s, for accessLife. (Not srv.accessExpires(): read
	// before the renewal reaches the server, that is the old expiry, which
	// the tab may leave behind before the wait looks.)
	renewedTo(t, h, t0.Add(accessLife-time.Second+accessLife))
	s.endWith(t, "stale")
	s = l.next()
	s.send(t, readyEvent)

	// An idle tab lets its access token come due: after stale it waits
	// for the renewal its next input starts.
	clock.Advance(accessLife + accessLife) // idle: the renewal timer does not renew
	s.endWith(t, "stale")
	l.none("no connection with an access token that is due")
	before := posts(srv)
	h.c.Activity()
	eventually(t, func() bool { return posts(srv) > before }, "the input renews")
	l.next().send(t, readyEvent)
	assert.True(t, h.c.Live())
	assert.NotNil(t, h.c.Session())
}

func TestStreamPausedForOwnSignOut(t *testing.T) {
	h, l := liveStart(t, "/dashboard", userSession)
	s := l.next()
	s.send(t, readyEvent)
	h.b.handle(wire.PathSignOut, func(client.Request) (*client.Response, error) {
		assert.True(t, s.isClosed(), "the stream is closed before the sign-out is sent")
		return answer(200, `{"redirectUrl":"/"}`)(client.Request{})
	})
	r := h.c.SignOut("/")
	require.True(t, r.OK)
	assert.Equal(t, "/", h.b.url())
	assert.Empty(t, h.b.eventsNamed(client.EventEnded), "this tab's own sign-out is no ending")
	l.none("no stream without a session")
}

// TestKnownStateRule: with WithInstantGuard and a live stream, a guarded
// navigation the role allows goes ahead before the status check answers;
// a 401 from that check then sends the page to sign-in. Without the
// option, or without a stream that spoke, the navigation waits.
func TestKnownStateRule(t *testing.T) {
	type handler = func(client.Request) (*client.Response, error)
	gated := func(h *harness) chan handler {
		gate := make(chan handler, 1)
		h.b.handle(wire.PathStatus, func(r client.Request) (*client.Response, error) { return (<-gate)(r) })
		return gate
	}
	// reply answers the status check waiting at gate with a.
	reply := func(t *testing.T, gate chan handler, a handler) {
		t.Helper()
		gate <- a
		eventually(t, func() bool { return len(gate) == 0 }, "a status check takes the answer")
	}
	t.Run("on", func(t *testing.T) {
		h, l := liveStart(t, "/public", userSession, instantGuard())
		l.next().send(t, readyEvent)
		gate := gated(h)
		assert.True(t, h.wait(h.c.Goto("/dashboard", false)), "goes ahead before the server answers")
		assert.Equal(t, "/dashboard", h.b.url())
		reply(t, gate, signedIn(wireTime(t0.Add(45*time.Minute))))
		// The check applies its answer, then ends: a navigation that
		// starts in between joins it. Wait for its end, so that the next
		// guarded navigation asks again.
		eventually(t, func() bool { return !h.c.Checking() }, "the check is over")
		assert.Equal(t, wireTime(t0.Add(45*time.Minute)), h.c.Session().Expires, "the check still extends the session")

		done := h.c.Goto("/admin", false)
		reply(t, gate, signedIn(wireTime(t0.Add(45*time.Minute)))) // a role the session lacks: the guard asks
		assert.False(t, h.wait(done))
		assert.Equal(t, []client.Blocked{{To: "/admin", Reason: client.ReasonForbidden}}, h.b.blocked())

		assert.True(t, h.wait(h.c.Goto("/public", false)))
		assert.True(t, h.wait(h.c.Goto("/dashboard?again", false)))
		reply(t, gate, signedOut)
		eventually(t, func() bool { return h.b.url() == "/?callbackUrl=%2Fdashboard%3Fagain" }, "a 401 afterwards sends the page to sign-in")
		assert.Nil(t, h.c.Session())
	})
	t.Run("off", func(t *testing.T) {
		h, l := liveStart(t, "/public", userSession)
		l.next().send(t, readyEvent)
		gate := gated(h)
		done := h.c.Goto("/dashboard", false)
		select {
		case <-done:
			t.Fatal("navigated without the server")
		default:
		}
		reply(t, gate, networkError)
		assert.False(t, h.wait(done), "fails closed")
		assert.Equal(t, "/public", h.b.url())
	})
	t.Run("stream silent", func(t *testing.T) {
		h, l := liveStart(t, "/public", userSession, instantGuard())
		l.next().send(t, readyEvent)
		h.clock.Advance(31 * time.Second)
		gate := gated(h)
		done := h.c.Goto("/dashboard", false)
		reply(t, gate, networkError)
		assert.False(t, h.wait(done), "without a stream that spoke lately, the guard asks and fails closed")
	})
}

func TestSSEParser(t *testing.T) {
	var p client.SSEParser
	var got []string
	for _, piece := range []string{"retry: 2000\r\n\r\n: ping\n\nevent: re", "ady\r", "\ndata: {}\r", "\n\r\n", "event: x\n\n", "data: a\ndata: b\n\nevent:revoked\ndata:{}\n\n"} {
		got = append(got, p.Feed(piece)...)
	}
	assert.Equal(t, []string{"ready", "message", "revoked"}, got, "an event without data is not dispatched")
}

// ---- devices and password ---------------------------------------------

// accountPage adds /account's device list to the fake page.
func accountPage(h *harness) *fakeElement {
	view := h.b.add(nil, "SECTION", "id", "view-account", "data-sg-route", "/account")
	list := h.b.add(view, "UL", "id", "devices", client.AttrDevices, "")
	tpl := h.b.add(list, "TEMPLATE")
	li := h.b.add(tpl, "LI", "class", "device")
	h.b.add(li, "STRONG", client.AttrField, "device")
	h.b.add(li, "SPAN", client.AttrField, "lastSeen")
	h.b.add(li, "SPAN", client.AttrIf, "current")
	h.b.add(li, "BUTTON", client.AttrIf, "!current")
	return list
}

// devices is a device list as the server sends it (in wire's shape, so the
// module is tested on the members the server writes).
var devices = []wire.Device{
	{Handle: "h/1", Device: "<b>Chrome</b> on Linux", UserAgent: "UA", ClientAddr: "127.0.0.1", CreatedAt: "2026-11-23T16:11:44Z", LastSeen: "2026-11-23T16:12:00Z", Expires: "2026-11-23T16:41:44Z", Current: false},
	{Handle: "h2", Device: "Firefox on Windows", UserAgent: "UA2", ClientAddr: "::1", CreatedAt: "2026-11-23T15:00:00Z", LastSeen: "2026-11-23T16:00:00Z", Expires: "2026-11-23T16:30:00Z", Current: true},
}

var devicesJSON = mustJSON(wire.DevicesResponse{Sessions: devices})

// revoked returns the answer of a request that ended n sessions; current,
// when given, tells whether the request's own session was one.
func revoked(n any, current ...bool) string {
	r := wire.RevokeResponse{Revoked: n}
	if len(current) > 0 {
		r.Current = &current[0]
	}
	return mustJSON(r)
}

// rows returns the rendered device rows.
func rows(h *harness) []*fakeElement {
	var out []*fakeElement
	for _, e := range h.b.Query("[" + client.AttrHandle + "]") {
		out = append(out, e.(*fakeElement))
	}
	return out
}

// filled waits until cond holds of the lists shown, then until the fill that
// made it hold is complete: Fill makes the rows, and the Client then sets
// their keys, texts and conditions, all under one hold of its effects lock.
func filled(t *testing.T, h *harness, cond func() bool, what string) {
	t.Helper()
	eventually(t, cond, what)
	h.c.AwaitEffects()
}

func rowText(row *fakeElement, field string) string {
	for _, e := range row.Query("[" + client.AttrField + "]") {
		if v, _ := e.Attr(client.AttrField); v == field {
			return e.(*fakeElement).Text()
		}
	}
	return "(none)"
}

func rowShows(row *fakeElement, which string) bool {
	for _, e := range row.Query("[" + client.AttrIf + "]") {
		if v, _ := e.Attr(client.AttrIf); v == which {
			return !e.(*fakeElement).Hidden()
		}
	}
	return false
}

func TestDevicesRendered(t *testing.T) {
	l := newFakeLive(t)
	h, _ := newPage(t, at("/account"), as(userSession), withLive(l))
	accountPage(h)
	h.b.handle(wire.PathStatus, signedIn(userSession.Expires))
	h.b.handle(wire.PathSessions, answer(200, devicesJSON))
	h.boot()
	require.True(t, h.wait(h.c.Goto("/account", false)))
	filled(t, h, func() bool { return len(rows(h)) == 2 }, "two rows")
	r := rows(h)
	handle, _ := r[0].Attr(client.AttrHandle)
	assert.Equal(t, "h/1", handle)
	assert.Equal(t, "<b>Chrome</b> on Linux", rowText(r[0], "device"), "as text")
	assert.Equal(t, "2026-11-23 16:12:00 UTC", rowText(r[0], "lastSeen"))
	assert.True(t, rowShows(r[0], "!current"))
	assert.False(t, rowShows(r[0], "current"))
	assert.True(t, rowShows(r[1], "current"), "the current device is marked")
	assert.False(t, rowShows(r[1], "!current"), "no sign-out button for this device")

	// Ending a session calls the API with the handle escaped, and reads
	// the list again.
	var deleted []string
	h.b.handle(wire.PathSessions+"/h%2F1", func(req client.Request) (*client.Response, error) {
		deleted = append(deleted, req.Method)
		h.b.handle(wire.PathSessions, answer(200, mustJSON(wire.DevicesResponse{Sessions: devices[1:]})))
		return answer(200, revoked(1, false))(req)
	})
	reads := h.b.count(wire.PathSessions)
	res := h.c.EndSession("h/1")
	assert.True(t, res.OK)
	assert.Equal(t, []string{"DELETE"}, deleted)
	assert.Greater(t, h.b.count(wire.PathSessions), reads, "the list is read again")
	filled(t, h, func() bool { return len(rows(h)) == 1 }, "one row left")
	assert.NotNil(t, h.c.Session())

	h.b.handle(wire.PathRevokeOthers, answer(200, revoked(3)))
	res = h.c.EndOtherSessions()
	assert.Equal(t, client.Result{OK: true, Status: 200, Revoked: 3}, res)
	assert.Equal(t, 1, h.b.count(wire.PathRevokeOthers))

	h.b.handle(wire.PathSessions+"/nope", answer(404, `{"error":"no such session"}`))
	assert.Equal(t, client.Result{Error: "No such session.", Status: 404}, h.c.EndSession("nope"))

	// Signed out: the list is emptied.
	h.c.HandleBroadcast(mustValue(`{"session":null}`))
	filled(t, h, func() bool { return len(rows(h)) == 0 }, "no rows when signed out")
}

func TestDevicesPolledWhileUsed(t *testing.T) {
	l := newFakeLive(t)
	h, _ := newPage(t, at("/account"), as(userSession), withLive(l))
	accountPage(h)
	h.b.handle(wire.PathStatus, signedIn(userSession.Expires))
	h.b.handle(wire.PathSessions, answer(200, devicesJSON))
	h.boot()
	require.True(t, h.wait(h.c.Goto("/account", false)))
	eventually(t, func() bool { return h.b.count(wire.PathSessions) >= 1 }, "read")
	filled(t, h, func() bool { return len(rows(h)) == 2 }, "rendered")
	n := h.b.count(wire.PathSessions)
	h.clock.Advance(30 * time.Second)
	assert.Equal(t, n, h.b.count(wire.PathSessions), "an unused page is not polled: a read extends the session")
	h.c.Activity()
	h.clock.Advance(30 * time.Second)
	eventually(t, func() bool { return h.b.count(wire.PathSessions) == n+1 }, "a used page is polled")
}

// TestDevicesReadAgainWhenSessionsChange: "sessions-changed" (the user
// signed in or out elsewhere) reads the shown device list again at once,
// if the page was used within the last 30 s; the stream goes on.
func TestDevicesReadAgainWhenSessionsChange(t *testing.T) {
	l := newFakeLive(t)
	h, _ := newPage(t, at("/account"), as(userSession), withLive(l))
	accountPage(h)
	h.b.handle(wire.PathStatus, signedIn(userSession.Expires))
	h.b.handle(wire.PathSessions, answer(200, devicesJSON))
	h.boot()
	require.True(t, h.wait(h.c.Goto("/account", false)))
	s := l.next()
	s.send(t, readyEvent)
	filled(t, h, func() bool { return len(rows(h)) == 2 }, "rendered")
	eventually(t, func() bool { return h.b.count(wire.PathSessions) >= 1 }, "read")
	h.c.AwaitEffects()
	n := h.b.count(wire.PathSessions)

	h.b.handle(wire.PathSessions, answer(200, mustJSON(wire.DevicesResponse{Sessions: devices[1:]})))
	h.clock.Advance(31 * time.Second) // unused since the navigation (the poll does not read either)
	n = h.b.count(wire.PathSessions)
	s.send(t, "event: sessions-changed\ndata: {}\n\n")
	h.c.AwaitEffects()
	assert.Equal(t, n, h.b.count(wire.PathSessions), "an unused page waits: a read extends the session")
	h.c.Activity()
	s.send(t, "event: sessions-changed\ndata: {}\n\n")
	eventually(t, func() bool { return h.b.count(wire.PathSessions) == n+1 }, "read again")
	filled(t, h, func() bool { return len(rows(h)) == 1 }, "the list follows")
	assert.False(t, s.isClosed(), "the stream goes on")
	assert.Equal(t, userSession, h.c.Session())
}

func TestEndOwnSession(t *testing.T) {
	h := start(t, at("/dashboard"), as(userSession))
	h.b.handle(wire.PathSessions+"/me", answer(200, revoked(1, true)))
	assert.True(t, h.c.EndSession("me").OK)
	assert.Nil(t, h.c.Session())
	assert.Equal(t, "/?callbackUrl=%2Fdashboard", h.b.url())
}

func TestChangePassword(t *testing.T) {
	rotated := &wire.Session{User: userSession.User, Expires: wireTime(t0.Add(31 * time.Minute))}
	tests := []struct {
		name   string
		answer func(client.Request) (*client.Response, error)
		want   client.Result
		sess   *wire.Session
	}{
		{"ok", answer(200, `{"session":`+mustJSON(rotated)+`}`), client.Result{OK: true, Status: 200}, rotated},
		{"wrong current", answer(401, `{"error":"the current password is wrong"}`), client.Result{Error: "The current password is wrong.", Status: 401}, userSession},
		{"weak", answer(400, `{"error":"password too short"}`), client.Result{Error: "Password too short.", Status: 400}, userSession},
		{"limited", answer(429, `{"error":"too many attempts"}`, "Retry-After", "30"), client.Result{Error: "Too many attempts.", Status: 429, RetryAfter: 30}, userSession},
		{"network", networkError, client.Result{Error: client.MsgNetwork}, userSession},
		{"bad answer", answer(200, `{"session":null}`), client.Result{Error: client.MsgBadAnswer, Status: 200}, userSession},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := newFakeContext(t)
			h, l := liveStart(t, "/account", userSession, inContext(ctx))
			other := start(t, at("/dashboard"), as(userSession), inContext(ctx))
			s := l.next()
			s.send(t, readyEvent)
			var body string
			h.b.handle(wire.PathPassword, func(r client.Request) (*client.Response, error) {
				body = mustJSON(r.Body)
				assert.True(t, s.isClosed(), "the stream is paused: the old session's ending is no news")
				ctx.mu.Lock()
				holders := ctx.holders
				ctx.mu.Unlock()
				assert.Equal(t, 1, holders, "under the refresh lock")
				return tt.answer(r)
			})
			got := h.c.ChangePassword("old-password", "new-password")
			assert.Equal(t, tt.want, got)
			assert.JSONEq(t, mustJSON(wire.ChangePasswordRequest{CurrentPassword: "old-password", NewPassword: "new-password"}), body)
			assert.Equal(t, tt.sess, h.c.Session())
			ctx.settle()
			assert.Equal(t, tt.sess, other.c.Session(), "the other tab follows")
			l.next() // the stream again, for the session there is now
			assert.Equal(t, "/account", h.b.url())
		})
	}
}

func TestJSONOut(t *testing.T) {
	s := &wire.Session{User: wire.User{ID: "u\"1", Email: "a\\b", Name: "line\nbreak\x01 é <b>", Role: "user"}, Expires: wireTime(t0),
		AAL: wire.AAL2, AuthenticatedAt: wireTime(t0.Add(-time.Minute)), EnrollmentRequired: true}
	assert.JSONEq(t, mustJSON(s), client.SessionJSON(s))
	// A session from a server without the assurance fields gets none.
	assert.JSONEq(t, `{"user":{"id":"u1","email":"","name":"","role":"user"},"expires":"2026-11-23T16:11:44Z"}`,
		client.SessionJSON(&wire.Session{User: wire.User{ID: "u1", Role: "user"}, Expires: wireTime(t0)}))
	assert.Equal(t, "null", client.SessionJSON(nil))
	assert.JSONEq(t, `{"ok":true,"redirectUrl":"/x","status":200}`, client.Result{OK: true, RedirectURL: "/x", Status: 200}.JSON())
	assert.JSONEq(t, `{"ok":false,"error":"e","retryAfter":3,"status":429}`, client.Result{Error: "e", RetryAfter: 3, Status: 429}.JSON())
}

// adminPage adds /admin's users table to the fake page.
func adminPage(h *harness) {
	view := h.b.add(nil, "SECTION", "id", "view-users", "data-sg-route", "/admin/*")
	body := h.b.add(view, "TBODY", client.AttrUsers, "")
	tpl := h.b.add(body, "TEMPLATE")
	tr := h.b.add(tpl, "TR")
	h.b.add(tr, "TD", client.AttrField, "email")
	h.b.add(tr, "TD", client.AttrField, "disabled")
	h.b.add(tr, "TD", client.AttrField, "createdAt")
	h.b.add(tr, "BUTTON", client.AttrIf, "role=user")
	h.b.add(tr, "BUTTON", client.AttrIf, "!role=user")
	h.b.add(tr, "BUTTON", client.AttrIf, "disabled")
	h.b.add(tr, "BUTTON", client.AttrIf, "!disabled")
}

var usersJSON = mustJSON(wire.AccountsResponse{Users: []wire.Account{
	{ID: "u1", Email: "user@example.com", Name: "Demo User", Role: wire.RoleUser, Disabled: false, CreatedAt: "2026-11-23T16:00:00Z"},
	{ID: "a/1", Email: "admin@example.com", Name: "Demo Admin", Role: wire.RoleAdmin, Disabled: true, CreatedAt: "2026-11-23T15:00:00Z"},
}})

func TestUsersTable(t *testing.T) {
	l := newFakeLive(t)
	h, _ := newPage(t, at("/admin"), as(adminSession), withLive(l))
	adminPage(h)
	h.b.handle(wire.PathStatus, signedIn(adminSession.Expires))
	h.b.handle(wire.PathAdminUsers, answer(200, usersJSON))
	h.boot()
	require.True(t, h.wait(h.c.Goto("/admin/users", false)))
	var r []*fakeElement
	filled(t, h, func() bool {
		r = nil
		for _, e := range h.b.Query("[" + client.AttrUser + "]") {
			r = append(r, e.(*fakeElement))
		}
		return len(r) == 2
	}, "two rows")
	id, _ := r[1].Attr(client.AttrUser)
	assert.Equal(t, "a/1", id)
	assert.Equal(t, "user@example.com", rowText(r[0], "email"))
	assert.Equal(t, "no", rowText(r[0], "disabled"))
	assert.Equal(t, "yes", rowText(r[1], "disabled"))
	assert.Equal(t, "2026-11-23 15:00:00 UTC", rowText(r[1], "createdAt"))
	shown := func(row *fakeElement) []string {
		var out []string
		for _, e := range row.Query("[" + client.AttrIf + "]") {
			if !e.(*fakeElement).Hidden() {
				v, _ := e.Attr(client.AttrIf)
				out = append(out, v)
			}
		}
		return out
	}
	assert.Equal(t, []string{"role=user", "!disabled"}, shown(r[0]))
	assert.Equal(t, []string{"!role=user", "disabled"}, shown(r[1]))

	var patches []string
	h.b.handle(wire.PathAdminUsers+"/a%2F1", func(req client.Request) (*client.Response, error) {
		patches = append(patches, req.Method+" "+req.JSON)
		return answer(200, `{"id":"a/1"}`)(req)
	})
	assert.True(t, h.c.UpdateUser("a/1", "user", "").OK)
	assert.True(t, h.c.UpdateUser("a/1", "", "false").OK)
	role, enabled := wire.RoleUser, false
	assert.Equal(t, []string{"PATCH " + mustJSON(wire.UpdateUserRequest{Role: &role}), "PATCH " + mustJSON(wire.UpdateUserRequest{Disabled: &enabled})}, patches)

	h.b.handle(wire.PathAdminUsers+"/u1/sessions", answer(200, mustJSON(wire.DevicesResponse{Sessions: []wire.Device{{Handle: "x"}, {Handle: "y/z"}}})))
	var ended []string
	for _, p := range []string{"/x", "/y%2Fz"} {
		h.b.handle(wire.PathAdminUsers+"/u1/sessions"+p, func(req client.Request) (*client.Response, error) {
			ended = append(ended, req.Method+" "+req.URL)
			return answer(200, revoked(1))(req)
		})
	}
	assert.Equal(t, client.Result{OK: true, Status: 200, Revoked: 2}, h.c.EndUserSessions("u1"))
	assert.Equal(t, []string{"DELETE /api/admin/users/u1/sessions/x", "DELETE /api/admin/users/u1/sessions/y%2Fz"}, ended)
}

func TestUsersTableNeedsAdmin(t *testing.T) {
	l := newFakeLive(t)
	h, _ := newPage(t, at("/admin"), as(userSession), withLive(l))
	adminPage(h)
	h.b.handle(wire.PathStatus, signedIn(userSession.Expires))
	h.b.handle(wire.PathSessions, answer(200, devicesJSON))
	h.boot()
	accountPage(h)
	require.True(t, h.wait(h.c.Goto("/account", false)))
	filled(t, h, func() bool { return len(rows(h)) == 2 }, "the devices are listed")
	assert.Zero(t, h.b.count(wire.PathAdminUsers), "no admin request for a user")
}

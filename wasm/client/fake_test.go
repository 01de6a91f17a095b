package client_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/policy/policytest"
	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"github.com/sessionguard/sessionguard/wire"
)

// This file holds a fake browser: a DOM of a few elements, a session history
// that behaves like the real one (push truncates, go queues a popstate), a
// fetch that answers from per-path handlers, recorded events, and a clock
// that moves only when told. It needs no DOM, so the tests run natively and
// under Node.

const origin = "https://app.test"

var t0 = time.Date(2026, 11, 23, 16, 11, 44, 0, time.UTC)

// The tests tell times with the time package; these convert them to the
// Client's types (the module links no time package) and back.
func wireTime(t time.Time) wire.Time   { return wire.UnixMilli(t.UnixMilli()) }
func clockTime(t time.Time) lite.Time  { return lite.UnixMilli(t.UnixMilli()) }
func ms(d time.Duration) lite.Duration { return lite.Duration(d / time.Millisecond) }
func timeOf(t wire.Time) time.Time     { return time.UnixMilli(t.UnixMilli()).UTC() }

var (
	userSession  = &wire.Session{User: wire.User{ID: "u1", Email: "user@example.com", Name: "Demo User", Role: "user"}, Expires: wireTime(t0.Add(30 * time.Minute))}
	adminSession = &wire.Session{User: wire.User{ID: "a1", Email: "admin@example.com", Name: "Demo Admin", Role: "admin"}, Expires: wireTime(t0.Add(30 * time.Minute))}
)

// ---- JSON values -------------------------------------------------------

type jsonValue struct{ v any }

// parseJSON parses text as the browser's JSON.parse would.
func parseJSON(text string) (client.Value, bool) {
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, false
	}
	return wrapJSON(v), true
}

func wrapJSON(v any) client.Value {
	if v == nil {
		return nil
	}
	return jsonValue{v}
}

func (j jsonValue) Get(key string) client.Value {
	m, ok := j.v.(map[string]any)
	if !ok {
		return nil
	}
	return wrapJSON(m[key])
}

func (j jsonValue) AsString() (string, bool) { s, ok := j.v.(string); return s, ok }

func (j jsonValue) AsNumber() (float64, bool) { f, ok := j.v.(float64); return f, ok }

func (j jsonValue) AsBool() (bool, bool) { b, ok := j.v.(bool); return b, ok }

func (j jsonValue) Len() int { a, _ := j.v.([]any); return len(a) }

func (j jsonValue) Index(i int) client.Value {
	a, _ := j.v.([]any)
	if i < 0 || i >= len(a) {
		return nil
	}
	return wrapJSON(a[i])
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// ---- DOM ---------------------------------------------------------------

type fakeElement struct {
	b      *fakeBrowser
	tag    string
	attrs  map[string]string
	hidden bool
	text   string
	writes int // SetText calls
	parent *fakeElement
}

func (e *fakeElement) Attr(name string) (string, bool) {
	e.b.mu.Lock()
	defer e.b.mu.Unlock()
	v, ok := e.attrs[name]
	return v, ok
}

func (e *fakeElement) SetHidden(h bool) {
	e.b.mu.Lock()
	defer e.b.mu.Unlock()
	e.hidden = h
}

func (e *fakeElement) SetText(s string) {
	e.b.mu.Lock()
	defer e.b.mu.Unlock()
	e.text = s
	e.writes++
}

func (e *fakeElement) Tag() string { return e.tag }

func (e *fakeElement) Parent() client.Element {
	if e.parent == nil {
		return nil
	}
	return e.parent
}

// Href resolves the href attribute as a browser does for the few forms
// the tests use.
func (e *fakeElement) Href() string {
	h, ok := e.Attr("href")
	if !ok {
		return ""
	}
	switch {
	case strings.Contains(h, ":") && strings.Index(h, ":") < strings.IndexAny(h+"/", "/?#"):
		return h
	case strings.HasPrefix(h, "//"):
		return "https:" + h
	case strings.HasPrefix(h, "/"):
		return origin + h
	case strings.HasPrefix(h, "#"):
		loc := e.b.Location()
		return origin + loc.Path + loc.Search + h
	}
	return origin + "/" + h
}

func (e *fakeElement) SetAttr(name, value string) {
	e.b.mu.Lock()
	defer e.b.mu.Unlock()
	e.attrs[name] = value
}

// Query finds the elements below e that match selector (as the fake's
// Browser.Query reads it).
func (e *fakeElement) Query(selector string) []client.Element {
	var out []client.Element
	for _, el := range e.b.Query(selector) {
		for p := el.(*fakeElement).parent; p != nil; p = p.parent {
			if p == e {
				out = append(out, el)
				break
			}
		}
	}
	return out
}

func (e *fakeElement) Hidden() bool {
	e.b.mu.Lock()
	defer e.b.mu.Unlock()
	return e.hidden
}

func (e *fakeElement) Text() string {
	e.b.mu.Lock()
	defer e.b.mu.Unlock()
	return e.text
}

// ---- browser -----------------------------------------------------------

type entry struct {
	url   string // absolute
	index int
	has   bool
}

type pop struct {
	index int
	has   bool
}

type event struct {
	name   string
	detail any
}

type fakeBrowser struct {
	t   *testing.T
	ctx *fakeContext
	// client receives the messages other tabs broadcast.
	client *client.Client
	inbox  chan client.Value
	// closed is closed when the tab is (close).
	closed    chan struct{}
	closeOnce sync.Once

	mu         sync.Mutex
	entries    []entry
	pos        int
	popstates  []pop
	embedded   map[string]string
	elems      []*fakeElement
	events     []event
	requests   []client.Request
	handlers   map[string]func(client.Request) (*client.Response, error)
	loads      []string
	broadcasts []*wire.Session // the sessions of the session messages
	messages   []posted
	scrolls    []string
	leads      bool     // the tab holds the stream lock
	raw        []string // the stream messages, as posted
}

// newFakeBrowser returns a tab at url in a browser context of its own.
func newFakeBrowser(t *testing.T, url string) *fakeBrowser {
	return newFakeTab(t, newFakeContext(t), url)
}

// newFakeTab returns a tab at url in the browser context ctx.
func newFakeTab(t *testing.T, ctx *fakeContext, url string) *fakeBrowser {
	b := &fakeBrowser{
		t:        t,
		ctx:      ctx,
		inbox:    make(chan client.Value, 1024),
		closed:   make(chan struct{}),
		entries:  []entry{{url: origin + url}},
		embedded: map[string]string{},
		handlers: map[string]func(client.Request) (*client.Response, error){},
	}
	ctx.mu.Lock()
	ctx.tabs = append(ctx.tabs, b)
	ctx.mu.Unlock()
	go func() {
		for v := range b.inbox {
			b.mu.Lock()
			c := b.client
			b.mu.Unlock()
			if c != nil {
				c.HandleBroadcast(v)
			}
			ctx.delivered()
		}
	}()
	t.Cleanup(func() { close(b.inbox) })
	return b
}

// attach makes c the Client that receives the tab's messages.
func (b *fakeBrowser) attach(c *client.Client) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.client = c
}

func (b *fakeBrowser) Location() client.Location {
	b.mu.Lock()
	u := b.entries[b.pos].url
	b.mu.Unlock()
	rest := strings.TrimPrefix(u, origin)
	var l client.Location
	l.Origin = origin
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest, l.Hash = rest[:i], rest[i:]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest, l.Search = rest[:i], rest[i:]
	}
	l.Path = rest
	return l
}

func (b *fakeBrowser) Embedded(id string) (client.Value, bool) {
	b.mu.Lock()
	text, ok := b.embedded[id]
	b.mu.Unlock()
	if !ok {
		return nil, false
	}
	return parseJSON(text)
}

func (b *fakeBrowser) HistoryIndex() (int, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[b.pos]
	return e.index, e.has
}

func (b *fakeBrowser) checkURL(url string) {
	if !strings.HasPrefix(url, origin+"/") {
		b.t.Errorf("history URL %q is not absolute on %s", url, origin)
	}
}

func (b *fakeBrowser) PushState(index int, url string) {
	b.checkURL(url)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.entries = append(b.entries[:b.pos+1], entry{url, index, true})
	b.pos++
}

func (b *fakeBrowser) ReplaceState(index int, url string) {
	b.checkURL(url)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.entries[b.pos] = entry{url, index, true}
}

func (b *fakeBrowser) Go(delta int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.pos + delta
	if delta == 0 || p < 0 || p >= len(b.entries) {
		return
	}
	b.pos = p
	b.popstates = append(b.popstates, pop{b.entries[p].index, b.entries[p].has})
}

func (b *fakeBrowser) Load(url string, replace bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.loads = append(b.loads, url)
}

func (b *fakeBrowser) ScrollTo(hash string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.scrolls = append(b.scrolls, hash)
}

// Query supports selector lists of attribute-presence selectors
// ("[a],[b]"), all the Client uses.
func (b *fakeBrowser) Query(selector string) []client.Element {
	var names []string
	for _, part := range strings.Split(selector, ",") {
		part = strings.TrimSpace(part)
		if !strings.HasPrefix(part, "[") || !strings.HasSuffix(part, "]") {
			b.t.Errorf("fake Query cannot do %q", selector)
			return nil
		}
		names = append(names, part[1:len(part)-1])
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []client.Element
	for _, e := range b.elems {
		for _, n := range names {
			if _, ok := e.attrs[n]; ok {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// Dispatch records the event with its detail decoded into the Go value
// it describes: a *wire.Session, a client.Blocked, a client.Navigated or a
// client.Ended.
func (b *fakeBrowser) Dispatch(name, detail string) {
	var v any
	switch name {
	case client.EventChange:
		var s *wire.Session
		b.decode(detail, &s)
		v = s
	case client.EventBlocked:
		var d client.Blocked
		b.decode(detail, &d)
		v = d
	case client.EventNavigate:
		var d client.Navigated
		b.decode(detail, &d)
		v = d
	case client.EventEnded:
		var d client.Ended
		b.decode(detail, &d)
		v = d
	case client.EventReauth:
		var d client.Reauth
		b.decode(detail, &d)
		v = d
	case client.EventTwoFactorChanged:
		var d struct{}
		b.decode(detail, &d)
		v = d
	default:
		b.t.Errorf("unknown event %s", name)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, event{name, v})
}

// decode decodes JSON the Client made, strictly.
func (b *fakeBrowser) decode(text string, v any) {
	d := json.NewDecoder(strings.NewReader(text))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		b.t.Errorf("bad JSON from the Client: %v: %s", err, text)
	}
}

func (b *fakeBrowser) Fetch(req client.Request) (*client.Response, error) {
	if b.isClosed() {
		return nil, errors.New("the tab is closed")
	}
	b.mu.Lock()
	b.requests = append(b.requests, req)
	p, _, _ := strings.Cut(req.URL, "?")
	h := b.handlers[p]
	b.mu.Unlock()
	if h == nil {
		return nil, errors.New("no handler for " + req.URL)
	}
	return h(req)
}

// Broadcast posts m to the other tabs, then records it: a test that sees
// it recorded can wait for its delivery with settle.
func (b *fakeBrowser) Broadcast(message string) bool {
	var wm struct {
		Session              *wire.Session
		AccessExpires, Ended string
		Lock, ID, Stream     string
	}
	b.decode(message, &wm)
	m := posted{Message: client.Message{Session: wm.Session, Ended: wm.Ended, Lock: wm.Lock, ID: wm.ID}, stream: wm.Stream}
	if wm.AccessExpires != "" {
		var err error
		at, err := time.Parse(time.RFC3339, wm.AccessExpires)
		require.NoError(b.t, err)
		m.AccessExpires = clockTime(at)
	}
	ok := !b.isClosed() && b.ctx.post(b, message)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.messages = append(b.messages, m)
	if m.Lock == "" && m.stream == "" {
		b.broadcasts = append(b.broadcasts, m.Session)
	}
	if m.stream != "" {
		b.raw = append(b.raw, message)
	}
	return ok
}

// streamMessages returns the stream messages the tab posted, as "op".
func (b *fakeBrowser) streamMessages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.messages {
		if m.stream != "" {
			out = append(out, m.stream)
		}
	}
	return out
}

// lead is navigator.locks.request of the stream lock, whose holder keeps
// it for the rest of its life: once the tab holds the lock, f runs (in a
// goroutine of its own: it does not return), and the lock is held until the
// tab closes. A tab closed while it waits takes the lock and lets it go at
// once.
func (b *fakeBrowser) lead(name string, f func(bool)) error {
	ctx := b.ctx
	ctx.mu.Lock()
	if ctx.noLocks {
		ctx.mu.Unlock()
		return errors.ErrUnsupported
	}
	l := ctx.locks[name]
	if l == nil {
		l = &sync.Mutex{}
		ctx.locks[name] = l
	}
	ctx.mu.Unlock()
	waited := !l.TryLock()
	if waited {
		l.Lock()
	}
	defer l.Unlock()
	if !b.isClosed() {
		b.mu.Lock()
		b.leads = true
		b.mu.Unlock()
		go f(waited)
	}
	<-b.closed
	return nil
}

// leader reports whether the tab holds the stream lock.
func (b *fakeBrowser) leader() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.leads && !b.isClosed()
}

// close closes the tab: it posts and hears nothing more, its locks are
// released, and its requests fail (its Client lives on, as in no browser,
// but can reach nothing).
func (b *fakeBrowser) close() { b.closeOnce.Do(func() { close(b.closed) }) }

func (b *fakeBrowser) isClosed() bool {
	select {
	case <-b.closed:
		return true
	default:
		return false
	}
}

func (b *fakeBrowser) WithLock(name string, f func(bool)) error {
	if name == client.StreamLockName {
		return b.lead(name, f)
	}
	return b.ctx.withLock(name, f)
}

func (b *fakeBrowser) GetItem(key string) (string, bool) {
	b.ctx.mu.Lock()
	defer b.ctx.mu.Unlock()
	v, ok := b.ctx.storage[key]
	return v, ok
}

func (b *fakeBrowser) SetItem(key, value string) {
	b.ctx.mu.Lock()
	defer b.ctx.mu.Unlock()
	b.ctx.storage[key] = value
}

func (b *fakeBrowser) RemoveItem(key string) {
	b.ctx.mu.Lock()
	defer b.ctx.mu.Unlock()
	delete(b.ctx.storage, key)
}

// lockMessages returns the lock messages the tab posted, as "op".
func (b *fakeBrowser) lockMessages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.messages {
		if m.Lock != "" {
			out = append(out, m.Lock)
		}
	}
	return out
}

// noStorage is a tab whose page may not use localStorage: it hides the
// fake's Storage methods.
type noStorage struct{ client.Browser }

func (n noStorage) Broadcast(message string) bool {
	return n.Browser.(client.Broadcaster).Broadcast(message)
}

func (n noStorage) WithLock(name string, f func(bool)) error {
	return n.Browser.(client.Locker).WithLock(name, f)
}

// posted is a message a tab posted: a client.Message, or the operation
// of a stream message.
type posted struct {
	client.Message
	stream string
}

// ---- browser context ---------------------------------------------------

// fakeContext is what the tabs of one browser profile share: the Web Locks,
// the BroadcastChannel and localStorage.
type fakeContext struct {
	t *testing.T

	mu      sync.Mutex
	tabs    []*fakeBrowser
	storage map[string]string
	// noLocks makes WithLock report errors.ErrUnsupported, as in a page
	// that is no secure context (browsers hide navigator.locks there);
	// noChannel makes Broadcast find no channel.
	noLocks, noChannel bool
	// holding keeps messages back (in held) until release.
	holding bool
	held    []func()
	// inFlight counts messages posted but not yet handled.
	inFlight int
	idle     *sync.Cond
	locks    map[string]*sync.Mutex
	waiting  int // tabs that found a lock held and wait for it now
	holders  int // tabs holding a lock now
	// maxHolders is the most tabs that held a lock at once.
	maxHolders int
}

func newFakeContext(t *testing.T) *fakeContext {
	ctx := &fakeContext{t: t, storage: map[string]string{}, locks: map[string]*sync.Mutex{}}
	ctx.idle = sync.NewCond(&ctx.mu)
	return ctx
}

// post delivers m to every other tab of the context, in order, each in its
// own goroutine as a BroadcastChannel does.
func (ctx *fakeContext) post(from *fakeBrowser, message string) bool {
	ctx.mu.Lock()
	defer ctx.mu.Unlock()
	if ctx.noChannel {
		return false
	}
	v, ok := parseJSON(message)
	if !ok {
		ctx.t.Errorf("bad message %s", message)
	}
	for _, tab := range ctx.tabs {
		if tab == from || tab.isClosed() {
			continue
		}
		ctx.inFlight++
		deliver := func() { tab.inbox <- v }
		if ctx.holding {
			ctx.held = append(ctx.held, deliver)
		} else {
			deliver()
		}
	}
	return true
}

func (ctx *fakeContext) delivered() {
	ctx.mu.Lock()
	defer ctx.mu.Unlock()
	ctx.inFlight--
	ctx.idle.Broadcast()
}

// waiters returns how many tabs wait for a lock.
func (ctx *fakeContext) waiters() int {
	ctx.mu.Lock()
	defer ctx.mu.Unlock()
	return ctx.waiting
}

// hold keeps the messages posted from now on back until release.
func (ctx *fakeContext) hold() {
	ctx.mu.Lock()
	defer ctx.mu.Unlock()
	ctx.holding = true
}

// release delivers the messages held back, and the later ones at once.
func (ctx *fakeContext) release() {
	ctx.mu.Lock()
	defer ctx.mu.Unlock()
	ctx.holding = false
	for _, d := range ctx.held {
		d()
	}
	ctx.held = nil
}

// settle waits until every message posted has been handled.
func (ctx *fakeContext) settle() {
	ctx.mu.Lock()
	defer ctx.mu.Unlock()
	for ctx.inFlight > 0 && !ctx.holding {
		ctx.idle.Wait()
	}
}

// withLock is navigator.locks.request: one holder per name at a time. The
// lock passes on once the messages its holder posted are handled, as
// usually happens in a browser (held-back messages excepted).
func (ctx *fakeContext) withLock(name string, f func(waited bool)) error {
	ctx.mu.Lock()
	if ctx.noLocks {
		ctx.mu.Unlock()
		return errors.ErrUnsupported
	}
	l := ctx.locks[name]
	if l == nil {
		l = &sync.Mutex{}
		ctx.locks[name] = l
	}
	ctx.mu.Unlock()
	// A tab waits once it found the lock held, not before it looked: a
	// test that sees a waiter may let the holder go on, and the waiter
	// must still have waited.
	waited := !l.TryLock()
	if waited {
		ctx.mu.Lock()
		ctx.waiting++
		ctx.mu.Unlock()
		l.Lock()
	}
	defer l.Unlock()
	ctx.mu.Lock()
	if waited {
		ctx.waiting--
	}
	ctx.holders++
	ctx.maxHolders = max(ctx.maxHolders, ctx.holders)
	ctx.mu.Unlock()
	f(waited)
	ctx.mu.Lock()
	ctx.holders--
	ctx.mu.Unlock()
	ctx.settle()
	return nil
}

// handle sets the answer for a path.
func (b *fakeBrowser) handle(path string, h func(client.Request) (*client.Response, error)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handlers[path] = h
}

// add appends an element; attrs are name, value pairs.
func (b *fakeBrowser) add(parent *fakeElement, tag string, attrs ...string) *fakeElement {
	e := &fakeElement{b: b, tag: tag, attrs: map[string]string{}, parent: parent}
	for i := 0; i+1 < len(attrs); i += 2 {
		e.attrs[attrs[i]] = attrs[i+1]
	}
	b.mu.Lock()
	b.elems = append(b.elems, e)
	b.mu.Unlock()
	return e
}

func (b *fakeBrowser) byID(id string) *fakeElement {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.elems {
		if e.attrs["id"] == id {
			return e
		}
	}
	b.t.Fatalf("no element #%s", id)
	return nil
}

func (b *fakeBrowser) url() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimPrefix(b.entries[b.pos].url, origin)
}

func (b *fakeBrowser) history() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, e := range b.entries {
		out = append(out, strings.TrimPrefix(e.url, origin))
	}
	return out
}

func (b *fakeBrowser) eventsNamed(name string) []any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []any
	for _, e := range b.events {
		if e.name == name {
			out = append(out, e.detail)
		}
	}
	return out
}

func (b *fakeBrowser) blocked() []client.Blocked {
	var out []client.Blocked
	for _, d := range b.eventsNamed(client.EventBlocked) {
		out = append(out, d.(client.Blocked))
	}
	return out
}

func (b *fakeBrowser) count(path string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, r := range b.requests {
		if r.URL == path {
			n++
		}
	}
	return n
}

func (b *fakeBrowser) lastRequest() client.Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.requests[len(b.requests)-1]
}

// ---- answers -----------------------------------------------------------

// answer returns a handler that answers status with the JSON body and the
// headers given as name, value pairs.
func answer(status int, body string, headers ...string) func(client.Request) (*client.Response, error) {
	return func(client.Request) (*client.Response, error) {
		r := &client.Response{Status: status, Header: map[string]string{}}
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header[strings.ToLower(headers[i])] = headers[i+1]
		}
		var ok bool
		r.Body, ok = parseJSON(body)
		r.BadBody = !ok
		return r, nil
	}
}

func networkError(client.Request) (*client.Response, error) {
	return nil, errors.New("TypeError: Failed to fetch")
}

func signedIn(expires wire.Time) func(client.Request) (*client.Response, error) {
	return answer(200, `{"status":200}`, wire.ExpiresHeader, timeOf(expires).Format(wire.TimeFormat))
}

var signedOut = answer(200, `{"status":401}`)

// ---- clock -------------------------------------------------------------

type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c    *fakeClock
	at   time.Time
	f    func()
	done bool
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) UnixNano() int64 { return c.Now().UnixNano() }

func (c *fakeClock) AfterFunc(d lite.Duration, f func()) client.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(time.Duration(d) * time.Millisecond), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

// set moves the time to t without running timers, as when a hidden tab's
// timers are held back.
func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// pending counts the timers that have not fired or been stopped.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.done {
			n++
		}
	}
	return n
}

// Advance moves the time forward by d, running the timers that come due in
// order, in the calling goroutine.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	for {
		var next *fakeTimer
		for _, t := range c.timers {
			if !t.done && !t.at.After(end) && (next == nil || t.at.Before(next.at)) {
				next = t
			}
		}
		if next == nil {
			break
		}
		next.done = true
		if next.at.After(c.now) {
			c.now = next.at
		}
		c.mu.Unlock()
		next.f()
		c.mu.Lock()
	}
	c.now = end
	c.mu.Unlock()
}

// ---- harness -----------------------------------------------------------

type setup struct {
	url        string
	session    *wire.Session
	config     string
	noEmbedded bool
	ctx        *fakeContext
	clock      *fakeClock
	// access is the data-access-expires of the embedded session (jwt).
	access    time.Time
	noStorage bool
	// live gives the tab a live event stream (Streamer) and lists
	// (Filler); instant turns on the known-state rule.
	live    *fakeLive
	instant bool
}

type option func(*setup)

func at(url string) option { return func(s *setup) { s.url = url } }

func as(sess *wire.Session) option { return func(s *setup) { s.session = sess } }

func withConfig(cfg string) option { return func(s *setup) { s.config = cfg } }

// inContext opens the tab in ctx, beside the tabs already there.
func inContext(ctx *fakeContext) option { return func(s *setup) { s.ctx = ctx } }

// onClock gives the tab's Client the clock c (tabs of one test share one).
func onClock(c *fakeClock) option { return func(s *setup) { s.clock = c } }

// accessUntil embeds the access token's expiry with the session.
func accessUntil(t time.Time) option { return func(s *setup) { s.access = t } }

// withoutStorage makes a page that may not use localStorage.
func withoutStorage() option { return func(s *setup) { s.noStorage = true } }

func defaultConfig() string {
	return mustJSON(wire.Config{
		PublicPaths: strings.Split(policytest.DefaultPublic, ","),
		AdminPaths:  strings.Split(policytest.DefaultAdmin, ","),
		SignInPath:  "/",
		MaxAge:      1800,
	})
}

type harness struct {
	t     *testing.T
	b     *fakeBrowser
	page  client.Browser // b, or b without storage
	clock *fakeClock
	c     *client.Client
	// instant is WithInstantGuard's argument.
	instant bool
}

// newPage returns a fake browser showing the demo page's structure at url,
// and a clock at t0, without a Client.
func newPage(t *testing.T, opts ...option) (*harness, setup) {
	t.Helper()
	s := setup{url: "/public?from=test", config: defaultConfig()}
	for _, o := range opts {
		o(&s)
	}
	if s.ctx == nil {
		s.ctx = newFakeContext(t)
	}
	if s.clock == nil {
		s.clock = &fakeClock{now: t0}
	}
	b := newFakeTab(t, s.ctx, s.url)
	if !s.noEmbedded {
		b.embedded[client.ElemConfigID] = s.config
		b.embedded[client.ElemSessionID] = "null"
		if s.session != nil {
			b.embedded[client.ElemSessionID] = mustJSON(s.session)
		}
	}
	nav := b.add(nil, "NAV")
	b.add(nav, "A", "id", "nav-home", "href", "/")
	b.add(nav, "A", "id", "nav-dashboard", "href", "/dashboard", "data-sg-show", "authenticated")
	b.add(nav, "A", "id", "nav-admin", "href", "/admin", "data-sg-role", "admin")
	b.add(nil, "SECTION", "id", "view-home", "data-sg-route", "/")
	b.add(nil, "SECTION", "id", "view-public", "data-sg-route", "/public")
	b.add(nil, "SECTION", "id", "view-dashboard", "data-sg-route", "/dashboard")
	b.add(nil, "SECTION", "id", "view-admin", "data-sg-route", "/admin/*", "data-sg-role", "admin")
	b.add(nil, "SECTION", "id", "view-missing", "data-sg-route", "*")
	b.add(nil, "P", "id", "signed-in", "data-sg-show", "authenticated")
	b.add(nil, "P", "id", "signed-out", "data-sg-show", "anonymous")
	b.add(nil, "SPAN", "id", "name", "data-sg-text", "user.name")
	b.add(nil, "SPAN", "id", "email", "data-sg-text", "user.email")
	b.add(nil, "SPAN", "id", "role", "data-sg-text", "user.role")
	b.add(nil, "SPAN", "id", "uid", "data-sg-text", "user.id")
	b.add(nil, "SPAN", "id", "expires", "data-sg-text", "expires")
	b.add(nil, "SPAN", "id", "countdown", "data-sg-countdown", "expires")
	if !s.access.IsZero() {
		b.add(nil, "SCRIPT", "id", client.ElemSessionID, client.AttrAccessExpires, s.access.Format(wire.TimeFormat))
	}
	h := &harness{t: t, b: b, page: b, clock: s.clock, instant: s.instant}
	if s.noStorage {
		h.page = noStorage{b}
	}
	if s.live != nil {
		h.page = liveTab{b, s.live}
	}
	return h, s
}

// start returns a booted Client on the demo page. The status endpoint
// answers as the session given with as: signed in or not.
func start(t *testing.T, opts ...option) *harness {
	t.Helper()
	h, s := newPage(t, opts...)
	if s.session != nil {
		h.b.handle(wire.PathStatus, signedIn(s.session.Expires))
	} else {
		h.b.handle(wire.PathStatus, signedOut)
	}
	h.boot()
	return h
}

func (h *harness) boot() {
	h.t.Helper()
	h.c = client.New(h.page, h.clock, client.WithInstantGuard(h.instant))
	h.b.attach(h.c)
	require.NoError(h.t, h.c.Boot())
}

// wait returns the outcome of a navigation.
func (h *harness) wait(ch <-chan bool) bool {
	h.t.Helper()
	require.NotNil(h.t, ch, "no navigation started")
	select {
	case ok := <-ch:
		return ok
	case <-time.After(10 * time.Second):
		h.t.Fatal("navigation did not finish")
		return false
	}
}

// popstate delivers the oldest popstate event the fake history queued.
func (h *harness) popstate() <-chan bool {
	h.t.Helper()
	h.b.mu.Lock()
	require.NotEmpty(h.t, h.b.popstates, "no popstate queued")
	p := h.b.popstates[0]
	h.b.popstates = h.b.popstates[1:]
	h.b.mu.Unlock()
	return h.c.HandlePopState(p.index, p.has)
}

// click clicks a new link with the given attributes (name, value pairs)
// with the main button and no modifier.
func (h *harness) click(attrs ...string) <-chan bool {
	a := h.b.add(nil, "A", attrs...)
	return h.c.HandleClick(client.ClickEvent{Target: a})
}

// visible returns the ids of the elements that are not hidden among ids.
func (h *harness) visible(ids ...string) []string {
	var out []string
	for _, id := range ids {
		if !h.b.byID(id).Hidden() {
			out = append(out, id)
		}
	}
	return out
}

var views = []string{"view-home", "view-public", "view-dashboard", "view-admin", "view-missing"}

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
	"github.com/sessionguard/sessionguard/wire"
)

// This file holds a fake browser: a DOM of a few elements, a session history
// that behaves like the real one (push truncates, go queues a popstate), a
// fetch that answers from per-path handlers, recorded events, and a clock
// that moves only when told. It needs no DOM, so the tests run natively and
// under Node.

const origin = "https://app.test"

var t0 = time.Date(2026, 11, 23, 16, 11, 44, 0, time.UTC)

var (
	userSession  = &wire.Session{User: wire.User{ID: "u1", Email: "user@example.com", Name: "Demo User", Role: "user"}, Expires: t0.Add(30 * time.Minute)}
	adminSession = &wire.Session{User: wire.User{ID: "a1", Email: "admin@example.com", Name: "Demo Admin", Role: "admin"}, Expires: t0.Add(30 * time.Minute)}
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
	t *testing.T

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
	broadcasts []*wire.Session
	scrolls    []string
}

func newFakeBrowser(t *testing.T, url string) *fakeBrowser {
	return &fakeBrowser{
		t:        t,
		entries:  []entry{{url: origin + url}},
		embedded: map[string]string{},
		handlers: map[string]func(client.Request) (*client.Response, error){},
	}
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

func (b *fakeBrowser) Dispatch(name string, detail any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, event{name, detail})
}

func (b *fakeBrowser) Fetch(req client.Request) (*client.Response, error) {
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

func (b *fakeBrowser) Broadcast(s *wire.Session) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.broadcasts = append(b.broadcasts, s)
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

func signedIn(expires time.Time) func(client.Request) (*client.Response, error) {
	return answer(200, `{"status":200}`, wire.ExpiresHeader, expires.Format(wire.TimeFormat))
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

func (c *fakeClock) AfterFunc(d time.Duration, f func()) client.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
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
}

type option func(*setup)

func at(url string) option { return func(s *setup) { s.url = url } }

func as(sess *wire.Session) option { return func(s *setup) { s.session = sess } }

func withConfig(cfg string) option { return func(s *setup) { s.config = cfg } }

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
	clock *fakeClock
	c     *client.Client
}

// newPage returns a fake browser showing the demo page's structure at url,
// and a clock at t0, without a Client.
func newPage(t *testing.T, opts ...option) (*harness, setup) {
	t.Helper()
	s := setup{url: "/public?from=test", config: defaultConfig()}
	for _, o := range opts {
		o(&s)
	}
	b := newFakeBrowser(t, s.url)
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
	return &harness{t: t, b: b, clock: &fakeClock{now: t0}}, s
}

// start returns a booted Client on the demo page. The status endpoint
// answers as the session given with as: signed in or not.
func start(t *testing.T, opts ...option) *harness {
	t.Helper()
	h, s := newPage(t, opts...)
	if s.session != nil {
		h.b.handle(client.PathStatus, signedIn(s.session.Expires))
	} else {
		h.b.handle(client.PathStatus, signedOut)
	}
	h.boot()
	return h
}

func (h *harness) boot() {
	h.t.Helper()
	h.c = client.New(h.b, client.WithClock(h.clock))
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

//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"
	"time"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

// This is the only file that imports syscall/js. browser implements
// client.Browser (and the optional client.Broadcaster, client.Locker,
// client.Storage and client.Clock) on the real page. JavaScript exceptions,
// which syscall/js turns into Go panics, are caught where page code or the
// platform can throw.

// stateKey is the member of history.state that holds the Client's index.
const stateKey = "sgIndex"

// channelName is the BroadcastChannel that tabs of one origin share.
const channelName = "sessionguard"

// lockTimeout bounds the wait for the refresh lock (navigator.locks): the
// tab holding it gives it back after one request at most.
const lockTimeout = 30 * time.Second

// activityEvents are the user input that counts as activity (see
// client.Client.Activity); they are listened to on window, in the capture
// phase and passively.
var activityEvents = []string{"pointerdown", "keydown", "wheel", "scroll", "touchstart"}

type browser struct {
	win, doc, history, location js.Value
	object, json, array         js.Value
	channel                     js.Value // a BroadcastChannel, or undefined
	inbox                       chan client.Value
	listeners                   []listener
}

// listener is one event listener the module added; close removes it.
type listener struct {
	target  js.Value
	event   string
	capture bool
	fn      js.Func
}

func newBrowser() *browser {
	g := js.Global()
	b := &browser{
		win: g, doc: g.Get("document"), history: g.Get("history"), location: g.Get("location"),
		object: g.Get("Object"), json: g.Get("JSON"), array: g.Get("Array"),
	}
	if bc := g.Get("BroadcastChannel"); bc.Type() == js.TypeFunction {
		b.try("BroadcastChannel", func() { b.channel = bc.New(channelName) })
	}
	return b
}

// try runs f and reports whether it ran without a JavaScript exception;
// an exception is logged to the console.
func (b *browser) try(what string, f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
			msg := "panic"
			if e, isErr := r.(error); isErr {
				msg = e.Error()
			}
			b.win.Get("console").Call("error", "sessionguard: "+what+": "+msg)
		}
	}()
	f()
	return true
}

// listen routes the page's events to c. It may run before c boots: c
// ignores what it cannot handle yet, but takes the refresh lock's messages.
func (b *browser) listen(c *client.Client) {
	b.on(b.win, "click", func(ev js.Value) {
		ce := client.ClickEvent{
			Button:           ev.Get("button").Int(),
			Ctrl:             ev.Get("ctrlKey").Truthy(),
			Meta:             ev.Get("metaKey").Truthy(),
			Shift:            ev.Get("shiftKey").Truthy(),
			Alt:              ev.Get("altKey").Truthy(),
			DefaultPrevented: ev.Get("defaultPrevented").Truthy(),
			Target:           elementOf(ev.Get("target")),
		}
		if c.HandleClick(ce) != nil {
			ev.Call("preventDefault")
		}
	})
	b.on(b.win, "popstate", func(ev js.Value) {
		idx, ok := indexOf(ev.Get("state"))
		c.HandlePopState(idx, ok)
	})
	b.on(b.win, "pageshow", func(ev js.Value) {
		if ev.Get("persisted").Truthy() {
			go c.Refresh()
		}
	})
	b.on(b.doc, "visibilitychange", func(js.Value) {
		if b.Visible() {
			c.Activity()
			c.PageShown()
			go c.Tick()
		}
	})
	for _, event := range activityEvents {
		b.onCapture(b.win, event, func(js.Value) { c.Activity() })
	}
	if b.channel.Type() == js.TypeObject {
		// One goroutine handles the messages, in the order they came:
		// a tab's new session must be known before its release of the
		// refresh lock.
		b.inbox = make(chan client.Value, 256)
		go func(inbox <-chan client.Value) {
			for m := range inbox {
				c.HandleBroadcast(m)
			}
		}(b.inbox)
		b.on(b.channel, "message", func(ev js.Value) {
			select {
			case b.inbox <- wrap(ev.Get("data")):
			default: // hundreds behind: drop rather than block the page
			}
		})
	}
}

func (b *browser) on(target js.Value, event string, f func(ev js.Value)) {
	b.addListener(target, event, false, f)
}

// onCapture listens in the capture phase, passively (never preventing the
// default action).
func (b *browser) onCapture(target js.Value, event string, f func(ev js.Value)) {
	b.addListener(target, event, true, f)
}

func (b *browser) addListener(target js.Value, event string, capture bool, f func(ev js.Value)) {
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 0 {
			b.try(event, func() { f(args[0]) })
		}
		return nil
	})
	if capture {
		opts := b.object.New()
		opts.Set("capture", true)
		opts.Set("passive", true)
		target.Call("addEventListener", event, fn, opts)
	} else {
		target.Call("addEventListener", event, fn)
	}
	b.listeners = append(b.listeners, listener{target, event, capture, fn})
}

// close removes the listeners and releases their functions.
func (b *browser) close() {
	for _, l := range b.listeners {
		l.target.Call("removeEventListener", l.event, l.fn, l.capture)
		l.fn.Release()
	}
	b.listeners = nil
	if b.inbox != nil {
		close(b.inbox)
		b.inbox = nil
	}
	if b.channel.Type() == js.TypeObject {
		b.channel.Call("close")
	}
}

func (b *browser) Location() client.Location {
	l := b.location
	return client.Location{
		Origin: l.Get("origin").String(),
		Path:   l.Get("pathname").String(),
		Search: l.Get("search").String(),
		Hash:   l.Get("hash").String(),
	}
}

func (b *browser) Embedded(id string) (client.Value, bool) {
	el := b.doc.Call("getElementById", id)
	if el.Type() != js.TypeObject {
		return nil, false
	}
	return b.parse(el.Get("textContent").String())
}

// parse runs JSON.parse; ok is false when text is not JSON.
func (b *browser) parse(text string) (v client.Value, ok bool) {
	ok = b.try("JSON.parse", func() { v = wrap(b.json.Call("parse", text)) })
	return v, ok
}

func indexOf(state js.Value) (int, bool) {
	if state.Type() != js.TypeObject {
		return 0, false
	}
	i := state.Get(stateKey)
	if i.Type() != js.TypeNumber {
		return 0, false
	}
	return i.Int(), true
}

func (b *browser) HistoryIndex() (int, bool) { return indexOf(b.history.Get("state")) }

func (b *browser) PushState(index int, url string) {
	state := b.object.New()
	state.Set(stateKey, index)
	if !b.try("pushState", func() { b.history.Call("pushState", state, "", url) }) {
		b.Load(url, false)
	}
}

func (b *browser) ReplaceState(index int, url string) {
	// Keep what other code stored in the entry's state.
	state := b.object.New()
	if old := b.history.Get("state"); old.Type() == js.TypeObject {
		b.object.Call("assign", state, old)
	}
	state.Set(stateKey, index)
	b.try("replaceState", func() { b.history.Call("replaceState", state, "", url) })
}

func (b *browser) Go(delta int) { b.try("history.go", func() { b.history.Call("go", delta) }) }

func (b *browser) Load(url string, replace bool) {
	method := "assign"
	if replace {
		method = "replace"
	}
	b.try("location."+method, func() { b.location.Call(method, url) })
}

func (b *browser) ScrollTo(hash string) {
	if len(hash) > 1 {
		var el js.Value
		b.try("scroll to "+hash, func() {
			id := b.win.Call("decodeURIComponent", hash[1:])
			el = b.doc.Call("getElementById", id)
		})
		if el.Type() == js.TypeObject {
			el.Call("scrollIntoView")
			return
		}
	}
	b.win.Call("scrollTo", 0, 0)
}

func (b *browser) Query(selector string) []client.Element {
	var out []client.Element
	b.try("querySelectorAll", func() {
		list := b.doc.Call("querySelectorAll", selector)
		n := list.Length()
		out = make([]client.Element, n)
		for i := 0; i < n; i++ {
			out[i] = element{list.Index(i)}
		}
	})
	return out
}

func (b *browser) Dispatch(event, detail string) {
	init := b.object.New()
	init.Set("detail", parseJSON(detail))
	b.try("dispatchEvent", func() {
		b.win.Call("dispatchEvent", b.win.Get("CustomEvent").New(event, init))
	})
}

func (b *browser) Fetch(req client.Request) (*client.Response, error) {
	init := b.object.New()
	init.Set("method", req.Method)
	init.Set("credentials", "same-origin")
	init.Set("cache", "no-store")
	headers := b.object.New()
	headers.Set("Accept", "application/json")
	if req.Body != nil {
		body := b.object.New()
		for k, v := range req.Body {
			body.Set(k, v)
		}
		headers.Set("Content-Type", "application/json")
		init.Set("body", b.json.Call("stringify", body))
	}
	if req.JSON != "" {
		headers.Set("Content-Type", "application/json")
		init.Set("body", req.JSON)
	}
	init.Set("headers", headers)
	if req.Timeout > 0 {
		if as := b.win.Get("AbortSignal"); as.Type() == js.TypeFunction && as.Get("timeout").Type() == js.TypeFunction {
			init.Set("signal", as.Call("timeout", req.Timeout.Milliseconds()))
		}
	}
	var promise js.Value
	if !b.try("fetch", func() { promise = b.win.Call("fetch", req.URL, init) }) {
		return nil, errors.New("fetch refused " + req.URL)
	}
	resp, err := await(promise)
	if err != nil {
		return nil, err
	}
	text, err := await(resp.Call("text"))
	if err != nil {
		return nil, err
	}
	r := &client.Response{Status: resp.Get("status").Int(), Header: map[string]string{}}
	pairs := b.array.Call("from", resp.Get("headers"))
	for i, n := 0, pairs.Length(); i < n; i++ {
		p := pairs.Index(i)
		r.Header[p.Index(0).String()] = p.Index(1).String()
	}
	var ok bool
	r.Body, ok = b.parse(text.String())
	r.BadBody = !ok
	return r, nil
}

// Visible reports whether document.visibilityState is "visible".
func (b *browser) Visible() bool {
	return b.doc.Get("visibilityState").String() == "visible"
}

// OpenStream fetches url for streaming: the body is read piece by piece
// with a ReadableStream reader and a streaming TextDecoder.
func (b *browser) OpenStream(url string) (int, client.Stream, error) {
	ctrl := b.win.Get("AbortController").New()
	init := b.object.New()
	init.Set("credentials", "same-origin")
	init.Set("cache", "no-store")
	init.Set("signal", ctrl.Get("signal"))
	headers := b.object.New()
	headers.Set("Accept", "text/event-stream")
	init.Set("headers", headers)
	var promise js.Value
	if !b.try("fetch", func() { promise = b.win.Call("fetch", url, init) }) {
		return 0, nil, errors.New("fetch refused " + url)
	}
	resp, err := await(promise)
	if err != nil {
		return 0, nil, err
	}
	status := resp.Get("status").Int()
	body := resp.Get("body")
	if status != 200 || body.Type() != js.TypeObject {
		quiet(func() { ctrl.Call("abort") })
		return status, nil, nil
	}
	return status, &stream{ctrl: ctrl, reader: body.Call("getReader"), decoder: b.win.Get("TextDecoder").New(), opts: b.object.New()}, nil
}

// stream is the body of an answer that OpenStream opened.
type stream struct {
	ctrl, reader, decoder, opts js.Value
}

func (s *stream) Read() (string, error) {
	r, err := await(s.reader.Call("read"))
	if err != nil {
		return "", err
	}
	if r.Get("done").Truthy() {
		return "", errors.New("end of stream")
	}
	s.opts.Set("stream", true)
	return s.decoder.Call("decode", r.Get("value"), s.opts).String(), nil
}

func (s *stream) Close() { quiet(func() { s.ctrl.Call("abort") }) }

// Fill renders n clones of the first <template> in container after it,
// replacing the clones of the last Fill (marked data-sg-item).
func (b *browser) Fill(container client.Element, n int) []client.Element {
	var out []client.Element
	b.try("fill a list", func() {
		tpl := container.(element).v.Call("querySelector", "template")
		if tpl.Type() != js.TypeObject {
			return
		}
		parent := tpl.Get("parentNode")
		old := parent.Call("querySelectorAll", ":scope > [data-sg-item]")
		for i := old.Length() - 1; i >= 0; i-- {
			old.Index(i).Call("remove")
		}
		for i := 0; i < n; i++ {
			root := tpl.Get("content").Call("cloneNode", true).Get("firstElementChild")
			if root.Type() != js.TypeObject {
				return
			}
			root.Call("setAttribute", "data-sg-item", "")
			parent.Call("appendChild", root)
			out = append(out, element{root})
		}
	})
	return out
}

func (b *browser) Broadcast(message string) bool {
	if b.channel.Type() != js.TypeObject {
		return false
	}
	return b.try("postMessage", func() { b.channel.Call("postMessage", parseJSON(message)) })
}

// WithLock holds the Web Lock name (navigator.locks.request) while f runs.
// It first asks with ifAvailable, which tells whether another tab holds the
// lock, and then, if one does, waits for it. The lock is given back when
// the Promise that the callback returns settles, which is after f, even if
// f panics.
func (b *browser) WithLock(name string, f func(waited bool)) error {
	locks := b.win.Get("navigator").Get("locks")
	if locks.Type() != js.TypeObject || locks.Get("request").Type() != js.TypeFunction {
		return errors.ErrUnsupported
	}
	ran, waited := false, false
	cb := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if first(args).IsNull() { // ifAvailable, and another tab holds it
			return nil
		}
		ran = true
		var resolve js.Value
		executor := js.FuncOf(func(_ js.Value, args []js.Value) any {
			resolve = first(args)
			return nil
		})
		p := b.win.Get("Promise").New(executor)
		executor.Release()
		go func(waited bool) {
			defer resolve.Invoke()
			f(waited)
		}(waited)
		return p
	})
	defer cb.Release()
	for _, wait := range []bool{false, true} {
		opts := b.object.New()
		if !wait {
			opts.Set("ifAvailable", true)
		} else if as := b.win.Get("AbortSignal"); as.Type() == js.TypeFunction && as.Get("timeout").Type() == js.TypeFunction {
			opts.Set("signal", as.Call("timeout", lockTimeout.Milliseconds()))
		}
		waited = wait
		var req js.Value
		if !b.try("navigator.locks.request", func() { req = locks.Call("request", name, opts, cb) }) {
			return errors.New("navigator.locks.request refused")
		}
		if _, err := await(req); err != nil || ran {
			return err
		}
	}
	return nil
}

// storage returns the page's localStorage, or false where the page may not
// use it (it is missing, or reading it throws). Nothing is logged: a page
// without storage is no error.
func (b *browser) storage() (s js.Value, ok bool) {
	ok = quiet(func() { s = b.win.Get("localStorage") })
	return s, ok && s.Type() == js.TypeObject
}

// quiet runs f and reports whether it ran without a JavaScript exception,
// which it does not log.
func quiet(f func()) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	f()
	return true
}

func (b *browser) GetItem(key string) (string, bool) {
	var v js.Value
	st, ok := b.storage()
	if !ok || !quiet(func() { v = st.Call("getItem", key) }) || v.Type() != js.TypeString {
		return "", false
	}
	return v.String(), true
}

func (b *browser) SetItem(key, value string) {
	if st, ok := b.storage(); ok {
		quiet(func() { st.Call("setItem", key, value) }) // full or blocked: the hint is only a hint
	}
}

func (b *browser) RemoveItem(key string) {
	if st, ok := b.storage(); ok {
		quiet(func() { st.Call("removeItem", key) })
	}
}

func (b *browser) UnixNano() int64 { return time.Now().UnixNano() }

// AfterFunc schedules f with setTimeout; f runs in its own goroutine, so the
// timer's callback returns to JavaScript at once.
func (b *browser) AfterFunc(d time.Duration, f func()) client.Timer {
	t := &timer{b: b}
	t.fn = js.FuncOf(func(js.Value, []js.Value) any {
		if !t.done {
			t.done = true
			t.fn.Release()
			go f()
		}
		return nil
	})
	ms := (d + time.Millisecond - 1) / time.Millisecond
	t.id = b.win.Call("setTimeout", t.fn, int64(ms))
	return t
}

// timer is a setTimeout. The module runs on one thread, so done needs no
// lock.
type timer struct {
	b    *browser
	id   js.Value
	fn   js.Func
	done bool
}

func (t *timer) Stop() bool {
	if t.done {
		return false
	}
	t.done = true
	t.b.win.Call("clearTimeout", t.id)
	t.fn.Release()
	return true
}

// element is a DOM element.
type element struct{ v js.Value }

// elementOf returns the element an event target is or is in, or nil.
func elementOf(v js.Value) client.Element {
	if v.Type() != js.TypeObject {
		return nil
	}
	if v.Get("nodeType").Int() != 1 { // a text node: take its parent
		v = v.Get("parentElement")
		if v.Type() != js.TypeObject {
			return nil
		}
	}
	return element{v}
}

func (e element) Attr(name string) (string, bool) {
	a := e.v.Call("getAttribute", name)
	if a.Type() != js.TypeString {
		return "", false
	}
	return a.String(), true
}

func (e element) SetHidden(hidden bool) {
	if e.v.Get("hidden").Truthy() != hidden {
		e.v.Set("hidden", hidden)
	}
}

func (e element) SetText(text string) {
	if e.v.Get("textContent").String() != text {
		e.v.Set("textContent", text)
	}
}

func (e element) Tag() string {
	if t := e.v.Get("tagName"); t.Type() == js.TypeString {
		return t.String()
	}
	return ""
}

func (e element) Parent() client.Element {
	p := e.v.Get("parentElement")
	if p.Type() != js.TypeObject {
		return nil
	}
	return element{p}
}

func (e element) SetAttr(name, value string) { e.v.Call("setAttribute", name, value) }

func (e element) Query(selector string) []client.Element {
	list := e.v.Call("querySelectorAll", selector)
	out := make([]client.Element, list.Length())
	for i := range out {
		out[i] = element{list.Index(i)}
	}
	return out
}

func (e element) Href() string {
	if h := e.v.Get("href"); h.Type() == js.TypeString { // not an SVG link
		return h.String()
	}
	return ""
}

// value is a JSON value made by JSON.parse.
type value struct{ v js.Value }

// wrap returns v as a client.Value; null and undefined are nil.
func wrap(v js.Value) client.Value {
	if v.IsNull() || v.IsUndefined() {
		return nil
	}
	return value{v}
}

func (j value) Get(key string) client.Value {
	if j.v.Type() != js.TypeObject {
		return nil
	}
	return wrap(j.v.Get(key))
}

func (j value) AsString() (string, bool) {
	if j.v.Type() != js.TypeString {
		return "", false
	}
	return j.v.String(), true
}

func (j value) AsNumber() (float64, bool) {
	if j.v.Type() != js.TypeNumber {
		return 0, false
	}
	return j.v.Float(), true
}

func (j value) AsBool() (bool, bool) {
	if j.v.Type() != js.TypeBoolean {
		return false, false
	}
	return j.v.Bool(), true
}

func (j value) Len() int {
	if !js.Global().Get("Array").Call("isArray", j.v).Bool() {
		return 0
	}
	return j.v.Length()
}

func (j value) Index(i int) client.Value {
	if i < 0 || i >= j.Len() {
		return nil
	}
	return wrap(j.v.Index(i))
}

// parseJSON parses JSON text that the Client made.
func parseJSON(text string) js.Value { return js.Global().Get("JSON").Call("parse", text) }

// sessionJS returns the session as the plain object of the contract, or
// null.
func sessionJS(s *wire.Session) js.Value { return parseJSON(client.SessionJSON(s)) }

// awaiter waits for a Promise from a goroutine (never from an event
// handler, which must not block).
type awaiter struct {
	resolve, reject js.Func
	ch              chan awaited
}

type awaited struct {
	v   js.Value
	err error
}

func await(p js.Value) (js.Value, error) {
	a := &awaiter{ch: make(chan awaited, 1)}
	a.resolve = js.FuncOf(func(_ js.Value, args []js.Value) any {
		a.ch <- awaited{v: first(args)}
		return nil
	})
	a.reject = js.FuncOf(func(_ js.Value, args []js.Value) any {
		a.ch <- awaited{err: jsError(first(args))}
		return nil
	})
	defer a.resolve.Release()
	defer a.reject.Release()
	p.Call("then", a.resolve, a.reject)
	r := <-a.ch
	return r.v, r.err
}

func first(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// jsError turns a rejection reason into an error.
func jsError(v js.Value) error {
	if v.Type() == js.TypeObject {
		if m := v.Get("message"); m.Type() == js.TypeString {
			name := v.Get("name")
			if name.Type() == js.TypeString {
				return errors.New(name.String() + ": " + m.String())
			}
			return errors.New(m.String())
		}
	}
	return errors.New("rejected: " + js.Global().Call("String", v).String())
}

// api is the object the loader wraps as window.sessionguard. Methods that
// wait take the Promise's resolve (and reject) functions as their last
// arguments and call them from a goroutine; none of them blocks.
type api struct {
	c      *client.Client
	b      *browser
	object js.Value

	session, isPublic, gotoFn, signIn, signOut, onChange, refresh js.Func
	devices, endSession, endOthers, changePassword, live          js.Func
	users, updateUser, endUserSessions                            js.Func
}

func newAPI(c *client.Client, b *browser) *api {
	a := &api{c: c, b: b, object: js.Global().Get("Object").New()}
	a.session = js.FuncOf(func(js.Value, []js.Value) any { return sessionJS(c.Session()) })
	a.isPublic = js.FuncOf(func(_ js.Value, args []js.Value) any {
		p := arg(args, 0)
		return p.Type() == js.TypeString && c.IsPublic(p.String())
	})
	// goto(path, {replace}, resolve)
	a.gotoFn = js.FuncOf(func(_ js.Value, args []js.Value) any {
		done := c.Goto(str(arg(args, 0)), arg(args, 1).Type() == js.TypeObject && arg(args, 1).Get("replace").Truthy())
		resolve := arg(args, 2)
		go func() { resolve.Invoke(<-done) }()
		return nil
	})
	// signIn({email, password, redirectUrl}, resolve)
	a.signIn = js.FuncOf(func(_ js.Value, args []js.Value) any {
		opts, resolve := arg(args, 0), arg(args, 1)
		email, password, redirect := field(opts, "email"), field(opts, "password"), field(opts, "redirectUrl")
		go func() { resolve.Invoke(resultJS(c.SignIn(email, password, redirect))) }()
		return nil
	})
	// signOut({redirectUrl}, resolve)
	a.signOut = js.FuncOf(func(_ js.Value, args []js.Value) any {
		redirect, resolve := field(arg(args, 0), "redirectUrl"), arg(args, 1)
		go func() { resolve.Invoke(resultJS(c.SignOut(redirect))) }()
		return nil
	})
	// onChange(fn) → off()
	a.onChange = js.FuncOf(func(_ js.Value, args []js.Value) any {
		fn := arg(args, 0)
		if fn.Type() != js.TypeFunction {
			return js.Undefined()
		}
		return newSubscription(c, b, fn).off.Value
	})
	// refresh(resolve, reject)
	a.refresh = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := arg(args, 0), arg(args, 1)
		go func() {
			s, err := c.Refresh()
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New("sessionguard: " + err.Error()))
				return
			}
			resolve.Invoke(sessionJS(s))
		}()
		return nil
	})
	// devices(resolve, reject), users(resolve, reject)
	a.devices = listFunc(c.Devices)
	a.users = listFunc(c.Users)
	// updateUser(id, {role, disabled}, resolve)
	a.updateUser = js.FuncOf(func(_ js.Value, args []js.Value) any {
		id, opts, resolve := str(arg(args, 0)), arg(args, 1), arg(args, 2)
		role, disabled := field(opts, "role"), ""
		if opts.Type() == js.TypeObject && opts.Get("disabled").Type() == js.TypeBoolean {
			disabled = "false"
			if opts.Get("disabled").Bool() {
				disabled = "true"
			}
		}
		go func() { resolve.Invoke(resultJS(c.UpdateUser(id, role, disabled))) }()
		return nil
	})
	// endUserSessions(id, resolve)
	a.endUserSessions = js.FuncOf(func(_ js.Value, args []js.Value) any {
		id, resolve := str(arg(args, 0)), arg(args, 1)
		go func() { resolve.Invoke(resultJS(c.EndUserSessions(id))) }()
		return nil
	})
	a.object.Set("users", a.users)
	a.object.Set("updateUser", a.updateUser)
	a.object.Set("endUserSessions", a.endUserSessions)
	// endSession(handle, resolve)
	a.endSession = js.FuncOf(func(_ js.Value, args []js.Value) any {
		handle, resolve := str(arg(args, 0)), arg(args, 1)
		go func() { resolve.Invoke(resultJS(c.EndSession(handle))) }()
		return nil
	})
	// endOtherSessions(resolve)
	a.endOthers = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve := arg(args, 0)
		go func() { resolve.Invoke(resultJS(c.EndOtherSessions())) }()
		return nil
	})
	// changePassword({currentPassword, newPassword}, resolve)
	a.changePassword = js.FuncOf(func(_ js.Value, args []js.Value) any {
		opts, resolve := arg(args, 0), arg(args, 1)
		cur, next := field(opts, "currentPassword"), field(opts, "newPassword")
		go func() { resolve.Invoke(resultJS(c.ChangePassword(cur, next))) }()
		return nil
	})
	a.live = js.FuncOf(func(js.Value, []js.Value) any { return c.Live() })
	a.object.Set("live", a.live)
	a.object.Set("devices", a.devices)
	a.object.Set("endSession", a.endSession)
	a.object.Set("endOtherSessions", a.endOthers)
	a.object.Set("changePassword", a.changePassword)
	a.object.Set("session", a.session)
	a.object.Set("isPublic", a.isPublic)
	a.object.Set("goto", a.gotoFn)
	a.object.Set("signIn", a.signIn)
	a.object.Set("signOut", a.signOut)
	a.object.Set("onChange", a.onChange)
	a.object.Set("refresh", a.refresh)
	return a
}

// listFunc returns a function(resolve, reject) that resolves with the JSON
// array read, or [] when the answer had none.
func listFunc(read func() (client.Value, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := arg(args, 0), arg(args, 1)
		go func() {
			items, err := read()
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New("sessionguard: " + err.Error()))
				return
			}
			out := js.Global().Get("Array").New()
			if v, ok := items.(value); ok {
				out = v.v
			}
			resolve.Invoke(out)
		}()
		return nil
	})
}

// bootHandle is the loader's globalThis.__sessionguardBoot: {attach(impl,
// session), fail(message)}; a zero handle (module started by something
// else) ignores both.
type bootHandle struct{ v js.Value }

// takeBoot returns the loader's handle. main takes it before it can block,
// since the loader deletes the global once the module first yields.
func takeBoot() bootHandle { return bootHandle{js.Global().Get(bootGlobal)} }

func (h bootHandle) ok() bool { return h.v.Type() == js.TypeObject }

// instantGuard reports whether the page opted in to the known-state rule
// (<script src="sessionguard.js" data-instant-guard>, passed by the loader
// as options.instantGuard).
func (h bootHandle) instantGuard() bool {
	return h.ok() && h.v.Get("options").Type() == js.TypeObject && h.v.Get("options").Get("instantGuard").Truthy()
}

// attach hands the page window.sessionguard's implementation and the
// initial session, which resolves sessionguard.ready.
func (h bootHandle) attach(c *client.Client, b *browser) {
	if h.ok() {
		h.v.Call("attach", newAPI(c, b).object, sessionJS(c.Session()))
	}
}

// fail rejects sessionguard.ready with message.
func (h bootHandle) fail(message string) {
	if h.ok() {
		h.v.Call("fail", message)
	}
}

// subscription is one onChange listener; calling off ends it and releases
// off itself.
type subscription struct {
	off   js.Func
	unsub func()
}

func newSubscription(c *client.Client, b *browser, fn js.Value) *subscription {
	s := &subscription{}
	s.unsub = c.OnChange(func(sess *wire.Session) {
		b.try("onChange listener", func() { fn.Invoke(sessionJS(sess)) })
	})
	s.off = js.FuncOf(func(js.Value, []js.Value) any {
		if s.unsub != nil {
			s.unsub()
			s.unsub = nil
			s.off.Release()
		}
		return nil
	})
	return s
}

// resultJS returns a result as {ok, error?, redirectUrl?, retryAfter?,
// revoked?, status}.
func resultJS(r client.Result) js.Value { return parseJSON(r.JSON()) }

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

func str(v js.Value) string {
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

func field(o js.Value, key string) string {
	if o.Type() != js.TypeObject {
		return ""
	}
	return str(o.Get(key))
}

//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/sessionguard/sessionguard/wasm/client"
)

// The *_wasm.go files are the module's only contact with the page, and
// the only files that import syscall/js; one concern each:
//
//	browser_wasm.go  the browser value, its event listeners, try and quiet
//	history_wasm.go  location and history (client.Browser's navigation)
//	fetch_wasm.go    fetch (client.Browser.Fetch)
//	stream_wasm.go   the streamed fetch of the event stream (client.Streamer)
//	dom_wasm.go      elements, queries, lists, events (client.Element, client.Filler)
//	value_wasm.go    JSON values (client.Value) and the embedded JSON
//	channel_wasm.go  the BroadcastChannel to the other tabs (client.Broadcaster)
//	lock_wasm.go     Web Locks (client.Locker)
//	storage_wasm.go  localStorage (client.Storage)
//	clock_wasm.go    setTimeout (client.Clock)
//	promise_wasm.go  waiting for a Promise from Go
//	api_wasm.go      the object behind window.sessionguard
//	boot_wasm.go     the loader's handle
//
// browser implements client.Browser and its optional abilities on the real
// page. JavaScript exceptions, which syscall/js turns into Go panics, are
// caught where page code or the platform can throw. Every js.Func lives in
// a field of what owns it and is released when that ends.

// activityEvents are the user input that counts as activity (see
// client.Client.Activity); they are listened to on window, in the capture
// phase and passively.
var activityEvents = []string{"pointerdown", "keydown", "wheel", "scroll", "touchstart"}

type browser struct {
	win, doc, history, location js.Value
	object, json, array, date   js.Value
	channel                     js.Value // a BroadcastChannel, or undefined
	// navigation is the Navigation API's object, or undefined where the
	// browser has none; ownNav counts the module's own history calls under
	// way, whose navigate events are not page code's.
	navigation js.Value
	ownNav     int
	inbox      chan client.Value
	listeners  []listener
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
		object: g.Get("Object"), json: g.Get("JSON"), array: g.Get("Array"), date: g.Get("Date"),
		navigation: g.Get("navigation"),
	}
	b.openChannel()
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
	if b.navigation.Type() == js.TypeObject {
		b.on(b.navigation, "navigate", func(ev js.Value) { b.routerNavigation(c, ev) })
	}
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
	b.listenChannel(c)
}

// routerNavigation hands the Client a same-document push or replace
// navigation that page code started (history.pushState or replaceState, by
// an app's router), before it commits. Traversals stay with popstate,
// fragment changes with popstate too, and navigations to another document
// with the server.
func (b *browser) routerNavigation(c *client.Client, ev js.Value) {
	if b.ownNav > 0 {
		return
	}
	typ := ev.Get("navigationType").String()
	dest := ev.Get("destination")
	if (typ != "push" && typ != "replace") || !dest.Get("sameDocument").Truthy() || ev.Get("hashChange").Truthy() {
		return
	}
	cancel, after := c.RouterNavigation(dest.Get("url").String(), typ == "replace", ev.Get("cancelable").Truthy())
	if cancel {
		ev.Call("preventDefault")
	}
	b.later(after)
}

// later runs f in a goroutine of its own once the current JavaScript task is
// over (setTimeout 0): after the navigation that is being dispatched has
// committed.
func (b *browser) later(f func()) {
	var fn js.Func
	fn = js.FuncOf(func(js.Value, []js.Value) any {
		fn.Release()
		go f()
		return nil
	})
	b.win.Call("setTimeout", fn, 0)
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

// close removes the listeners, releases their functions and closes the
// channel.
func (b *browser) close() {
	for _, l := range b.listeners {
		l.target.Call("removeEventListener", l.event, l.fn, l.capture)
		l.fn.Release()
	}
	b.listeners = nil
	b.closeChannel()
}

// Visible reports whether document.visibilityState is "visible".
func (b *browser) Visible() bool {
	return b.doc.Get("visibilityState").String() == "visible"
}

//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/sessionguard/sessionguard/wasm/client"
)

// bootGlobal names the loader's handle.
const bootGlobal = "__sessionguardBoot"

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
// initial session, which resolves sessionguard.ready. Should the loader
// throw, the implementation's functions are released (the page keeps its
// guard, without the API).
func (h bootHandle) attach(c *client.Client, b *browser) {
	if !h.ok() {
		return
	}
	a := newAPI(c, b)
	if !b.try("attach", func() { h.v.Call("attach", a.object, sessionJS(c.Session())) }) {
		a.release()
	}
}

// fail rejects sessionguard.ready with message.
func (h bootHandle) fail(message string) {
	if h.ok() {
		h.v.Call("fail", message)
	}
}

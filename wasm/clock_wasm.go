//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
)

// UnixNano reads the browser's clock, Date.now(), in whole milliseconds.
func (b *browser) UnixNano() int64 { return int64(b.date.Call("now").Float()) * 1e6 }

// AfterFunc schedules f with setTimeout; f runs in its own goroutine, so the
// timer's callback returns to JavaScript at once.
func (b *browser) AfterFunc(d lite.Duration, f func()) client.Timer {
	t := &timer{b: b}
	t.fn = js.FuncOf(func(js.Value, []js.Value) any {
		if !t.done {
			t.done = true
			t.fn.Release()
			go f()
		}
		return nil
	})
	t.id = b.win.Call("setTimeout", t.fn, d.Milliseconds())
	return t
}

// timer is a setTimeout; its function is released when it fires or is
// stopped. The module runs on one thread, so done needs no lock.
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

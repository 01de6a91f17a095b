//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"
	"time"
)

// lockTimeout bounds the wait for the refresh lock (navigator.locks): the
// tab holding it gives it back after one request at most.
const lockTimeout = 30 * time.Second

// WithLock holds the Web Lock name (navigator.locks.request) while f runs.
// It first asks with ifAvailable, which tells whether another tab holds the
// lock, and then, if one does, waits for it. The lock is given back when
// the Promise that the callback returns settles, which is after f, even if
// f panics. Browsers offer navigator.locks only in a secure context: on
// plain http (-insecure-cookies on a LAN address) WithLock reports
// errors.ErrUnsupported.
func (b *browser) WithLock(name string, f func(waited bool)) error {
	return b.request(name, []bool{false, true}, f)
}

// Lead holds the Web Lock name, waiting for it without a time limit, until
// f returns (the stream's leader never returns: the browser releases the
// lock when the tab closes).
func (b *browser) Lead(name string, f func()) error {
	return b.request(name, []bool{true}, func(bool) { f() })
}

// request asks for the lock once per element of waits: without waiting
// (ifAvailable) for false, waiting for true, bounded by lockTimeout when a
// request without waiting came first.
func (b *browser) request(name string, waits []bool, f func(waited bool)) error {
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
	for _, wait := range waits {
		opts := b.object.New()
		if !wait {
			opts.Set("ifAvailable", true)
		} else if as := b.win.Get("AbortSignal"); len(waits) > 1 && as.Type() == js.TypeFunction && as.Get("timeout").Type() == js.TypeFunction {
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

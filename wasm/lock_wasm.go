//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
)

// lockTimeout bounds the wait for the refresh lock (navigator.locks): the
// tab holding it gives it back after one request at most. The lock of the
// event stream (client.StreamLockName) is waited for without limit: its
// holder keeps it for the rest of its life.
const lockTimeout = 30 * lite.Second

// WithLock holds the Web Lock name (navigator.locks.request) while f runs.
// It first asks with ifAvailable, which tells whether another tab holds the
// lock, and then, if one does, waits for it. The lock is given back when
// the Promise that the callback returns settles, which is after f, even if
// f panics. Browsers offer navigator.locks only in a secure context: on
// plain http (-insecure-cookies on a LAN address) WithLock reports
// errors.ErrUnsupported.
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
		} else if as := b.win.Get("AbortSignal"); name == client.LockName && as.Type() == js.TypeFunction && as.Get("timeout").Type() == js.TypeFunction {
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

//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"
)

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

// await blocks until p settles and returns its value, or its rejection as
// an error. The awaiter's functions are released before it returns.
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

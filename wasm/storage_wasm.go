//go:build js && wasm

package main

import "syscall/js"

// storage returns the page's localStorage, or false where the page may not
// use it (it is missing, or reading it throws). Nothing is logged: a page
// without storage is no error.
func (b *browser) storage() (s js.Value, ok bool) {
	ok = quiet(func() { s = b.win.Get("localStorage") })
	return s, ok && s.Type() == js.TypeObject
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

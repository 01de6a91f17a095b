//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

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

// resultJS returns a result as {ok, error?, redirectUrl?, retryAfter?,
// revoked?, status}.
func resultJS(r client.Result) js.Value { return parseJSON(r.JSON()) }

//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/sessionguard/sessionguard/wasm/client"
)

// stateKey is the member of history.state that holds the Client's index.
const stateKey = "sgIndex"

func (b *browser) Location() client.Location {
	l := b.location
	return client.Location{
		Origin: l.Get("origin").String(),
		Path:   l.Get("pathname").String(),
		Search: l.Get("search").String(),
		Hash:   l.Get("hash").String(),
	}
}

// indexOf reads the Client's index from a history entry's state.
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
	b.ownNav++
	defer func() { b.ownNav-- }()
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
	b.ownNav++
	defer func() { b.ownNav-- }()
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

//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/sessionguard/sessionguard/wasm/client"
)

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

func (b *browser) Dispatch(event, detail string) {
	init := b.object.New()
	init.Set("detail", parseJSON(detail))
	b.try("dispatchEvent", func() {
		b.win.Call("dispatchEvent", b.win.Get("CustomEvent").New(event, init))
	})
}

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

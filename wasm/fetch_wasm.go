//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"

	"github.com/sessionguard/sessionguard/wasm/client"
)

// Fetch sends req with fetch, with the page's cookies and no cache, and
// reads the whole answer as JSON. It blocks, so it is only called from a
// goroutine.
func (b *browser) Fetch(req client.Request) (*client.Response, error) {
	init := b.object.New()
	init.Set("method", req.Method)
	init.Set("credentials", "same-origin")
	init.Set("cache", "no-store")
	headers := b.object.New()
	headers.Set("Accept", "application/json")
	if req.Body != nil {
		body := b.object.New()
		for k, v := range req.Body {
			body.Set(k, v)
		}
		headers.Set("Content-Type", "application/json")
		init.Set("body", b.json.Call("stringify", body))
	}
	if req.JSON != "" {
		headers.Set("Content-Type", "application/json")
		init.Set("body", req.JSON)
	}
	init.Set("headers", headers)
	if req.Timeout > 0 {
		if as := b.win.Get("AbortSignal"); as.Type() == js.TypeFunction && as.Get("timeout").Type() == js.TypeFunction {
			init.Set("signal", as.Call("timeout", req.Timeout.Milliseconds()))
		}
	}
	var promise js.Value
	if !b.try("fetch", func() { promise = b.win.Call("fetch", req.URL, init) }) {
		return nil, errors.New("fetch refused " + req.URL)
	}
	resp, err := await(promise)
	if err != nil {
		return nil, err
	}
	text, err := await(resp.Call("text"))
	if err != nil {
		return nil, err
	}
	r := &client.Response{Status: resp.Get("status").Int(), Header: map[string]string{}}
	pairs := b.array.Call("from", resp.Get("headers"))
	for i, n := 0, pairs.Length(); i < n; i++ {
		p := pairs.Index(i)
		r.Header[p.Index(0).String()] = p.Index(1).String()
	}
	var ok bool
	r.Body, ok = b.parse(text.String())
	r.BadBody = !ok
	return r, nil
}

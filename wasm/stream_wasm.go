//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"

	"github.com/sessionguard/sessionguard/wasm/client"
)

// OpenStream fetches url for streaming: the body is read piece by piece
// with a ReadableStream reader and a streaming TextDecoder.
func (b *browser) OpenStream(url string) (int, client.Stream, error) {
	ctrl := b.win.Get("AbortController").New()
	init := b.object.New()
	init.Set("credentials", "same-origin")
	init.Set("cache", "no-store")
	init.Set("signal", ctrl.Get("signal"))
	headers := b.object.New()
	headers.Set("Accept", "text/event-stream")
	init.Set("headers", headers)
	var promise js.Value
	if !b.try("fetch", func() { promise = b.win.Call("fetch", url, init) }) {
		return 0, nil, errors.New("fetch refused " + url)
	}
	resp, err := await(promise)
	if err != nil {
		return 0, nil, err
	}
	status := resp.Get("status").Int()
	body := resp.Get("body")
	if status != 200 || body.Type() != js.TypeObject {
		quiet(func() { ctrl.Call("abort") })
		return status, nil, nil
	}
	return status, &stream{ctrl: ctrl, reader: body.Call("getReader"), decoder: b.win.Get("TextDecoder").New(), opts: b.object.New()}, nil
}

// stream is the body of an answer that OpenStream opened.
type stream struct {
	ctrl, reader, decoder, opts js.Value
}

func (s *stream) Read() (string, error) {
	r, err := await(s.reader.Call("read"))
	if err != nil {
		return "", err
	}
	if r.Get("done").Truthy() {
		return "", errors.New("end of stream")
	}
	s.opts.Set("stream", true)
	return s.decoder.Call("decode", r.Get("value"), s.opts).String(), nil
}

func (s *stream) Close() { quiet(func() { s.ctrl.Call("abort") }) }

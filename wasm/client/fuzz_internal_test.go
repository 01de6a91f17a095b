package client

import (
	"slices"
	"strings"
	"testing"
)

// FuzzSSEParser checks the event-stream parser on any body: however the
// body is cut into pieces (as the network delivers it), the same events
// come out; an event's type holds no line break; and the parser never
// keeps more than maxSSELine bytes of a line.
func FuzzSSEParser(f *testing.F) {
	for _, s := range []string{
		"event: ready\ndata: {}\n\n",
		"retry: 2000\r\n\r\n: ping\n\nevent: re" + "ady\r\ndata: {}\r\n\r\n",
		"event: revoked\rdata: x\r\r",
		"data: a\ndata: b\n\nevent:revoked\ndata:{}\n\n",
		"event: x\n\n",
		"event: \xff\ndata\n\n",
		":\n\n\n\r\r\n\n",
	} {
		f.Add(s, uint16(3), uint16(17))
	}
	f.Fuzz(func(t *testing.T, body string, cut1, cut2 uint16) {
		var whole sseParser
		want := whole.feed(body)
		for _, typ := range want {
			if strings.ContainsAny(typ, "\r\n") {
				t.Fatalf("event type %q holds a line break", typ)
			}
		}
		i, j := int(cut1)%(len(body)+1), int(cut2)%(len(body)+1)
		if i > j {
			i, j = j, i
		}
		var pieces sseParser
		var got []string
		for _, piece := range []string{body[:i], body[i:j], body[j:]} {
			got = append(got, pieces.feed(piece)...)
			if len(pieces.line) > maxSSELine {
				t.Fatalf("the parser keeps a %d-byte line", len(pieces.line))
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("cut at %d and %d: %q, whole: %q", i, j, got, want)
		}
		// Byte by byte, as a slow network would deliver it.
		var bytewise sseParser
		got = got[:0]
		for k := 0; k < len(body) && len(body) < 4096; k++ {
			got = append(got, bytewise.feed(body[k:k+1])...)
		}
		if len(body) < 4096 && !slices.Equal(got, want) {
			t.Fatalf("byte by byte: %q, whole: %q", got, want)
		}
	})
}

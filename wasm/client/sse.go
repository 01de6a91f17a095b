package client

import "strings"

// sseParser splits a Server-Sent Events body into events, as the HTML
// standard's parser does for the parts the Client reads: lines end with
// CR, LF or CR LF; "event:" names the event, "data:" marks it as carrying
// data; a line starting with ':' is a comment; an empty line dispatches an
// event that has data. Other fields (id, retry) are ignored. The zero
// value is ready to use.
type sseParser struct {
	line []byte
	typ  string
	data bool
	cr   bool // the last piece ended with CR: an LF first in the next one ends no line
}

// maxSSELine bounds the part of a line kept; the rest is dropped.
const maxSSELine = 64 << 10

// feed reads the next piece of the body and returns the types of the events
// it completed ("message" for an event without a name).
func (p *sseParser) feed(text string) (events []string) {
	for i := 0; i < len(text); i++ {
		ch := text[i]
		if p.cr {
			p.cr = false
			if ch == '\n' {
				continue
			}
		}
		if ch != '\r' && ch != '\n' {
			if len(p.line) < maxSSELine {
				p.line = append(p.line, ch)
			}
			continue
		}
		p.cr = ch == '\r'
		if typ, ok := p.endLine(); ok {
			events = append(events, typ)
		}
	}
	return events
}

func (p *sseParser) endLine() (string, bool) {
	line := string(p.line)
	p.line = p.line[:0]
	if line == "" {
		typ, data := p.typ, p.data
		p.typ, p.data = "", false
		if typ == "" {
			typ = "message"
		}
		return typ, data
	}
	field, value := line, ""
	if i := strings.IndexByte(line, ':'); i >= 0 {
		field, value = line[:i], strings.TrimPrefix(line[i+1:], " ")
	}
	switch field {
	case "event":
		p.typ = value
	case "data":
		p.data = true
	}
	return "", false
}

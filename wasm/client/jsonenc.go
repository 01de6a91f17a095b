package client

import (
	"strconv"

	"github.com/sessionguard/sessionguard/wire"
)

// The Client hands the page its values as JSON text, which the page turns
// into objects with JSON.parse: one generic path in place of a converter
// per type, and no time.Time in an interface (which would keep time's
// formatting code in the WebAssembly module).

// jsonObject builds a JSON object. The zero value is an empty object.
type jsonObject struct{ b []byte }

func (o *jsonObject) key(k string) {
	if len(o.b) == 0 {
		o.b = append(o.b, '{')
	} else {
		o.b = append(o.b, ',')
	}
	o.b = appendJSONString(o.b, k)
	o.b = append(o.b, ':')
}

func (o *jsonObject) str(k, v string) *jsonObject {
	o.key(k)
	o.b = appendJSONString(o.b, v)
	return o
}

func (o *jsonObject) boolean(k string, v bool) *jsonObject {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
	return o
}

func (o *jsonObject) num(k string, v int) *jsonObject {
	o.key(k)
	o.b = strconv.AppendInt(o.b, int64(v), 10)
	return o
}

// raw adds v, which must be JSON text.
func (o *jsonObject) raw(k, v string) *jsonObject {
	o.key(k)
	o.b = append(o.b, v...)
	return o
}

func (o *jsonObject) String() string {
	if len(o.b) == 0 {
		return "{}"
	}
	return string(o.b) + "}"
}

// appendJSONString appends s as a JSON string. Bytes that are not valid
// UTF-8 are passed on; JSON.parse reads the text as the page decoded it.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// SessionJSON returns s as the contract's JSON object, or "null".
func SessionJSON(s *wire.Session) string {
	if s == nil {
		return "null"
	}
	var u jsonObject
	u.str("id", s.User.ID).str("email", s.User.Email).str("name", s.User.Name).str("role", s.User.Role)
	var o jsonObject
	return o.raw("user", u.String()).str("expires", FormatTime(s.Expires)).String()
}

// JSON returns r as {ok, error?, redirectUrl?, retryAfter?, revoked?, status}.
func (r Result) JSON() string {
	var o jsonObject
	o.boolean("ok", r.OK)
	if r.OK && r.RedirectURL != "" {
		o.str("redirectUrl", r.RedirectURL)
	}
	if !r.OK {
		o.str("error", r.Error)
	}
	if r.Status == 429 {
		o.num("retryAfter", r.RetryAfter)
	}
	if r.Revoked > 0 {
		o.num("revoked", r.Revoked)
	}
	return o.num("status", r.Status).String()
}

// json returns the message as the other tabs receive it: a session message
// {"session": {…}|null, "accessExpires"?} or a lock message {"lock", "id"}.
func (m Message) json() string {
	var o jsonObject
	if m.Lock != "" {
		return o.str("lock", m.Lock).str("id", m.ID).String()
	}
	o.raw("session", SessionJSON(m.Session))
	if !m.AccessExpires.IsZero() {
		o.str("accessExpires", FormatTime(m.AccessExpires))
	}
	return o.String()
}

func (b Blocked) json() string {
	var o jsonObject
	return o.str("to", b.To).str("reason", b.Reason).String()
}

func (n Navigated) json() string {
	var o jsonObject
	return o.str("url", n.URL).str("path", n.Path).boolean("signIn", n.SignIn).String()
}

func (e Ended) json() string {
	var o jsonObject
	return o.str("reason", e.Reason).String()
}

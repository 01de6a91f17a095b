package lite

import (
	"strings"

	"github.com/sessionguard/sessionguard/policy"
)

// EncodeURIComponent escapes s as JavaScript's encodeURIComponent does for a
// valid UTF-8 string: every byte but A–Z a–z 0–9 - _ . ! ~ * ' ( ) becomes
// %XX (upper-case hex).
func EncodeURIComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// QueryValue returns the first value of key in a query string ("?a=1&b=2"),
// decoded as a form value ('+' is a space, %XX a byte); ok is false when key
// is missing or its value is badly escaped.
func QueryValue(search, key string) (string, bool) {
	rest := strings.TrimPrefix(search, "?")
	for rest != "" {
		part := rest
		if i := strings.IndexByte(rest, '&'); i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if part == "" {
			continue // "a=1&&b=2" and a leading "&": no pair, as net/url reads it
		}
		k, v := part, ""
		if i := strings.IndexByte(part, '='); i >= 0 {
			k, v = part[:i], part[i+1:]
		}
		if dk, ok := formUnescape(k); ok && dk == key {
			return formUnescape(v)
		}
	}
	return "", false
}

func formUnescape(s string) (string, bool) { return policy.Unescape(s, true) }

package client

import (
	"strings"

	"github.com/sessionguard/sessionguard/policy"
)

// EncodeURIComponent escapes s as JavaScript's encodeURIComponent does for a
// valid UTF-8 string: every byte but A–Z a–z 0–9 - _ . ! ~ * ' ( ) becomes
// %XX (upper-case hex). The WebAssembly build has no net/url.
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

// sameOrigin returns the target (path, search and hash) of the absolute URL
// href when it has the given origin.
func sameOrigin(href, origin string) (string, bool) {
	if origin == "" || origin == "null" || !strings.HasPrefix(href, origin) {
		return "", false
	}
	rest := href[len(origin):]
	switch {
	case rest == "":
		return "/", true
	case rest[0] == '/':
		return rest, true
	case rest[0] == '?' || rest[0] == '#':
		return "/" + rest, true
	}
	return "", false // "https://example.com.evil.test/"
}

// pathOf returns the path of a target.
func pathOf(target string) string {
	p, _ := policy.SplitPath(target)
	return p
}

// withoutHash returns the target without its fragment.
func withoutHash(target string) string {
	if i := strings.IndexByte(target, '#'); i >= 0 {
		return target[:i]
	}
	return target
}

// samePath reports whether two escaped paths clean to the same path.
func samePath(a, b string) bool {
	ca, ok1 := policy.Clean(a)
	cb, ok2 := policy.Clean(b)
	return ok1 && ok2 && ca == cb
}

// queryValue returns the first value of key in a query string ("?a=1&b=2"),
// decoded as a form value ('+' is a space, %XX a byte); ok is false when key
// is missing or its value is badly escaped.
func queryValue(search, key string) (string, bool) {
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

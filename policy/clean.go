// Package policy decides, for a URL path, whether a visitor may see it: public,
// signed-in only, or signed-in with a role. The server's guard and the browser
// module compile the same code, so both give the same answer for every path.
//
// The package uses only small parts of the standard library (no fmt, no net/url)
// and wire (for the role names) because it is compiled into the WebAssembly
// module, whose size is a feature.
package policy

import (
	"path"
	"strings"
	"unicode/utf8"
)

// Clean returns the canonical form of an escaped URL path such as the server's
// r.URL.EscapedPath() or the browser's location.pathname: percent-encoding is
// decoded exactly once, "." and ".." segments are resolved, repeated slashes are
// folded and a trailing slash is dropped ("/" stays "/").
//
// ok reports whether the path could be cleaned. It cannot when it does not start
// with "/", holds a malformed percent escape, or decodes to invalid UTF-8, a
// control character or a backslash (which browsers read as a slash). Nor can
// it when a browser would read it as another path: a browser's URL parser
// resolves dot segments (".", "..", "%2e%2e", ...) before anything is decoded
// and keeps empty segments, so "/admin/%2e%2e%2f/.." and "/admin//.." lead a
// browser to "/admin/" while decoding first gives "/". Policy.Requirement
// makes a path that cannot be cleaned Invalid: nobody may see it.
func Clean(escaped string) (cleaned string, ok bool) {
	if !strings.HasPrefix(escaped, "/") {
		return "", false
	}
	decoded, ok := Unescape(escaped, false)
	if !ok || !utf8.ValidString(decoded) {
		return "", false
	}
	for i := 0; i < len(decoded); i++ {
		if c := decoded[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "", false
		}
	}
	cleaned = path.Clean(decoded)
	if strings.IndexByte(escaped, '.') >= 0 || strings.IndexByte(escaped, '%') >= 0 {
		// Decoding cannot fail here: the browser's reading only drops
		// segments of the escaped path.
		browser, _ := Unescape(resolveDotSegments(escaped), false)
		if path.Clean(browser) != cleaned {
			return "", false
		}
	}
	return cleaned, true
}

// resolveDotSegments resolves the dot segments of an escaped path as the
// WHATWG URL standard's path parser does: nothing is decoded, empty segments
// stay, "." and "%2e" are single-dot segments and "..", ".%2e", "%2e." and
// "%2e%2e" (any case) double-dot ones.
func resolveDotSegments(escaped string) string {
	segs := strings.Split(escaped[1:], "/")
	out := segs[:0]
	for i, s := range segs {
		last := i == len(segs)-1
		switch {
		case isDots(s, 2):
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case isDots(s, 1):
		default:
			out = append(out, s)
			continue
		}
		if last {
			out = append(out, "")
		}
	}
	return "/" + strings.Join(out, "/")
}

// isDots reports whether seg is n dots, each written "." or "%2e" (any case).
func isDots(seg string, n int) bool {
	for ; n > 0; n-- {
		switch {
		case strings.HasPrefix(seg, "."):
			seg = seg[1:]
		case len(seg) >= 3 && seg[0] == '%' && seg[1] == '2' && (seg[2] == 'e' || seg[2] == 'E'):
			seg = seg[3:]
		default:
			return false
		}
	}
	return seg == ""
}

// Unescape decodes %XX escapes once, and with form also '+' as a space (a
// query string's form encoding). It reports false on a malformed escape.
func Unescape(s string, form bool) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && (!form || strings.IndexByte(s, '+') < 0) {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+' && form:
			b = append(b, ' ')
		case c != '%':
			b = append(b, c)
		default:
			if i+2 >= len(s) {
				return "", false
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", false
			}
			b = append(b, hi<<4|lo)
			i += 2
		}
	}
	return string(b), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

package policy

import "strings"

// SafeRedirect returns target when it is a same-origin path that a browser
// cannot read as another origin, and "/" otherwise. A safe target starts with a
// single "/", holds no backslash, no control character and no space (browsers
// drop tabs and newlines, so "/\t/evil.example" would become "//evil.example"),
// no malformed percent-escape (anywhere: "/#%zz" is no URL a server or
// browser reads the same way), and is shorter than 2 KiB.
func SafeRedirect(target string) string {
	if IsSafeRedirect(target) {
		return target
	}
	return "/"
}

// IsSafeRedirect reports whether SafeRedirect keeps target.
func IsSafeRedirect(target string) bool {
	if len(target) > 2048 || !IsSameOriginPath(target) || !wellEscaped(target) {
		return false
	}
	// The path part must itself be cleanable, so "/%5c%5cevil.example" and
	// similar tricks are refused too.
	p, _ := SplitPath(target)
	_, ok := Clean(p)
	return ok && !strings.HasPrefix(p, "/%2f") && !strings.HasPrefix(p, "/%2F")
}

// IsSameOriginPath reports whether target (a path with optional search and
// fragment) is one a browser resolves against the page's own origin: it
// starts with a single "/" (not "//" or "/\\", which browsers read as another
// host), holds no backslash, space or control character and is at most 8 KiB.
// Unlike IsSafeRedirect it does not ask that the path can be cleaned: the
// browser module's guard checks "/%zz" (and refuses it) rather than treating
// it as foreign.
func IsSameOriginPath(target string) bool {
	if target == "" || target[0] != '/' || len(target) > 8192 {
		return false
	}
	if len(target) > 1 && (target[1] == '/' || target[1] == '\\') {
		return false
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= 0x20 || c == 0x7f || c == '\\' {
			return false
		}
	}
	return true
}

// wellEscaped reports whether every "%" in s starts a two-digit hexadecimal
// escape.
func wellEscaped(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+2 >= len(s) {
			return false
		}
		if _, ok := unhex(s[i+1]); !ok {
			return false
		}
		if _, ok := unhex(s[i+2]); !ok {
			return false
		}
		i += 2
	}
	return true
}

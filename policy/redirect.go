package policy

import "strings"

// SafeRedirect returns target when it is a same-origin path that a browser
// cannot read as another origin, and "/" otherwise. A safe target starts with a
// single "/", holds no backslash, no control character and no space (browsers
// drop tabs and newlines, so "/\t/evil.example" would become "//evil.example"),
// and is shorter than 2 KiB.
func SafeRedirect(target string) string {
	if IsSafeRedirect(target) {
		return target
	}
	return "/"
}

// IsSafeRedirect reports whether SafeRedirect keeps target.
func IsSafeRedirect(target string) bool {
	if len(target) == 0 || len(target) > 2048 || target[0] != '/' {
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
	// The path part must itself be cleanable, so "/%5c%5cevil.example" and
	// similar tricks are refused too.
	p, _ := SplitPath(target)
	_, ok := Clean(p)
	return ok && !strings.HasPrefix(p, "/%2f") && !strings.HasPrefix(p, "/%2F")
}

package client

import (
	"strings"

	"github.com/sessionguard/sessionguard/policy"
)

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

package policy

import (
	"errors"
	"path"
	"strings"
)

// ErrBadPattern is returned by ParsePattern for a pattern that is not of the
// form "/exact" or "/prefix/*".
var ErrBadPattern = errors.New("bad path pattern")

// A Pattern matches cleaned paths. "/exact" matches that path (a trailing slash
// is ignored); "/prefix/*" matches "/prefix" and everything below it; "/*"
// matches every path. Matching is case-sensitive. The zero Pattern matches
// nothing. A Pattern is immutable and safe for concurrent use.
type Pattern struct {
	base   string // cleaned, without the "/*"
	prefix bool
}

// ParsePattern parses one pattern. Surrounding spaces are ignored.
func ParsePattern(s string) (Pattern, error) {
	s = strings.TrimSpace(s)
	raw := s
	prefix := false
	if strings.HasSuffix(s, "/*") {
		prefix = true
		s = strings.TrimSuffix(s, "/*")
		if s == "" {
			s = "/"
		}
	}
	if !strings.HasPrefix(s, "/") || strings.ContainsAny(s, "*?#%\\") {
		return Pattern{}, &patternError{raw, "want /exact or /prefix/*"}
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return Pattern{}, &patternError{raw, "control character"}
		}
	}
	return Pattern{base: path.Clean(s), prefix: prefix}, nil
}

// ParsePatterns parses a comma-separated list such as the -public flag's value.
// Empty items are skipped.
func ParsePatterns(list string) ([]Pattern, error) {
	var out []Pattern
	for _, item := range strings.Split(list, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		p, err := ParsePattern(item)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Match reports whether the cleaned path p (see Clean) matches.
func (pt Pattern) Match(p string) bool {
	if pt.base == "" {
		return false
	}
	if p == pt.base {
		return true
	}
	if !pt.prefix {
		return false
	}
	if pt.base == "/" {
		return strings.HasPrefix(p, "/")
	}
	return len(p) > len(pt.base) && p[len(pt.base)] == '/' && strings.HasPrefix(p, pt.base)
}

// String returns the pattern in the form ParsePattern reads.
func (pt Pattern) String() string {
	if !pt.prefix {
		return pt.base
	}
	if pt.base == "/" {
		return "/*"
	}
	return pt.base + "/*"
}

// patternError says which pattern is bad and why; it wraps ErrBadPattern. (The
// package avoids fmt to keep the WebAssembly module small.)
type patternError struct{ pattern, why string }

func (e *patternError) Error() string {
	return ErrBadPattern.Error() + " \"" + e.pattern + "\": " + e.why
}

func (e *patternError) Unwrap() error { return ErrBadPattern }

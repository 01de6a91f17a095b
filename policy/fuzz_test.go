package policy_test

import (
	"net/url"
	"path"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/wire"
)

// fuzzPolicies are the rule sets the path fuzz target checks every input
// against: the defaults, a public prefix beside an admin prefix, everything
// public but admin, and an exact admin path beside a public prefix.
var fuzzPolicies = [][2]string{
	{"/,/public,/ssr-login,/ssr-logout", "/admin/*"},
	{"/,/public/*,/assets/*", "/admin/*,/public/admin/*"},
	{"/*", "/admin/*"},
	{"/docs/*", "/admin,/docs/internal/*"},
}

// need is what a cleaned path asks under a policy, ordered from the most
// permissive to the most restrictive.
type need int

const (
	needPublic need = iota
	needSession
	needAdmin
	needInvalid // the path cannot be cleaned
)

var needNames = [...]string{"public", "session", "admin", "invalid"}

func (n need) String() string { return needNames[n] }

// needOf matches a cleaned path against the patterns directly (admin beats
// public), without going through Policy.Requirement.
func needOf(p *policy.Policy, cleaned string) need {
	for _, pt := range p.Admin {
		if pt.Match(cleaned) {
			return needAdmin
		}
	}
	for _, pt := range p.Public {
		if pt.Match(cleaned) {
			return needPublic
		}
	}
	return needSession
}

func needOfRequirement(r policy.Requirement) need {
	switch {
	case r.Invalid:
		return needInvalid
	case r.Role == wire.RoleAdmin:
		return needAdmin
	case r.Public:
		return needPublic
	}
	return needSession
}

// goReading is how a Go handler sees the raw path: net/url decodes it once
// (r.URL.Path) and http.FileServer cleans it.
func goReading(raw string) (string, bool) {
	dec, err := url.PathUnescape(raw)
	if err != nil || !strings.HasPrefix(dec, "/") {
		return "", false
	}
	return path.Clean(dec), true
}

// browserReading is how the path reaches the server from a browser: the URL
// parser of the WHATWG URL standard drops tabs and newlines, reads '\' as
// '/' and resolves dot segments (".", "..", and their %2e spellings)
// without decoding anything else; the server then decodes what it gets.
func browserReading(raw string) (string, bool) {
	var b strings.Builder // byte by byte: a raw path need not be UTF-8
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '\t', '\n', '\r':
		case '\\':
			b.WriteByte('/')
		default:
			b.WriteByte(c)
		}
	}
	raw = b.String()
	if !strings.HasPrefix(raw, "/") {
		return "", false
	}
	return goReading(whatwgDotSegments(raw))
}

// whatwgDotSegments resolves the dot segments of an escaped path as the URL
// standard's path parser does.
func whatwgDotSegments(raw string) string {
	segs := strings.Split(raw[1:], "/")
	var out []string
	for i, s := range segs {
		last := i == len(segs)-1
		l := strings.ToLower(s)
		switch l {
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		case ".", "%2e":
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

// escapeCleaned writes a cleaned path back in escaped form: '%' and the
// bytes a request line cannot carry become %XX.
func escapeCleaned(c string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(c); i++ {
		ch := c[i]
		if ch == '%' || ch == '?' || ch == '#' || ch <= 0x20 || ch >= 0x7f {
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&15])
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// FuzzCleanMatch checks path cleaning and matching on any raw path:
//   - a cleaned path is canonical: it starts with one '/', has no empty,
//     "." or ".." segment, no trailing '/', no control character or
//     backslash, is valid UTF-8, and cleaning its escaped form gives it
//     back with the same requirement (idempotence);
//   - a path that cleans is read the same way by a Go handler (net/url +
//     path.Clean) and by a browser (WHATWG dot segments first), so the
//     server and the browser module never disagree about it;
//   - the requirement is never more permissive than any of those readings:
//     if one of them is admin, the path is not public (and, when it can be
//     cleaned, needs admin); if one is signed-in only, it is not public;
//   - a path that cannot be cleaned is Invalid (never public, refused to
//     everybody), and only such a path is.
func FuzzCleanMatch(f *testing.F) {
	for _, s := range []string{
		"/", "/public", "/admin/users", "/public/%2e%2e/admin", "/admin/%2e%2e%2f/..",
		"/a%2fb/..", "//admin", "/public%2f..%2fadmin", "/%252e%252e/public", "/admin%00",
		"/admin/%ff", "/public/..\\admin", "/docs/%2E./admin", "/public/.%2E/admin/x",
	} {
		f.Add(s)
	}
	pols := make([]*policy.Policy, len(fuzzPolicies))
	for i, fp := range fuzzPolicies {
		p, err := policy.New(fp[0], fp[1])
		if err != nil {
			f.Fatal(err)
		}
		pols[i] = p
	}
	f.Fuzz(func(t *testing.T, raw string) {
		cleaned, ok := policy.Clean(raw)
		if ok {
			checkCanonical(t, raw, cleaned)
			if g, gok := goReading(raw); !gok || g != cleaned {
				t.Fatalf("Clean(%q) = %q, but a Go handler reads %q (ok=%v)", raw, cleaned, g, gok)
			}
			if b, bok := browserReading(raw); !bok || b != cleaned {
				t.Fatalf("Clean(%q) = %q, but after a browser's URL parser the server reads %q (ok=%v)", raw, cleaned, b, bok)
			}
		} else if cleaned != "" {
			t.Fatalf("Clean(%q) failed but returned %q", raw, cleaned)
		}
		for i, p := range pols {
			got := needOfRequirement(p.Requirement(raw))
			if p.IsPublic(raw) != (got == needPublic) {
				t.Fatalf("policy %d: IsPublic(%q) disagrees with Requirement", i, raw)
			}
			if ok == (got == needInvalid) {
				t.Fatalf("policy %d: %q cleans (ok=%v) but its requirement is %v", i, raw, ok, got)
			}
			if !ok && p.Decide(raw, true, wire.RoleAdmin) != policy.Invalid {
				t.Fatalf("policy %d: %q cannot be cleaned but an admin is not refused", i, raw)
			}
			if ok {
				if want := needOf(p, cleaned); got != want {
					t.Fatalf("policy %d: Requirement(%q) is %v, the cleaned path %q is %v", i, raw, got, cleaned, want)
				}
				if again := needOfRequirement(p.Requirement(escapeCleaned(cleaned))); again != got {
					t.Fatalf("policy %d: %q is %v but its cleaned form %q is %v", i, raw, got, cleaned, again)
				}
			}
			for _, read := range []func(string) (string, bool){goReading, browserReading} {
				r, rok := read(raw)
				if !rok {
					continue
				}
				n := needOf(p, r)
				if n > got && (got == needPublic || ok) {
					t.Fatalf("policy %d: %q is %v, but it can be read as %q, which is %v", i, raw, got, r, n)
				}
			}
		}
	})
}

func checkCanonical(t *testing.T, raw, c string) {
	t.Helper()
	switch {
	case !strings.HasPrefix(c, "/"):
		t.Fatalf("Clean(%q) = %q: no leading '/'", raw, c)
	case strings.Contains(c, "//"):
		t.Fatalf("Clean(%q) = %q: '//'", raw, c)
	case c != "/" && strings.HasSuffix(c, "/"):
		t.Fatalf("Clean(%q) = %q: trailing '/'", raw, c)
	case !utf8.ValidString(c):
		t.Fatalf("Clean(%q) = %q: invalid UTF-8", raw, c)
	case path.Clean(c) != c:
		t.Fatalf("Clean(%q) = %q: path.Clean changes it", raw, c)
	}
	for _, seg := range strings.Split(c[1:], "/") {
		if seg == "." || seg == ".." {
			t.Fatalf("Clean(%q) = %q: dot segment", raw, c)
		}
	}
	for i := 0; i < len(c); i++ {
		if ch := c[i]; ch < 0x20 || ch == 0x7f || ch == '\\' {
			t.Fatalf("Clean(%q) = %q: byte %#x", raw, c, ch)
		}
	}
	if again, ok := policy.Clean(escapeCleaned(c)); !ok || again != c {
		t.Fatalf("Clean(%q) = %q, but cleaning it again gives %q (ok=%v)", raw, c, again, ok)
	}
}

// FuzzSafeRedirect checks that SafeRedirect always returns a same-origin
// path: the target itself or "/", starting with a single '/', without
// backslash, space or control character, that net/url parses without a
// scheme or host, that resolves against the page's origin to that origin,
// and whose path decodes to no "//" prefix (which a server that decodes
// before redirecting would send to another host).
func FuzzSafeRedirect(f *testing.F) {
	for _, s := range []string{
		"/dashboard?tab=1#top", "//evil.example", "/\\evil.example", "/%2F/evil.example",
		"/%2f/evil.example", "https://evil.example/", "/\t/evil.example", "/%5c%5cevil.example",
		"/a?next=//evil.example", "/%09/evil.example", "/.//evil.example", "javascript:alert(1)",
	} {
		f.Add(s)
	}
	base, err := url.Parse("https://app.example/account/page")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, target string) {
		got := policy.SafeRedirect(target)
		if got != "/" && got != target {
			t.Fatalf("SafeRedirect(%q) = %q: neither the target nor /", target, got)
		}
		if !policy.IsSafeRedirect(got) {
			t.Fatalf("SafeRedirect(%q) = %q, which IsSafeRedirect refuses", target, got)
		}
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") {
			t.Fatalf("SafeRedirect(%q) = %q: not a single leading '/'", target, got)
		}
		if len(got) > 2048 {
			t.Fatalf("SafeRedirect(%q): %d bytes", target, len(got))
		}
		for i := 0; i < len(got); i++ {
			if c := got[i]; c <= 0x20 || c == 0x7f || c == '\\' {
				t.Fatalf("SafeRedirect(%q) = %q: byte %#x", target, got, c)
			}
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("SafeRedirect(%q) = %q: net/url: %v", target, got, err)
		}
		if u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
			t.Fatalf("SafeRedirect(%q) = %q: scheme %q host %q", target, got, u.Scheme, u.Host)
		}
		if r := base.ResolveReference(u); r.Scheme != "https" || r.Host != "app.example" {
			t.Fatalf("SafeRedirect(%q) = %q resolves to %s", target, got, r)
		}
		p, _ := policy.SplitPath(got)
		if dec, ok := policy.Unescape(p, false); !ok || strings.HasPrefix(dec, "//") || strings.HasPrefix(dec, "/\\") {
			t.Fatalf("SafeRedirect(%q) = %q: its path decodes to %q", target, got, dec)
		}
	})
}

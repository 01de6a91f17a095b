package session

import (
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/sessionguard/sessionguard/wire"
)

// Cookie names. The __Host- prefix makes the browser refuse the cookie unless
// it is Secure, has Path=/ and no Domain, so no subdomain can plant or
// overwrite it.
const (
	CookieName         = "__Host-sg_session"
	InsecureCookieName = "sg_session"
	// RefreshCookieName is the jwt strategy's refresh token. It is sent only
	// to the refresh endpoint, wire.PathRefresh, its Path (so __Host- cannot
	// be used; __Secure- still demands Secure) and only by same-site requests.
	RefreshCookieName         = "__Secure-sg_refresh"
	InsecureRefreshCookieName = "sg_refresh"
)

// maxCookieLen is the longest cookie value read; longer values are ignored
// before any parsing.
const maxCookieLen = 4096

// CookieConfig says how the session cookie is written.
type CookieConfig struct {
	// Insecure drops Secure and the __Host- prefix, for plain-http LAN
	// development only.
	Insecure bool
}

// Name returns the cookie's name.
func (c CookieConfig) Name() string {
	if c.Insecure {
		return InsecureCookieName
	}
	return CookieName
}

// RefreshName returns the refresh cookie's name.
func (c CookieConfig) RefreshName() string {
	if c.Insecure {
		return InsecureRefreshCookieName
	}
	return RefreshCookieName
}

// read returns the session cookie's value, or "".
func (c CookieConfig) read(r *http.Request) string { return readCookie(r, c.Name()) }

// readRefresh returns the refresh cookie's value, or "".
func (c CookieConfig) readRefresh(r *http.Request) string { return readCookie(r, c.RefreshName()) }

// readCookie returns the value of the first valid cookie called name, as
// r.Cookie(name) finds it (the same splitting, trimming, quotes and value
// bytes, and no cookie at all past net/http's default limit of 3000), but
// without allocating: it runs on every request. A value over maxCookieLen
// counts as none.
func readCookie(r *http.Request, name string) string {
	lines := r.Header["Cookie"]
	n := 0
	for _, line := range lines {
		n += strings.Count(line, ";") + 1
	}
	if n > maxCookies {
		return ""
	}
	for _, line := range lines {
		line = textproto.TrimString(line)
		var part string
		for len(line) > 0 {
			part, line, _ = strings.Cut(line, ";")
			k, v, _ := strings.Cut(textproto.TrimString(part), "=")
			if textproto.TrimString(k) != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if !validCookieValue(v) {
				continue
			}
			if len(v) > maxCookieLen {
				return ""
			}
			return v
		}
	}
	return ""
}

// maxCookies is net/http's default limit on the cookies of a request: past
// it, r.Cookie finds none.
const maxCookies = 3000

// validCookieValue reports whether every byte of v may be in a cookie
// value (RFC 6265 cookie-octet plus space and comma, as net/http allows).
// It looks at eight bytes at a time, two words a turn, and at the last few
// through the table: the jwt strategy's cookie is some 650 bytes, and a
// table lookup a byte took 315–333 ns of a 2.6 µs status check on the AMD
// machine of docs/PERFORMANCE.md, against 174–176 ns now
// (BenchmarkValidCookieValue).
func validCookieValue(v string) bool {
	i := 0
	for ; i+16 <= len(v); i += 16 {
		if badOctet(word(v[i:])) || badOctet(word(v[i+8:])) {
			return false
		}
	}
	for ; i+8 <= len(v); i += 8 {
		if badOctet(word(v[i:])) {
			return false
		}
	}
	for ; i < len(v); i++ {
		if !cookieOctet[v[i]] {
			return false
		}
	}
	return true
}

// word is the first eight bytes of s, the first the lowest (one load).
func word(s string) uint64 {
	s = s[:8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// Words of eight equal bytes, for badOctet.
const (
	byteOnes  = 0x0101010101010101
	byteLow7  = 0x7f7f7f7f7f7f7f7f
	byteHighs = 0x8080808080808080
)

// badOctet reports whether one of the eight bytes of x is not a cookie
// octet (cookieOctet). With y the bytes' low seven bits, a byte's top bit,
// after one sum per test that cannot carry into the next byte, says:
// x: 0x80 or above; y+1: 0x7f; (y|0x80)-0x20 clear: below 0x20;
// (y^c)+0x7f clear: equal to c, for '"', ';' and '\\'.
func badOctet(x uint64) bool {
	y := x & byteLow7
	ok := ((y | byteHighs) - 0x20*byteOnes) &
		((y ^ '"'*byteOnes) + byteLow7) &
		((y ^ ';'*byteOnes) + byteLow7) &
		((y ^ '\\'*byteOnes) + byteLow7)
	return (x|(y+byteOnes)|^ok)&byteHighs != 0
}

// cookieOctet tells the bytes validCookieValue allows: 0x20 to 0x7e but
// the double quote, the semicolon and the backslash.
var cookieOctet = func() (t [256]bool) {
	for b := 0x20; b < 0x7f; b++ {
		t[b] = b != '"' && b != ';' && b != '\\'
	}
	return t
}()

// set writes the cookie; it lives until the session's hard cap, while the
// server enforces the idle expiry.
func (c CookieConfig) set(w http.ResponseWriter, value string, until, now time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name:     c.Name(),
		Value:    value,
		Path:     "/",
		Expires:  until.UTC(),
		MaxAge:   max(1, int(until.Sub(now)/time.Second)),
		Secure:   !c.Insecure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// setRefresh writes the refresh cookie: HttpOnly, Secure, SameSite=Strict,
// sent to the refresh endpoint only, living until the session's hard cap.
func (c CookieConfig) setRefresh(w http.ResponseWriter, value string, until, now time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name:     c.RefreshName(),
		Value:    value,
		Path:     wire.PathRefresh,
		Expires:  until.UTC(),
		MaxAge:   max(1, int(until.Sub(now)/time.Second)),
		Secure:   !c.Insecure,
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
}

// clear tells the browser to drop the session cookie.
func (c CookieConfig) clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     c.Name(),
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		Secure:   !c.Insecure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// clearRefresh tells the browser to drop the refresh cookie.
func (c CookieConfig) clearRefresh(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     c.RefreshName(),
		Value:    "",
		Path:     wire.PathRefresh,
		MaxAge:   -1,
		Secure:   !c.Insecure,
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
}

// dropCookies removes the Set-Cookie lines of h that set one of names.
func dropCookies(h http.Header, names ...string) {
	lines := slices.DeleteFunc(slices.Clone(h.Values("Set-Cookie")), func(line string) bool {
		c, err := http.ParseSetCookie(line)
		return err == nil && slices.Contains(names, c.Name)
	})
	h.Del("Set-Cookie")
	for _, l := range lines {
		h.Add("Set-Cookie", l)
	}
}

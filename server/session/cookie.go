package session

import (
	"net/http"
	"time"
)

// Cookie names. The __Host- prefix makes the browser refuse the cookie unless
// it is Secure, has Path=/ and no Domain, so no subdomain can plant or
// overwrite it.
const (
	CookieName         = "__Host-sg_session"
	InsecureCookieName = "sg_session"
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

// read returns the session cookie's value, or "".
func (c CookieConfig) read(r *http.Request) string {
	ck, err := r.Cookie(c.Name())
	if err != nil || len(ck.Value) > maxCookieLen {
		return ""
	}
	return ck.Value
}

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

// clear tells the browser to drop the cookie.
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

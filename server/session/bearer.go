package session

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Bearer mode (WithBearer, the server's -bearer flag) is for clients
// without a cookie jar: native apps and command-line tools. Such a client
// sends its session token as `Authorization: Bearer <token>` (RFC 6750)
// and gets the tokens of every session issued to it in the answer's body
// (Session.Issued) instead of cookies. A request is in bearer mode when it
// carries that header, or when the HTTP layer marked it so (ForBearer: the
// token endpoints, which a client calls before it has a token).
//
// The two transports never mix: a request with a bearer token and a
// session or refresh cookie (Mixed) is read as carrying no credential at
// all, and the HTTP layer refuses it.

type bearerKey struct{}

// ForBearer returns ctx marked so that the Manager answers its request in
// bearer mode although the request carries no bearer token yet (the sign-in
// and refresh of bearer clients).
func ForBearer(ctx context.Context) context.Context {
	return context.WithValue(ctx, bearerKey{}, true)
}

// WithBearer turns bearer mode on: the Manager reads `Authorization:
// Bearer` tokens as session credentials. Without it the header is ignored
// (the service API's credentials use it too, on their own routes).
func WithBearer() Option { return func(m *Manager) { m.bearer = true } }

// Bearer reports whether bearer mode is on.
func (m *Manager) Bearer() bool { return m.bearer }

// IsBearer reports whether r is answered in bearer mode: bearer mode is on,
// and r carries a bearer token or was marked with ForBearer.
func (m *Manager) IsBearer(r *http.Request) bool {
	if !m.bearer {
		return false
	}
	if _, ok := bearerToken(r); ok {
		return true
	}
	marked, _ := r.Context().Value(bearerKey{}).(bool)
	return marked
}

// Mixed reports whether r carries a bearer token (bearer mode on) together
// with the session cookie or the refresh cookie: a request that mixes the
// two transports, which is never used.
func (m *Manager) Mixed(r *http.Request) bool {
	if !m.bearer {
		return false
	}
	if _, ok := bearerToken(r); !ok {
		return false
	}
	return m.HasCookies(r)
}

// HasCookies reports whether r carries the session cookie or the refresh
// cookie, whatever their values.
func (m *Manager) HasCookies(r *http.Request) bool {
	for _, name := range []string{m.cookie.Name(), m.cookie.RefreshName()} {
		if _, err := r.Cookie(name); err == nil {
			return true
		}
	}
	return false
}

// credential returns the token that names the request's session and
// whether it came as a bearer token; "" when there is none, or when the
// request mixes a bearer token with cookies (neither is used then).
func (m *Manager) credential(r *http.Request) (token string, bearer bool) {
	if m.bearer {
		if t, ok := bearerToken(r); ok {
			if m.HasCookies(r) || len(t) > MaxTokenLen {
				return "", true
			}
			return t, true
		}
	}
	return m.cookie.read(r), false
}

// bearerToken returns the token of r's `Authorization: Bearer` header (the
// scheme in any case, RFC 7235), and whether r has one. Only the first
// Authorization header counts.
func bearerToken(r *http.Request) (string, bool) {
	v := r.Header["Authorization"]
	if len(v) == 0 {
		return "", false
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(v[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// deliver hands the credentials of a session just issued to r's client: as
// cookies, or on the session (Session.Issued) for the answer's body when r
// is in bearer mode.
func (m *Manager) deliver(w http.ResponseWriter, r *http.Request, issued Issued, s *Session, now time.Time) {
	if m.IsBearer(r) {
		s.Issued = &issued
		return
	}
	m.setCookies(w, issued, s, now)
}

// loadBearer is Load for a bearer token: no cookie is set or cleared, and
// a strategy whose reads renew the token (jwt) does not: the client takes
// no renewed token, and renews with its refresh token instead.
func (m *Manager) loadBearer(ctx context.Context, token string, now time.Time) (Session, bool, error) {
	var (
		s     Session
		found bool
		err   error
	)
	if b, ok := m.strategy.(BearerLoader); ok {
		s, found, err = b.LoadBearer(ctx, token, now)
	} else {
		s, _, found, err = m.strategy.Load(ctx, token, now)
	}
	if err != nil || !found {
		return Session{}, false, err
	}
	return s, true, nil
}

// RefreshBearer redeems refresh, the refresh token a bearer-mode client
// sent in the request body, for new tokens on the returned session
// (Session.Issued). It touches no cookie; its errors are Refresh's.
func (m *Manager) RefreshBearer(r *http.Request, refresh string) (*Session, error) {
	if len(refresh) > MaxTokenLen {
		return nil, ErrRefreshInvalid
	}
	return m.refresh(nil, r.WithContext(ForBearer(r.Context())), refresh)
}

package auth

import (
	"net/http"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/wire"
)

// demand applies the rules of a route's access column beyond the session
// and the role (require checks those first): fresh, aal2 and the
// -aal2-paths patterns, before h runs.
func (s *Server) demand(a access, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := FromContext(r.Context())
		if err := s.check(a, r, sess); err != nil {
			s.fail(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// check returns the refusal of sess under the access a on the request's
// path, or nil.
func (s *Server) check(a access, r *http.Request, sess *session.Session) error {
	if sess == nil { // require let no such request through: a bug
		return errNotSignedIn
	}
	needsAAL2 := a.has(aal2) ||
		(!a.has(proving) && s.cfg.Policy.Requirement(r.URL.EscapedPath()).AAL2)
	if needsAAL2 && sess.AAL != wire.AAL2 {
		return errAAL2Required
	}
	if a.has(fresh) && !s.isFresh(sess) {
		return errReauthRequired
	}
	return nil
}

// isFresh reports whether the user proved the session within the fresh
// age.
func (s *Server) isFresh(sess *session.Session) bool {
	return s.cfg.Now().Sub(sess.AuthenticatedAt) <= s.cfg.FreshAge
}

package auth

import (
	"context"
	"net/http"
	"slices"

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
	if !a.has(proving) {
		enrolling, err := s.enrolling(r.Context(), sess)
		switch {
		case err != nil:
			return storeFailed("read the second factor", err)
		case enrolling:
			return errEnrollmentRequired
		}
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

// enrolling reports whether sess is limited to enrolment: its account's
// role is one of Require2FARoles and has no second factor on yet.
func (s *Server) enrolling(ctx context.Context, sess *session.Session) (bool, error) {
	if sess == nil || !slices.Contains(s.cfg.Require2FARoles, sess.User.Role) {
		return false, nil
	}
	on, err := s.twoFactorOn(ctx, sess.User.ID)
	return !on, err
}

// wireSession is the session object of an answer, with
// enrollmentRequired for a session limited to enrolment.
func (s *Server) wireSession(ctx context.Context, sess *session.Session) (*wire.Session, error) {
	out := sess.Wire()
	if out == nil {
		return nil, nil
	}
	enrolling, err := s.enrolling(ctx, sess)
	out.EnrollmentRequired = enrolling
	return out, err
}

// isFresh reports whether the user proved the session within the fresh
// age.
func (s *Server) isFresh(sess *session.Session) bool {
	return s.cfg.Now().Sub(sess.AuthenticatedAt) <= s.cfg.FreshAge
}

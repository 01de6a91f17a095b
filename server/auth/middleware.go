package auth

import (
	"fmt"
	"net/http"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/wire"
)

// Sessions is middleware that reads the session once and puts it in the
// request context for FromContext. It never refuses a request.
func (s *Server) Sessions(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, _ = s.withSession(w, r)
		h.ServeHTTP(w, r)
	})
}

// RequireSession is middleware that lets only signed-in visitors through.
// Others get a 303 to the sign-in path when the request is a page navigation,
// and 401 JSON otherwise; a store failure is 503. A path that cannot be
// cleaned is refused with 400 whoever asks, as the page guard does, before
// the session is read.
func (s *Server) RequireSession(h http.Handler) http.Handler {
	return s.RequireRole("", h)
}

// RequireRole is RequireSession plus a role: a signed-in visitor without it
// gets 403. An empty role admits every signed-in visitor. Both apply
// -aal2-paths as the page guard does: an aal1 session gets 303 to sign-in
// with stepUp=1 on a page navigation, 403 aal2_required otherwise. A
// session limited to enrolment (-require-2fa-roles) goes to the enrolment
// page, or gets 403 enrollment_required.
func (s *Server) RequireRole(role string, h http.Handler) http.Handler {
	return s.require(role, true, h)
}

// require lets h run only for a signed-in visitor with role ("" for any):
// the one access check behind RequireSession, RequireRole and the access
// column of the route table. It reads the session once, into the request
// context (FromContext), and refuses with 503 when the store fails, 401
// without a session and 403 without the role. With pages (the library
// middleware, which may guard pages as well as an API) a path that cannot
// be cleaned is refused first (400) and a page navigation without a
// session goes to sign-in; the API's own routes answer JSON only.
func (s *Server) require(role string, pages bool, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cleaned := ""
		if pages {
			var ok bool
			if cleaned, ok = policy.Clean(r.URL.EscapedPath()); !ok {
				s.badPath(w, r)
				return
			}
		}
		r, l := s.withSession(w, r)
		switch {
		case l.err != nil:
			s.fail(w, r, fmt.Errorf("%w: %w", errStoreUnavailable, l.err))
		case l.s == nil && pages && wantsPage(r):
			s.toSignIn(w, r, cleaned)
		case l.s == nil:
			s.fail(w, r, errNotSignedIn)
		case role != "" && l.s.User.Role != role:
			s.fail(w, r, roleRequired(role))
		case pages && s.limitedToEnrolment(w, r, l.s, cleaned):
			// answered: a session that must enrol first
		case pages && l.s.AAL != wire.AAL2 && s.cfg.Policy.Requirement(r.URL.EscapedPath()).AAL2:
			// A path of -aal2-paths: the page goes to sign-in to step up.
			if wantsPage(r) {
				w.Header()["Cache-Control"] = noStore
				http.Redirect(w, r, s.signInTo(r, cleaned)+"&stepUp=1", http.StatusSeeOther)
			} else {
				s.fail(w, r, errAAL2Required)
			}
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// limitedToEnrolment answers, and reports true, when sess must enrol a
// second factor first (-require-2fa-roles): a page navigation goes to the
// enrolment page (itself excepted), anything else gets 403
// enrollment_required; a store failure is 503.
func (s *Server) limitedToEnrolment(w http.ResponseWriter, r *http.Request, sess *session.Session, cleaned string) bool {
	enrolling, err := s.enrolling(r.Context(), sess)
	switch {
	case err != nil:
		s.fail(w, r, storeFailed("read the second factor", err))
		return true
	case !enrolling:
		return false
	case wantsPage(r) && cleaned == s.cfg.EnrollPath:
		return false
	case wantsPage(r):
		w.Header()["Cache-Control"] = noStore
		http.Redirect(w, r, s.cfg.EnrollPath, http.StatusSeeOther)
	default:
		s.fail(w, r, errEnrollmentRequired)
	}
	return true
}

// Protect refuses state-changing requests from other origins with 403, judged
// by Sec-Fetch-Site and Origin as net/http's CrossOriginProtection does.
func (s *Server) Protect(h http.Handler) http.Handler { return s.protect(h) }

func (s *Server) protect(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.cop.Check(r); err != nil {
			s.fail(w, r, errCrossOrigin)
			return
		}
		h.ServeHTTP(w, r)
	})
}

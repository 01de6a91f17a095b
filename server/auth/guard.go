package auth

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/wire"
)

// page answers every GET that is not an API route: a static file when the
// cleaned path names one, otherwise a page guarded by the policy — 303 to
// sign-in without a session, 403 without the needed role, else the app shell
// with the session embedded. A static file under an admin pattern follows
// the same rule as a page there (the browser module's own files excepted:
// every page needs them). A path that cannot be cleaned is refused with 400:
// no rule can be applied to it.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	escaped := r.URL.EscapedPath()
	cleaned, ok := policy.Clean(escaped)
	if !ok {
		s.badPath(w, r)
		return
	}
	if cleaned+"/" == wire.APIPrefix || strings.HasPrefix(cleaned, wire.APIPrefix) {
		s.fail(w, r, errNotFound)
		return
	}
	req := s.cfg.Policy.Requirement(escaped)
	guarded := req.Role != "" && !isModuleFile(cleaned)
	if !guarded && s.static.serve(w, r, cleaned, false) {
		return
	}
	if cleaned == "/favicon.ico" && !guarded {
		// Browsers ask for it on every site: without one, answer that,
		// not a redirect to sign-in.
		markQuiet(w)
		w.Header()["Cache-Control"] = noStore
		http.NotFound(w, r)
		return
	}
	r, l := s.withSession(w, r)
	if l.err != nil && !req.Public {
		errorPage(w, http.StatusServiceUnavailable, "Service unavailable", "The session store does not answer. Try again shortly.", "")
		return
	}
	signedIn, role, aal := l.s != nil, "", ""
	if signedIn {
		role, aal = l.s.User.Role, l.s.AAL
	}
	if signedIn && !req.Public && cleaned != s.cfg.EnrollPath {
		enrolling, err := s.enrolling(r.Context(), l.s)
		switch {
		case err != nil:
			errorPage(w, http.StatusServiceUnavailable, "Service unavailable", "The session store does not answer. Try again shortly.", "")
			return
		case enrolling:
			// Limited to enrolment: every protected page leads there.
			w.Header()["Cache-Control"] = noStore
			http.Redirect(w, r, s.cfg.EnrollPath, http.StatusSeeOther)
			return
		}
	}
	switch req.DecideAAL(signedIn, role, aal) {
	case policy.Unauthenticated:
		s.toSignIn(w, r, cleaned)
	case policy.StepUp:
		// Signed in with a password only: the sign-in page proves the
		// session with a second factor, then goes on to the page.
		w.Header()["Cache-Control"] = noStore
		http.Redirect(w, r, s.signInTo(r, cleaned)+"&stepUp=1", http.StatusSeeOther)
	case policy.Forbidden:
		errorPage(w, http.StatusForbidden, "Forbidden",
			"This page needs the "+req.Role+" role, and "+l.s.User.Email+" has the "+role+" role.", s.signInTo(r, cleaned))
	default:
		if guarded && s.static.serve(w, r, cleaned, true) {
			return
		}
		v := view{session: l.s.Wire(), path: cleaned, pathOK: true}
		if code := r.URL.Query().Get("error"); formErrorCodes[code] {
			v.errorCode = code
		}
		status := http.StatusOK
		if s.shell.body.notFound(v) { // the shell's own not-found view
			status = http.StatusNotFound
		}
		var refs moduleRefs
		if s.shell.loadsModule {
			if refs = s.static.refs(); refs.module != "" {
				w.Header().Add("Link", preloadLink(refs.module))
			}
		}
		s.shell.write(w, status, l.s, v, refs)
	}
}

// moduleFiles are the browser module's own files. Every page loads them, the
// sign-in page first of all, so they are served to everybody whatever the
// path patterns say; so are their content-hashed copies (module.go).
var moduleFiles = map[string]bool{"/sessionguard.js": true, "/sessionguard.mjs": true, "/sessionguard.wasm": true, "/wasm_exec.js": true}

// badPath refuses a path that cannot be cleaned: a short page for a browser
// navigation, JSON for anything else; never cached.
func (s *Server) badPath(w http.ResponseWriter, r *http.Request) {
	if wantsPage(r) {
		errorPage(w, http.StatusBadRequest, "Bad request", "This address cannot be read as a path.", "")
		return
	}
	s.fail(w, r, errMalformedPath)
}

// signInTo is the sign-in path with the requested page (cleaned, with its
// query) as callbackUrl.
func (s *Server) signInTo(r *http.Request, cleaned string) string {
	callback := (&url.URL{Path: cleaned, RawQuery: r.URL.RawQuery}).RequestURI()
	return s.cfg.SignInPath + "?callbackUrl=" + url.QueryEscape(policy.SafeRedirect(callback))
}

// toSignIn redirects to the sign-in path with the requested page (cleaned, with its
// query) as callbackUrl.
func (s *Server) toSignIn(w http.ResponseWriter, r *http.Request, cleaned string) {
	w.Header()["Cache-Control"] = noStore
	http.Redirect(w, r, s.signInTo(r, cleaned), http.StatusSeeOther)
}

// wantsPage reports whether the request is a browser navigation to a page.
func wantsPage(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	return r.Header.Get("Sec-Fetch-Mode") == "navigate" || strings.Contains(r.Header.Get("Accept"), "text/html")
}

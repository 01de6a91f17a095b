package auth

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/sessionguard/sessionguard/wire"
)

// route is one row of the route table: a path, its methods, who may use
// it, its handler and the request bodies it takes.
type route struct {
	path    string
	methods []string
	access  access
	h       handler
	body    bodyKind
}

// access is who may use a route: the route table's access column, which
// Mount applies with require, the check of the library's own RequireSession
// and RequireRole, then with demand. A handler behind signedIn or admins
// finds the session with FromContext. The kinds combine: admins|fresh is an
// administrator who signed in or re-authenticated within the fresh age.
type access uint8

const (
	anyone   access = 0               // no session needed (the handler may read one)
	signedIn access = 1 << 0          // a session: 401 without one, 503 when the store fails
	admins   access = signedIn | 1<<1 // a session with the admin role: 403 without it
	fresh    access = signedIn | 1<<2 // authenticatedAt within the fresh age: 403 reauth_required
	aal2     access = signedIn | 1<<3 // a session proved with a second factor: 403 aal2_required
	proving  access = signedIn | 1<<4 // proves or enrols a factor: open to a session limited to enrolment, never behind -aal2-paths
	services access = 1 << 5          // a service credential (Config.ServiceTokens): 401 without one
)

// role is the role that require checks for a: "" for any signed-in visitor.
func (a access) role() string {
	if a&admins == admins {
		return wire.RoleAdmin
	}
	return ""
}

// has reports whether a includes the kind k.
func (a access) has(k access) bool { return a&k == k }

// The method lists of the route table.
var (
	get       = []string{http.MethodGet, http.MethodHead}
	getNoHead = []string{http.MethodGet}
	post      = []string{http.MethodPost}
	patch     = []string{http.MethodPatch}
	del       = []string{http.MethodDelete}
)

// routes is the route table of the API and /healthz.
func (s *Server) routes() []route {
	routes := []route{
		{wire.PathSession, get, anyone, s.getSession, jsonOnly},
		{wire.PathStatus, get, anyone, s.getStatus, jsonOnly},
		{wire.PathConfig, get, anyone, s.getConfig, jsonOnly},
		{wire.PathSignIn, post, anyone, s.signIn, jsonOrForm},
		{wire.PathSignOut, post, anyone, s.signOut, jsonOrForm},
		// The second step of a sign-in: the challenge cookie is its
		// credential. A plain HTML form posts it too.
		{wire.PathTwoFactorCheck, post, anyone, s.verifyTwoFactor, jsonOrForm},
		{"/healthz", get, anyone, s.healthz, jsonOnly},
	}
	if s.sessions.Refreshes() { // the refresh cookie is its credential
		routes = append(routes, route{wire.PathRefresh, post, anyone, s.refresh, jsonOnly})
	}
	if s.hub != nil {
		// The stream checks its session itself, with Peek: background
		// traffic must not extend it. HEAD would hold a stream open for
		// nothing.
		routes = append(routes, route{wire.PathEvents, getNoHead, anyone, s.events, jsonOnly})
	}
	if _, ok := s.sessions.JWKS(); ok {
		routes = append(routes, route{"/.well-known/jwks.json", get, anyone, s.jwks, jsonOnly})
	}
	routes = append(routes,
		route{wire.PathSessions, get, signedIn, s.listSessions, jsonOnly},
		route{wire.PathRevokeOthers, post, signedIn | fresh, s.revokeOthers, jsonOnly},
		route{wire.PathSessions + "/{handle}", del, signedIn | fresh, s.deleteSession, jsonOnly},
		route{wire.PathPassword, post, signedIn | fresh, s.changePassword, jsonOnly},
		route{wire.PathReauth, post, proving, s.reauth, jsonOnly},
		route{wire.PathTOTPSetup, post, proving | fresh, s.setupTOTP, jsonOnly},
		route{wire.PathTOTPConfirm, post, proving, s.confirmTOTP, jsonOnly},
		route{wire.PathTOTPDisable, post, fresh | aal2, s.disableTOTP, jsonOnly},
		route{wire.PathAdminUsers, get, admins, s.listUsers, jsonOnly},
		route{wire.PathAdminUsers + "/{id}", patch, admins | fresh, s.patchUser, jsonOnly},
		route{wire.PathAdminUsers + "/{id}/sessions", get, admins, s.userSessions, jsonOnly},
		route{wire.PathAdminUsers + "/{id}/sessions", del, admins | fresh, s.deleteUserSessions, jsonOnly},
		route{wire.PathAdminUsers + "/{id}/sessions/{handle}", del, admins | fresh, s.deleteUserSession, jsonOnly},
	)
	routes = append(routes, s.bearerRoutes()...)
	routes = append(routes, s.serviceRoutes()...)
	if s.cfg.Metrics != nil && s.cfg.MetricsPath != "" { // loopback clients only: see serveMetrics
		routes = append(routes, route{s.cfg.MetricsPath, getNoHead, anyone, s.serveMetrics(s.cfg.Metrics.Handler()), jsonOnly})
	}
	return routes
}

// direct are the paths of the route table that Handler answers in front of
// its router (directRoutes): the status check, which every open page asks
// for again and again. Their rows apply as they are written, inside the
// same middleware as every other route; only the router's matching is
// skipped. Mount routes them like any other.
var direct = []string{wire.PathStatus}

// routeHandler is a row's handler as the route table says: the body check,
// the access check, then the row's own handler.
func (s *Server) routeHandler(rt route) http.Handler {
	h := s.serve(rt.h)
	switch rt.access {
	case anyone:
	case services:
		return s.checkBody(rt.body, s.requireService(h))
	default:
		h = s.require(rt.access.role(), false, s.demand(rt.access, h))
	}
	// The service API's credential is a bearer token of its own.
	return s.checkCredentials(s.checkBody(rt.body, h))
}

// Mount registers the API routes and /healthz on r, for programs with their
// own router. Each route refuses a body it does not take (415) or one over
// MaxBodyBytes (413), then a visitor its access column does not admit,
// before its handler runs. Wrap r (or the whole server) in Protect so POSTs
// from other origins are refused.
func (s *Server) Mount(r *mux.Router) {
	for _, rt := range s.routes() {
		// A copy of the methods: mux upper-cases the slice it is given in
		// place, and the rows share package-level slices that other servers
		// mount too.
		r.Handle(rt.path, s.routeHandler(rt)).Methods(slices.Clone(rt.methods)...)
	}
	// Everything else under /api/ answers JSON: 405 with Allow for a known
	// path with another method, 404 otherwise — never the app shell.
	r.PathPrefix(wire.APIPrefix).HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if allow := s.allow(req); allow != "" {
			w.Header().Set("Allow", allow)
			s.fail(w, req, errMethodNotAllowed)
			return
		}
		s.fail(w, req, errNotFound)
	})
}

// allow returns the methods the route table has for the request's path
// ("GET, HEAD"), or "" when it has none.
func (s *Server) allow(req *http.Request) string {
	s.knownOnce.Do(func() {
		s.known = mux.NewRouter()
		s.known.SkipClean(true)
		var paths []string
		methods := map[string][]string{}
		for _, rt := range s.routes() {
			if _, ok := methods[rt.path]; !ok {
				paths = append(paths, rt.path)
			}
			methods[rt.path] = append(methods[rt.path], rt.methods...)
		}
		for _, p := range paths {
			s.known.Handle(p, http.NotFoundHandler()).Name(strings.Join(methods[p], ", "))
		}
	})
	var m mux.RouteMatch
	if s.known.Match(req, &m) && m.Route != nil {
		return m.Route.GetName()
	}
	return ""
}

// refuse answers every request with err.
func (s *Server) refuse(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, err) })
}

// checkBody refuses, before h runs, a request body the route does not take
// (bodyKind.check).
func (s *Server) checkBody(kind bodyKind, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := kind.check(r); err != nil {
			s.fail(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

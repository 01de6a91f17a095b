// Package auth is sessionguard's HTTP layer: the API of CONTRACT §3, the guard
// that protects pages on the server, the app shell with the session embedded,
// and middleware for Go programs that mount sessionguard in their own router
// and read the session in their own handlers.
package auth

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/server/metrics"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/users"
	"github.com/sessionguard/sessionguard/wire"
)

// Config is what New needs. Sessions, Users and Policy are required.
type Config struct {
	Sessions *session.Manager
	Users    *users.Service
	Policy   *policy.Policy
	// Health answers /healthz; nil always answers 200.
	Health interface{ Ping(context.Context) error }
	// StaticDir is served at "/" with the app shell StaticDir/index.html for
	// page routes. Empty: Handler serves the API only.
	StaticDir string
	// SignInPath is where the guards send visitors without a session; "/"
	// when empty. It must be public.
	SignInPath string
	// MaxAge is the idle lifetime reported by /api/auth/config.
	MaxAge time.Duration
	// Counters keeps sign-in failure counts; give the store, so that every
	// instance shares them. Nil keeps them in this process only.
	Counters store.Counters
	// AccountBackoff and AddressBackoff bound failed sign-ins per account
	// and per client address; zero values take DefaultAccountBackoff and
	// DefaultAddressBackoff.
	AccountBackoff, AddressBackoff Backoff
	// DeviceKey signs device cookies (see device.go); every instance must
	// use the same one (take it from store.Keys.Secret). Nil makes one per
	// process, so device cookies fail after a restart.
	DeviceKey []byte
	// Metrics, when set, counts sign-ins, status checks, 429s and store
	// latency; with MetricsPath it is also served there (to loopback
	// clients only, judged by the client address the Manager resolves: put
	// it on its own listener to expose it further).
	Metrics     *metrics.Metrics
	MetricsPath string
	// AllowedHosts, when not empty, lists the Host names (with an optional
	// port: "app.example.com", "127.0.0.1:8080", "[::1]:8080") that Handler
	// answers; a request for any other Host gets 421 Misdirected Request,
	// which keeps a DNS-rebinding page away. A name without a port matches
	// every port. Empty answers every Host.
	AllowedHosts []string
	// Logger receives one line per request and every failure; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Server is sessionguard's HTTP layer. Build it with New. It is safe for
// concurrent use.
type Server struct {
	cfg        Config
	sessions   timedSessions // cfg.Sessions, timed: every call goes through it
	log        *slog.Logger
	accounts   *Limiter
	addresses  *Limiter
	device     device
	configJSON []byte
	shell      *shell  // nil without StaticDir
	static     *static // nil without StaticDir
	cop        *http.CrossOriginProtection
	hub        *hub // nil when the Manager publishes no events
	addrs      addresses
	hosts      hostList // empty: every Host
	knownOnce  sync.Once
	known      *mux.Router // the route table by path, for Allow headers
}

// New checks cfg and builds the Server.
func New(cfg Config) (*Server, error) {
	if cfg.Sessions == nil || cfg.Users == nil || cfg.Policy == nil {
		return nil, errors.New("auth: Config needs Sessions, Users and Policy")
	}
	if cfg.SignInPath == "" {
		cfg.SignInPath = "/"
	}
	if !cfg.Policy.IsPublic(cfg.SignInPath) {
		return nil, fmt.Errorf("auth: sign-in path %q must be public, or every visitor would loop", cfg.SignInPath)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AccountBackoff == (Backoff{}) {
		cfg.AccountBackoff = DefaultAccountBackoff
	}
	if cfg.AddressBackoff == (Backoff{}) {
		cfg.AddressBackoff = DefaultAddressBackoff
	}
	if cfg.Counters == nil {
		cfg.Counters = memory.New()
	}
	if len(cfg.DeviceKey) == 0 {
		cfg.DeviceKey = make([]byte, 32)
		_, _ = rand.Read(cfg.DeviceKey)
	}
	s := &Server{
		cfg:       cfg,
		sessions:  timedSessions{Manager: cfg.Sessions, metrics: cfg.Metrics},
		log:       cfg.Logger,
		accounts:  NewLimiter(cfg.AccountBackoff, cfg.Counters, "signin-account:", cfg.Now),
		addresses: NewLimiter(cfg.AddressBackoff, cfg.Counters, "signin-address:", cfg.Now),
		device:    device{key: cfg.DeviceKey, insecure: cfg.Sessions.InsecureCookies()},
		cop:       http.NewCrossOriginProtection(),
	}
	var err error
	if s.hosts, err = parseHosts(cfg.AllowedHosts); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	wc := wire.Config{
		PublicPaths: policy.Strings(cfg.Policy.Public),
		AdminPaths:  policy.Strings(cfg.Policy.Admin),
		SignInPath:  cfg.SignInPath,
		MaxAge:      int(cfg.MaxAge / time.Second),
	}
	if access, ok := cfg.Sessions.AccessMaxAge(); ok {
		wc.Strategy, wc.RefreshPath, wc.AccessMaxAge = "jwt", session.RefreshPath, int(access/time.Second)
	}
	s.configJSON, err = json.Marshal(wc)
	if err != nil {
		return nil, err
	}
	if ev := cfg.Sessions.Events(); ev != nil {
		s.hub = newHub(ev, cfg.Logger)
	}
	if cfg.StaticDir != "" {
		if s.shell, err = loadShell(cfg.StaticDir, s.configJSON); err != nil {
			return nil, err
		}
		s.static = newStatic(cfg.StaticDir)
	}
	return s, nil
}

// Handler returns the complete handler: API, /healthz and, with StaticDir,
// the guarded pages and static files, wrapped in request logging, security
// headers, the Host check (AllowedHosts) and cross-origin protection.
func (s *Server) Handler() http.Handler {
	r := mux.NewRouter()
	r.SkipClean(true) // the guard cleans paths itself, exactly as the browser module does
	s.Mount(r)
	if s.static != nil {
		r.PathPrefix("/").Methods(http.MethodGet, http.MethodHead).HandlerFunc(s.page)
	}
	r.NotFoundHandler = s.refuse(errNotFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if allow := s.allow(req); allow != "" {
			w.Header().Set("Allow", allow)
		} else if s.static != nil {
			w.Header().Set("Allow", "GET, HEAD") // a page
		}
		s.fail(w, req, errMethodNotAllowed)
	})
	return s.logRequests(s.checkHost(s.protect(r)))
}

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
// and RequireRole. A handler behind signedIn or admins finds the session
// with FromContext.
type access int

const (
	anyone   access = iota // no session needed (the handler may read one)
	signedIn               // a session: 401 without one, 503 when the store fails
	admins                 // a session with the admin role: 403 without it
)

// role is the role that require checks for a: "" for any signed-in visitor.
func (a access) role() string {
	if a == admins {
		return policy.RoleAdmin
	}
	return ""
}

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
		{"/api/session", get, anyone, s.getSession, jsonOnly},
		{"/api/get-session-status", get, anyone, s.getStatus, jsonOnly},
		{"/api/auth/config", get, anyone, s.getConfig, jsonOnly},
		{"/api/auth/signin", post, anyone, s.signIn, jsonOrForm},
		{"/api/auth/signout", post, anyone, s.signOut, jsonOrForm},
		{"/healthz", get, anyone, s.healthz, jsonOnly},
	}
	if s.sessions.Refreshes() { // the refresh cookie is its credential
		routes = append(routes, route{session.RefreshPath, post, anyone, s.refresh, jsonOnly})
	}
	if s.hub != nil {
		// The stream checks its session itself, with Peek: background
		// traffic must not extend it. HEAD would hold a stream open for
		// nothing.
		routes = append(routes, route{EventsPath, getNoHead, anyone, s.events, jsonOnly})
	}
	if _, ok := s.sessions.JWKS(); ok {
		routes = append(routes, route{"/.well-known/jwks.json", get, anyone, s.jwks, jsonOnly})
	}
	routes = append(routes,
		route{"/api/auth/sessions", get, signedIn, s.listSessions, jsonOnly},
		route{"/api/auth/sessions/revoke-others", post, signedIn, s.revokeOthers, jsonOnly},
		route{"/api/auth/sessions/{handle}", del, signedIn, s.deleteSession, jsonOnly},
		route{"/api/auth/password", post, signedIn, s.changePassword, jsonOnly},
		route{"/api/admin/users", get, admins, s.listUsers, jsonOnly},
		route{"/api/admin/users/{id}", patch, admins, s.patchUser, jsonOnly},
		route{"/api/admin/users/{id}/sessions", get, admins, s.userSessions, jsonOnly},
		route{"/api/admin/users/{id}/sessions", del, admins, s.deleteUserSessions, jsonOnly},
		route{"/api/admin/users/{id}/sessions/{handle}", del, admins, s.deleteUserSession, jsonOnly},
	)
	if s.cfg.Metrics != nil && s.cfg.MetricsPath != "" { // loopback clients only: see serveMetrics
		routes = append(routes, route{s.cfg.MetricsPath, getNoHead, anyone, s.serveMetrics(s.cfg.Metrics.Handler()), jsonOnly})
	}
	return routes
}

// Mount registers the API routes and /healthz on r, for programs with their
// own router. Each route refuses a body it does not take (415) or one over
// MaxBodyBytes (413), then a visitor its access column does not admit,
// before its handler runs. Wrap r (or the whole server) in Protect so POSTs
// from other origins are refused.
func (s *Server) Mount(r *mux.Router) {
	for _, rt := range s.routes() {
		h := s.serve(rt.h)
		if rt.access != anyone {
			h = s.require(rt.access.role(), false, h)
		}
		// A copy of the methods: mux upper-cases the slice it is given in
		// place, and the rows share package-level slices that other servers
		// mount too.
		r.Handle(rt.path, s.checkBody(rt.body, h)).Methods(slices.Clone(rt.methods)...)
	}
	// Everything else under /api/ answers JSON: 405 with Allow for a known
	// path with another method, 404 otherwise — never the app shell.
	r.PathPrefix("/api/").HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
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

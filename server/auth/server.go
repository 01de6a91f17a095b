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
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/server/clientip"
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
	Counters store.FailureCounters
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
	// clients only, judged by the address ClientIP resolves: put it on its
	// own listener to expose it further).
	Metrics     *metrics.Metrics
	MetricsPath string
	// ClientIP finds client addresses (for limits, device lists and events):
	// set it to believe X-Forwarded-For from trusted proxies. Nil uses the
	// peer address.
	ClientIP *clientip.Resolver
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
		wc.Strategy, wc.RefreshPath, wc.AccessMaxAge = "jwt", wire.PathRefresh, int(access/time.Second)
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
	r.NotFoundHandler = http.HandlerFunc(notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if allow := s.allow(req); allow != "" {
			w.Header().Set("Allow", allow)
		} else if s.static != nil {
			w.Header().Set("Allow", "GET, HEAD") // a page
		}
		methodNotAllowed(w, req)
	})
	return s.logRequests(s.checkHost(s.protect(r)))
}

// route is one row of the route table: a path, its methods, its handler and
// the request bodies it takes.
type route struct {
	path    string
	methods []string
	h       http.HandlerFunc
	body    bodyKind
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
		{wire.PathSession, get, s.getSession, jsonOnly},
		{wire.PathStatus, get, s.getStatus, jsonOnly},
		{wire.PathConfig, get, s.getConfig, jsonOnly},
		{wire.PathSignIn, post, s.signIn, jsonOrForm},
		{wire.PathSignOut, post, s.signOut, jsonOrForm},
		{"/healthz", get, s.healthz, jsonOnly},
	}
	if s.cfg.Sessions.Refreshes() {
		routes = append(routes, route{wire.PathRefresh, post, s.refresh, jsonOnly})
	}
	if s.hub != nil {
		routes = append(routes, route{wire.PathEvents, getNoHead, s.events, jsonOnly}) // HEAD would hold a stream open for nothing
	}
	if _, ok := s.cfg.Sessions.JWKS(); ok {
		routes = append(routes, route{"/.well-known/jwks.json", get, s.jwks, jsonOnly})
	}
	routes = append(routes,
		route{wire.PathSessions, get, s.listSessions, jsonOnly},
		route{wire.PathRevokeOthers, post, s.revokeOthers, jsonOnly},
		route{wire.PathSessions + "/{handle}", del, s.deleteSession, jsonOnly},
		route{wire.PathPassword, post, s.changePassword, jsonOnly},
		route{wire.PathAdminUsers, get, s.listUsers, jsonOnly},
		route{wire.PathAdminUsers + "/{id}", patch, s.patchUser, jsonOnly},
		route{wire.PathAdminUsers + "/{id}/sessions", get, s.userSessions, jsonOnly},
		route{wire.PathAdminUsers + "/{id}/sessions", del, s.deleteUserSessions, jsonOnly},
		route{wire.PathAdminUsers + "/{id}/sessions/{handle}", del, s.deleteUserSession, jsonOnly},
	)
	if s.cfg.Metrics != nil && s.cfg.MetricsPath != "" {
		m := s.cfg.Metrics.Handler()
		routes = append(routes, route{s.cfg.MetricsPath, getNoHead, func(w http.ResponseWriter, req *http.Request) {
			if !s.isLoopback(req) {
				notFound(w, req)
				return
			}
			m.ServeHTTP(w, req)
		}, jsonOnly})
	}
	return routes
}

// Mount registers the API routes and /healthz on r, for programs with their
// own router. Each route refuses a body it does not take (415) or one over
// MaxBodyBytes (413) before its handler runs. Wrap r (or the whole server)
// in Protect so POSTs from other origins are refused.
func (s *Server) Mount(r *mux.Router) {
	for _, rt := range s.routes() {
		// A copy: mux upper-cases the slice it is given in place, and the
		// rows share package-level slices that other servers mount too.
		r.HandleFunc(rt.path, checkBody(rt.body, rt.h)).Methods(slices.Clone(rt.methods)...)
	}
	// Everything else under /api/ answers JSON: 405 with Allow for a known
	// path with another method, 404 otherwise — never the app shell.
	r.PathPrefix(wire.APIPrefix).HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if allow := s.allow(req); allow != "" {
			w.Header().Set("Allow", allow)
			methodNotAllowed(w, req)
			return
		}
		notFound(w, req)
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
			writeError(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func notFound(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusNotFound, "not found")
}

func methodNotAllowed(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusMethodNotAllowed, "method not allowed")
}

// isLoopback reports whether the request's client is this machine: the
// client address as ClientIP resolves it, so a reverse proxy on this host
// does not make every client behind it local.
func (s *Server) isLoopback(r *http.Request) bool {
	ip, err := netip.ParseAddr(s.cfg.ClientIP.Addr(r))
	return err == nil && ip.Unmap().IsLoopback()
}

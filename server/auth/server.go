// Package auth is sessionguard's HTTP layer: the API of CONTRACT §3, the guard
// that protects pages on the server, the app shell with the session embedded,
// and middleware for Go programs that mount sessionguard in their own router
// and read the session in their own handlers.
package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/server/session"
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
	// AccountLimit and AddressLimit bound failed sign-ins; zero values take
	// DefaultAccountLimit and DefaultAddressLimit.
	AccountLimit, AddressLimit Limit
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
	configJSON []byte
	shell      *shell  // nil without StaticDir
	static     *static // nil without StaticDir
	cop        *http.CrossOriginProtection
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
	if cfg.AccountLimit == (Limit{}) {
		cfg.AccountLimit = DefaultAccountLimit
	}
	if cfg.AddressLimit == (Limit{}) {
		cfg.AddressLimit = DefaultAddressLimit
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		accounts:  NewLimiter(cfg.AccountLimit, cfg.Now),
		addresses: NewLimiter(cfg.AddressLimit, cfg.Now),
		cop:       http.NewCrossOriginProtection(),
	}
	var err error
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
// headers and cross-origin protection.
func (s *Server) Handler() http.Handler {
	r := mux.NewRouter()
	r.SkipClean(true) // the guard cleans paths itself, exactly as the browser module does
	s.Mount(r)
	if s.static != nil {
		r.PathPrefix("/").Methods(http.MethodGet, http.MethodHead).HandlerFunc(s.page)
	}
	r.NotFoundHandler = http.HandlerFunc(notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(methodNotAllowed)
	return s.logRequests(s.protect(r))
}

// Mount registers the API routes and /healthz on r, for programs with their
// own router. Wrap r (or the whole server) in Protect so POSTs from other
// origins are refused.
func (s *Server) Mount(r *mux.Router) {
	type route struct {
		path    string
		methods []string
		h       http.HandlerFunc
	}
	routes := []route{
		{"/api/session", []string{http.MethodGet, http.MethodHead}, s.getSession},
		{"/api/get-session-status", []string{http.MethodGet, http.MethodHead}, s.getStatus},
		{"/api/auth/config", []string{http.MethodGet, http.MethodHead}, s.getConfig},
		{"/api/auth/signin", []string{http.MethodPost}, s.signIn},
		{"/api/auth/signout", []string{http.MethodPost}, s.signOut},
		{"/healthz", []string{http.MethodGet, http.MethodHead}, s.healthz},
	}
	if s.cfg.Sessions.Refreshes() {
		routes = append(routes, route{session.RefreshPath, []string{http.MethodPost}, s.refresh})
	}
	if _, ok := s.cfg.Sessions.JWKS(); ok {
		routes = append(routes, route{"/.well-known/jwks.json", []string{http.MethodGet, http.MethodHead}, s.jwks})
	}
	allowed := make(map[string]string, len(routes))
	for _, rt := range routes {
		r.HandleFunc(rt.path, rt.h).Methods(rt.methods...)
		allowed[rt.path] = strings.Join(rt.methods, ", ")
	}
	// Everything else under /api/ answers JSON: 405 for a known path with
	// another method, 404 otherwise — never the app shell.
	r.PathPrefix("/api/").HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if a, ok := allowed[req.URL.Path]; ok {
			w.Header().Set("Allow", a)
			methodNotAllowed(w, req)
			return
		}
		notFound(w, req)
	})
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

// Package auth is sessionguard's HTTP layer: the API of docs/API.md, the guard
// that protects pages on the server, the app shell with the session embedded,
// and middleware for Go programs that mount sessionguard in their own router
// and read the session in their own handlers.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/server/metrics"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/twofactor"
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
	// TwoFactor enrols accounts in a second factor and checks its codes:
	// give one on the store (twofactor.Open). Nil keeps second factors in
	// this process only.
	TwoFactor *twofactor.Service
	// FreshAge is how long after the user last proved themselves (the
	// session's AuthenticatedAt) a session may make sensitive requests:
	// a password change, second-factor changes, ending other sessions,
	// admin writes. Older: 403 with code reauth_required. Zero is ten
	// minutes.
	FreshAge time.Duration
	// Require2FARoles are the roles whose accounts must enrol a second
	// factor before they can do anything else: their sessions can enrol
	// and sign out (other API calls: 403 enrollment_required), and their
	// protected page loads go to EnrollPath ("/account" when empty), the
	// page that enrols.
	Require2FARoles []string
	EnrollPath      string
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
	// ServiceTokens are the SHA-256 sums of the credentials other services
	// present to the service API (introspection and the revocation feed;
	// jwt strategy with EdDSA only). Empty: no service API.
	ServiceTokens [][sha256.Size]byte
	// Logger receives one line per request and every failure; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// DefaultFreshAge is Config.FreshAge's default (-fresh-age).
const DefaultFreshAge = 10 * time.Minute

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
	hosts      hostList      // empty: every Host
	closing    chan struct{} // closed by Close: the revocation feeds end
	closeOnce  sync.Once
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
	if cfg.TwoFactor == nil {
		key := make([]byte, twofactor.KeyLen)
		_, _ = rand.Read(key)
		tf, err := twofactor.New(memory.New(), key, twofactor.WithClock(cfg.Now))
		if err != nil {
			return nil, err
		}
		cfg.TwoFactor = tf
	}
	if cfg.EnrollPath == "" {
		cfg.EnrollPath = "/account"
	}
	if cfg.FreshAge <= 0 {
		cfg.FreshAge = DefaultFreshAge
	}
	if len(cfg.DeviceKey) == 0 {
		cfg.DeviceKey = make([]byte, 32)
		_, _ = rand.Read(cfg.DeviceKey)
	}
	s := &Server{
		cfg:       cfg,
		closing:   make(chan struct{}),
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
		AAL2Paths:   policy.Strings(cfg.Policy.AAL2),
		FreshAge:    int(cfg.FreshAge / time.Second),
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

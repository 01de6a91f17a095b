// Package app is sessionguard's one assembly: Options in, a ready server
// out. It opens (or takes) the store, builds the accounts, the session
// strategy with its keys, the Manager, the policy, the HTTP layer, metrics
// and alerts, and starts their background work. The sessionguard command
// is flag parsing plus New and Serve, and every test harness builds its
// server here too, so the tests run the server that ships.
//
// A Go program that embeds sessionguard needs nothing else:
//
//	srv, err := app.New(ctx, app.Options{StoreKind: "postgres", StoreURL: dsn, Strategy: "jwt"})
//	if err != nil { … }
//	defer srv.Close()
//	http.ListenAndServe(addr, srv.Handler())
package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/server/alert"
	"github.com/sessionguard/sessionguard/server/auth"
	"github.com/sessionguard/sessionguard/server/clientip"
	"github.com/sessionguard/sessionguard/server/metrics"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/cache"
	"github.com/sessionguard/sessionguard/server/twofactor"
	"github.com/sessionguard/sessionguard/server/users"
)

// Server is an assembled sessionguard server. Build it with New; serve
// Handler with any http.Server, or call Serve. Close it when done. It is
// safe for concurrent use.
type Server struct {
	opts     Options
	store    store.Store
	accounts *users.Service
	sessions *session.Manager
	http     *auth.Server
	tls      *tls.Config
	logger   *slog.Logger

	stop      context.CancelFunc // ends the background work
	closeOnce sync.Once
	closers   []func() error // run in reverse order by Close
}

// New builds the server Options describe and starts its background work
// (expired-record cleanup, key reload, alert delivery). ctx bounds the
// building only. On error nothing is left open.
func New(ctx context.Context, o Options) (_ *Server, err error) {
	o = o.withDefaults()
	if o.Strategy != "database" && o.Strategy != "jwt" {
		return nil, fmt.Errorf("-strategy %q: want database or jwt", o.Strategy)
	}
	s := &Server{opts: o, logger: o.Logger}
	bg, stop := context.WithCancel(context.Background())
	s.stop = stop
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := s.startAlerts(); err != nil {
		return nil, err
	}
	if s.tls, err = loadTLS(o.TLSCertFile, o.TLSKeyFile); err != nil {
		return nil, err
	}
	pol, err := policy.New(strings.Join(o.Public, ","), strings.Join(o.AdminPaths, ","))
	if err != nil {
		return nil, fmt.Errorf("-public/-admin-paths: %w", err)
	}
	if pol.AAL2, err = policy.ParsePatterns(strings.Join(o.AAL2Paths, ",")); err != nil {
		return nil, fmt.Errorf("-aal2-paths: %w", err)
	}
	if o.Bearer && o.Strategy == "jwt" && o.AccessMaxAge >= o.Lifetime.MaxAge {
		// A bearer client's reads do not renew its token; its refreshes,
		// one per access-token lifetime, carry the rolling expiry.
		return nil, fmt.Errorf("-bearer with -strategy jwt: -access-max-age %v must be below -max-age %v", o.AccessMaxAge, o.Lifetime.MaxAge)
	}
	if o.HashConcurrency < 0 {
		return nil, fmt.Errorf("-hash-concurrency %d: want 0 (half the CPUs) or more", o.HashConcurrency)
	}
	if o.FreshAge < 0 {
		return nil, fmt.Errorf("-fresh-age %v: want a positive duration", o.FreshAge)
	}
	for _, role := range o.Require2FARoles {
		if role != users.RoleUser && role != users.RoleAdmin {
			return nil, fmt.Errorf("-require-2fa-roles: unknown role %q (want %s or %s)", role, users.RoleUser, users.RoleAdmin)
		}
	}
	ips, err := clientip.New(strings.Join(o.TrustedProxies, ","))
	if err != nil {
		return nil, fmt.Errorf("-trusted-proxies: %w", err)
	}
	if s.store = o.Store; s.store == nil {
		if s.store, err = openStore(ctx, o); err != nil {
			return nil, err
		}
		s.closers = append(s.closers, s.store.Close)
	}
	st := s.store

	s.accounts, err = users.New(ctx, st, users.NewHasher(o.PasswordParams, o.HashConcurrency), users.WithClock(o.Now))
	if err != nil {
		return nil, err
	}
	for _, a := range o.Accounts {
		created, err := s.accounts.EnsureAccount(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("create account %s: %w", a.Email, err)
		}
		if created {
			s.logger.Info("demo account created", "email", a.Email, "role", a.Role)
		}
	}

	var strategy session.Strategy
	if o.Strategy == "jwt" {
		strategy, err = newJWT(ctx, bg, o, st, s.logger)
	} else {
		strategy, err = session.NewDatabase(st, o.Lifetime)
	}
	if err != nil {
		return nil, err
	}
	sessionOpts := []session.Option{session.WithClock(o.Now), session.WithLogger(s.logger),
		session.WithCookie(session.CookieConfig{Insecure: o.InsecureCookies}),
		session.WithClientIP(ips), session.WithEvents(st)}
	if o.Bearer {
		sessionOpts = append(sessionOpts, session.WithBearer())
	}
	s.sessions = session.New(strategy, sessionOpts...)

	// The device-cookie key lives in the store, so every instance that
	// shares it accepts the others' device cookies.
	deviceKey, err := st.Secret(ctx, "device-cookie-key", randomKey())
	if err != nil {
		return nil, fmt.Errorf("read the shared device-cookie key: %w", err)
	}
	// The TOTP secrets' key lives in the store too: every instance opens
	// the others' secrets.
	twoFactor, err := twofactor.Open(ctx, st, twofactor.WithClock(o.Now))
	if err != nil {
		return nil, err
	}
	serviceTokens, err := readServiceTokens(o.ServiceTokenFile)
	if err != nil {
		return nil, err
	}
	metricsPath := ""
	if o.MetricsAddr == "" {
		metricsPath = "/metrics" // loopback clients only
	}
	s.http, err = auth.New(auth.Config{
		Sessions:  s.sessions,
		Users:     s.accounts,
		Policy:    pol,
		Health:    st,
		StaticDir: o.StaticDir,
		MaxAge:    o.Lifetime.MaxAge,
		TwoFactor: twoFactor,
		FreshAge:  o.FreshAge,
		// Roles whose accounts must enrol a second factor.
		Require2FARoles: o.Require2FARoles,
		Logger:          s.logger,
		Counters:        st, // failure counts are shared by every instance on the store
		DeviceKey:       deviceKey,
		Metrics:         o.Metrics,
		MetricsPath:     metricsPath,
		// Requests for any other Host get 421 (DNS rebinding).
		AllowedHosts:  o.AllowedHosts,
		ServiceTokens: serviceTokens,
		Now:           o.Now,
	})
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() error { s.http.Close(); return nil })
	o.Metrics.ActiveSessions(func(ctx context.Context) (int64, error) { return st.CountSessions(ctx, o.Now()) }, 15*time.Second)
	o.Metrics.Gauge("sessionguard_event_streams_open", "Live event streams this process holds open (one per browser).",
		func() float64 { n, _ := s.http.StreamCounts(); return float64(n) })
	o.Metrics.Counter("sessionguard_event_streams_total", "Live event streams this process opened.",
		func() float64 { _, n := s.http.StreamCounts(); return float64(n) })
	if c, ok := st.(*cache.Store); ok && o.StoreCache {
		cacheMetrics(o.Metrics, c)
	}
	// Last, so that a server that fails to start says only why.
	if err := s.warnWithoutAccounts(ctx); err != nil {
		return nil, err
	}
	go s.sessions.RunCleanup(bg, time.Minute)
	return s, nil
}

// warnWithoutAccounts says how to make the first account when the store has
// none: such a server runs, but nobody can sign in.
func (s *Server) warnWithoutAccounts(ctx context.Context) error {
	has, err := s.store.HasUsers(ctx)
	if err != nil {
		return fmt.Errorf("read the accounts: %w", err)
	}
	if !has {
		s.logger.Warn("no accounts yet, so nobody can sign in: create one with " +
			"`sessionguard useradd -email you@example.com -name You -role admin < password-file` " +
			"(with the same -store, -store-url and -data as the server), or start with -demo for the demo accounts")
	}
	return nil
}

// minServiceToken is the shortest service credential accepted, in bytes.
const minServiceToken = 32

// readServiceTokens reads the service credentials of path (see
// Options.ServiceTokenFile) and returns their SHA-256 sums; none for "".
func readServiceTokens(path string) ([][sha256.Size]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-service-token-file: %w", err)
	}
	var sums [][sha256.Size]byte
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) < minServiceToken {
			return nil, fmt.Errorf("-service-token-file %s: line %d: a credential needs %d bytes or more (try: openssl rand -base64 32)", path, i+1, minServiceToken)
		}
		sums = append(sums, sha256.Sum256([]byte(line)))
	}
	if len(sums) == 0 {
		return nil, fmt.Errorf("-service-token-file %s: no credential in it", path)
	}
	return sums, nil
}

// startAlerts sends the security events of the log to AlertWebhook, and
// counts what it delivers.
func (s *Server) startAlerts() error {
	o := s.opts
	if o.AlertWebhook == "" {
		return nil
	}
	sender, err := alert.New(alert.Config{
		URL: o.AlertWebhook, Events: o.AlertEvents,
		Errors: func(err error) { s.logger.Warn("alert not delivered", "error", err.Error()) },
	})
	if err != nil {
		return err
	}
	s.closers = append(s.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		sender.Close(ctx)
		return nil
	})
	s.logger = slog.New(sender.Handler(s.logger.Handler()))
	m := o.Metrics
	m.Counter("sessionguard_alerts_sent_total", "Alerts delivered to -alert-webhook.", func() float64 { n, _, _ := sender.Stats(); return float64(n) })
	m.Counter("sessionguard_alerts_failed_total", "Alerts that failed every attempt.", func() float64 { _, n, _ := sender.Stats(); return float64(n) })
	m.Counter("sessionguard_alerts_dropped_total", "Alerts dropped because the queue was full.", func() float64 { _, _, n := sender.Stats(); return float64(n) })
	return nil
}

// Handler serves the whole server: API, guarded pages, static files.
func (s *Server) Handler() http.Handler { return s.http.Handler() }

// Sessions is the session Manager, for a program's own handlers
// (Manager.Load reads the request's session).
func (s *Server) Sessions() *session.Manager { return s.sessions }

// Users is the account service (create accounts, change roles).
func (s *Server) Users() *users.Service { return s.accounts }

// Store is the store the server runs on.
func (s *Server) Store() store.Store { return s.store }

// Metrics is the registry the server counts into.
func (s *Server) Metrics() *metrics.Metrics { return s.opts.Metrics }

// HTTP is the HTTP layer, for its middleware (RequireSession,
// RequireRole) around a program's own routes.
func (s *Server) HTTP() *auth.Server { return s.http }

// Close ends the background work and the live event streams, delivers the
// alerts still queued (for up to five seconds) and closes the store when
// New opened it. Calls after the first do nothing.
func (s *Server) Close() error {
	var errs []error
	s.closeOnce.Do(func() {
		s.stop()
		for i := len(s.closers) - 1; i >= 0; i-- {
			errs = append(errs, s.closers[i]())
		}
	})
	return errors.Join(errs...)
}

func randomKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

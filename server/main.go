// Command sessionguard serves the sessionguard API, the guarded pages and the
// browser module, or manages accounts (useradd). It is one user of the
// library packages under server/.
//
//	sessionguard [flags]                  serve (see -h)
//	sessionguard useradd -email E -name N -role user|admin   < password
//	sessionguard keys rotate [-data DIR]                      new jwt signing key
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/server/alert"
	"github.com/sessionguard/sessionguard/server/auth"
	"github.com/sessionguard/sessionguard/server/clientip"
	"github.com/sessionguard/sessionguard/server/metrics"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/cache"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/store/postgres"
	"github.com/sessionguard/sessionguard/server/store/redis"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
	"github.com/sessionguard/sessionguard/server/users"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.LookupEnv, os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit code. ctx ends on SIGINT or
// SIGTERM.
func run(ctx context.Context, args []string, getenv func(string) (string, bool), stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "useradd" {
		return useradd(ctx, args[1:], getenv, stdin, stdout, stderr)
	}
	if len(args) > 1 && args[0] == "keys" && args[1] == "rotate" {
		return rotateKeys(args[2:], getenv, stdout, stderr)
	}
	var c config
	fs := serveFlags("sessionguard", &c)
	if err := parse(fs, args, getenv, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "sessionguard:", err)
		return 2
	}
	if err := serve(ctx, c, nil, stderr); err != nil {
		fmt.Fprintln(stderr, "sessionguard:", err)
		return 1
	}
	return 0
}

// demoAccounts are created by -demo when missing.
var demoAccounts = []users.NewAccount{
	{Email: "user@example.com", Name: "Demo User", Role: users.RoleUser, Password: "user-password"},
	{Email: "admin@example.com", Name: "Demo Admin", Role: users.RoleAdmin, Password: "admin-password"},
}

// serve runs the server until ctx ends, then stops accepting, lets requests
// in flight finish, and closes the store. When ready is not nil it receives
// the listening address.
func serve(ctx context.Context, c config, ready chan<- string, stderr io.Writer) error {
	lw := newLogWriter(stderr)
	defer lw.Flush()
	logCtx, stopLogs := context.WithCancel(context.Background())
	defer stopLogs()
	go lw.run(logCtx, 100*time.Millisecond)
	logger, err := newLogger(c.logLevel, lw)
	if err != nil {
		return err
	}
	m := metrics.New()
	if c.alertWebhook != "" {
		sender, err := alert.New(alert.Config{
			URL: c.alertWebhook, Events: splitList(c.alertEvents),
			Errors: func(err error) { logger.Warn("alert not delivered", "error", err.Error()) },
		})
		if err != nil {
			return err
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			sender.Close(ctx)
		}()
		logger = slog.New(sender.Handler(logger.Handler()))
		m.Counter("sessionguard_alerts_sent_total", "Alerts delivered to -alert-webhook.", func() float64 { s, _, _ := sender.Stats(); return float64(s) })
		m.Counter("sessionguard_alerts_failed_total", "Alerts that failed every attempt.", func() float64 { _, f, _ := sender.Stats(); return float64(f) })
		m.Counter("sessionguard_alerts_dropped_total", "Alerts dropped because the queue was full.", func() float64 { _, _, d := sender.Stats(); return float64(d) })
	}
	tlsConfig, err := loadTLS(c.tlsCert, c.tlsKey)
	if err != nil {
		return err
	}
	if c.strategy != "database" && c.strategy != "jwt" {
		return fmt.Errorf("-strategy %q: want database or jwt", c.strategy)
	}
	pol, err := policy.New(c.public, c.adminPaths)
	if err != nil {
		return fmt.Errorf("-public/-admin-paths: %w", err)
	}
	if c.store == "sqlite" {
		if err := os.MkdirAll(c.data, 0o700); err != nil {
			return fmt.Errorf("-data: %w", err)
		}
		unlock, err := lockDataDir(c.data)
		if err != nil {
			return err
		}
		defer unlock()
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	if c.store == "sqlite" {
		// This server is the only writer of the file's sessions (see
		// lockDataDir), so reads can be served from memory.
		st = cache.New(st, 0)
	}

	hasher := users.NewHasher(users.DefaultParams, 0)
	accounts, err := users.New(ctx, st, hasher)
	if err != nil {
		return err
	}
	if c.demo {
		for _, a := range demoAccounts {
			created, err := accounts.EnsureAccount(ctx, a)
			if err != nil {
				return fmt.Errorf("create demo account %s: %w", a.Email, err)
			}
			if created {
				logger.Info("demo account created", "email", a.Email, "role", a.Role)
			}
		}
	}
	bg, cancelBG := context.WithCancel(context.Background())
	defer cancelBG()
	lifetime := session.Lifetime{MaxAge: c.maxAge, AbsoluteMaxAge: c.absoluteMaxAge, UpdateAge: c.updateAge}
	var strategy session.Strategy
	if c.strategy == "jwt" {
		strategy, err = newJWT(ctx, bg, c, st, lifetime, logger)
	} else {
		strategy, err = session.NewDatabase(st, lifetime)
	}
	if err != nil {
		return err
	}
	ips, err := clientip.New(c.trustedProxies)
	if err != nil {
		return fmt.Errorf("-trusted-proxies: %w", err)
	}
	opts := []session.Option{session.WithCookie(session.CookieConfig{Insecure: c.insecure}), session.WithLogger(logger), session.WithClientIP(ips)}
	if ev, ok := st.(store.Events); ok {
		opts = append(opts, session.WithEvents(ev))
	}
	mgr := session.New(strategy, opts...)
	// Failure counts and the device-cookie key live in the store, so every
	// instance sharing it applies the same limits.
	counters, _ := st.(store.Counters)
	var deviceKey []byte
	if ks, ok := st.(store.Keys); ok {
		candidate := make([]byte, 32)
		_, _ = rand.Read(candidate)
		if deviceKey, err = ks.Secret(ctx, "device-cookie-key", candidate); err != nil {
			return fmt.Errorf("read the shared device-cookie key: %w", err)
		}
	}
	// Without -metrics-addr, /metrics is on the main listener for loopback
	// clients only.
	metricsPath := ""
	if c.metricsAddr == "" {
		metricsPath = "/metrics"
	}
	srv, err := auth.New(auth.Config{
		Sessions:    mgr,
		Users:       accounts,
		Policy:      pol,
		Health:      st,
		StaticDir:   c.static,
		MaxAge:      c.maxAge,
		Logger:      logger,
		Counters:    counters,
		DeviceKey:   deviceKey,
		Metrics:     m,
		MetricsPath: metricsPath,

		// Requests for any other Host get 421 (DNS rebinding).
		AllowedHosts: splitList(c.allowedHosts),
	})
	if err != nil {
		return err
	}

	if sc, ok := st.(store.SessionCounter); ok {
		m.ActiveSessions(func(ctx context.Context) (int64, error) { return sc.CountSessions(ctx, time.Now()) }, 15*time.Second)
	}
	if c.metricsAddr != "" {
		mln, err := net.Listen("tcp", c.metricsAddr)
		if err != nil {
			return fmt.Errorf("-metrics-addr: %w", err)
		}
		ms := &http.Server{Handler: metricsMux(m), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = ms.Serve(mln) }()
		defer ms.Close()
		logger.Info("metrics", "url", "http://"+mln.Addr().String()+"/metrics")
	}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		TLSConfig:         tlsConfig,
	}
	hs.RegisterOnShutdown(srv.Close) // end the live event streams, so shutdown does not wait for them
	go mgr.RunCleanup(bg, time.Minute)

	errc := make(chan error, 1)
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		go func() { errc <- hs.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- hs.Serve(ln) }()
	}
	logger.Info("listening", "url", scheme+"://"+ln.Addr().String(), "strategy", c.strategy, "store", c.store, "secure_cookies", !c.insecure)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// loadTLS reads -tls-cert and -tls-key: both or neither (nil: plain http).
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, errors.New("-tls-cert and -tls-key go together: give both or neither")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("-tls-cert/-tls-key: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// metricsMux serves /metrics alone, for -metrics-addr.
func metricsMux(m *metrics.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return mux
}

// newJWT builds the jwt strategy: keys from -jwt-key-file or <data>/keys
// (in memory only with -store memory), published through the store for the
// other instances, reloaded every minute so a rotation takes effect.
func newJWT(ctx, bg context.Context, c config, st store.Store, l session.Lifetime, logger *slog.Logger) (*session.JWT, error) {
	js, ok1 := st.(session.JWTStore)
	ks, ok2 := st.(store.Keys)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("-store %s cannot hold jwt sessions", c.store)
	}
	dir := filepath.Join(c.data, "keys")
	if c.store == "memory" {
		dir = ""
	}
	const leeway = 5 * time.Second
	keys, err := session.LoadKeys(ctx, session.KeyConfig{
		Algorithm: c.jwtAlg, Dir: dir, File: c.jwtKeyFile, Store: ks,
		Retire: c.accessMaxAge + leeway + time.Minute,
	})
	if err != nil {
		return nil, err
	}
	candidate := make([]byte, 32)
	_, _ = rand.Read(candidate)
	secret, err := ks.Secret(ctx, "refresh-successor-key", candidate)
	if err != nil {
		return nil, fmt.Errorf("read the shared refresh key: %w", err)
	}
	j, err := session.NewJWT(session.JWTConfig{
		Keys: keys, Store: js, RefreshKey: secret, Lifetime: l, AccessMaxAge: c.accessMaxAge,
		Issuer: c.jwtIssuer, Audience: c.jwtAudience, Leeway: leeway, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	go keys.Run(bg, time.Minute, func(err error) { logger.Warn("key reload failed", "error", err.Error()) })
	return j, nil
}

// openStore opens the backend the flags name.
func openStore(ctx context.Context, c config) (store.Store, error) {
	switch c.store {
	case "sqlite":
		if err := os.MkdirAll(c.data, 0o700); err != nil {
			return nil, fmt.Errorf("-data: %w", err)
		}
		return sqlite.Open(ctx, c.data+string(os.PathSeparator)+"sessionguard.db")
	case "memory":
		return memory.New(), nil
	case "postgres":
		if c.storeURL == "" {
			return nil, errors.New("-store postgres needs -store-url")
		}
		s, err := postgres.Open(ctx, c.storeURL, postgres.WithSchema(c.storeSchema))
		if err != nil {
			return nil, err
		}
		return s, nil
	case "redis":
		if c.storeURL == "" {
			return nil, errors.New("-store redis needs -store-url")
		}
		// A session's key outlives its stored idle expiry by the update
		// age: the database strategy extends sessions in memory between
		// writes.
		s, err := redis.Open(ctx, c.storeURL, redis.WithPrefix(c.storePrefix), redis.WithExpiryGrace(c.updateAge))
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("-store %q: want sqlite, memory, postgres or redis", c.store)
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// useradd creates an account; the password is the first line of stdin.
func useradd(ctx context.Context, args []string, getenv func(string) (string, bool), stdin io.Reader, stdout, stderr io.Writer) int {
	var c config
	var email, name, role string
	fs := flag.NewFlagSet("sessionguard useradd", flag.ContinueOnError)
	storeFlags(fs, &c)
	fs.StringVar(&email, "email", "", "e-mail address (required)")
	fs.StringVar(&name, "name", "", "display name (required)")
	fs.StringVar(&role, "role", users.RoleUser, "role: user or admin")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sessionguard useradd -data DIR -email E -name N -role user|admin < password")
		fs.PrintDefaults()
	}
	if err := parse(fs, args, getenv, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "sessionguard useradd:", err)
		return 2
	}
	password, err := bufio.NewReader(io.LimitReader(stdin, users.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(stderr, "sessionguard useradd: read password:", err)
		return 1
	}
	password = strings.TrimRight(password, "\r\n")
	if c.store == "memory" {
		fmt.Fprintln(stderr, "sessionguard useradd: -store memory keeps nothing; use sqlite, postgres or redis")
		return 2
	}
	st, err := openStore(ctx, c)
	if err != nil {
		fmt.Fprintln(stderr, "sessionguard useradd:", err)
		return 1
	}
	defer st.Close()
	svc, err := users.New(ctx, st, users.NewHasher(users.DefaultParams, 1))
	if err != nil {
		fmt.Fprintln(stderr, "sessionguard useradd:", err)
		return 1
	}
	u, err := svc.Create(ctx, users.NewAccount{Email: email, Name: name, Role: role, Password: password})
	if err != nil {
		fmt.Fprintln(stderr, "sessionguard useradd:", err)
		if errors.Is(err, users.ErrInvalidAccount) {
			return 2
		}
		return 1
	}
	fmt.Fprintf(stdout, "created %s (%s, role %s, id %s)\n", u.Email, u.Name, u.Role, u.ID)
	return 0
}

// rotateKeys generates a new Ed25519 signing key in <data>/keys. A running
// server signs with it within a minute; tokens signed with the previous key
// keep verifying until they expire.
func rotateKeys(args []string, getenv func(string) (string, bool), stdout, stderr io.Writer) int {
	var data string
	var prune time.Duration
	fs := flag.NewFlagSet("sessionguard keys rotate", flag.ContinueOnError)
	fs.StringVar(&data, "data", "./data", "data directory whose keys/ to rotate")
	fs.DurationVar(&prune, "prune", 24*time.Hour, "delete key files superseded longer ago than this (0 keeps all)")
	if err := parse(fs, args, getenv, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "sessionguard keys rotate:", err)
		return 2
	}
	kid, err := session.RotateKey(filepath.Join(data, "keys"), time.Now(), prune)
	if err != nil {
		fmt.Fprintln(stderr, "sessionguard keys rotate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "new signing key %s in %s\n", kid, filepath.Join(data, "keys"))
	return 0
}

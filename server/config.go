package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sessionguard/sessionguard/server/alert"
	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store/postgres"
	"github.com/sessionguard/sessionguard/server/store/redis"
)

// config is everything the flags and SG_* variables say.
type config struct {
	addr            string
	data            string
	static          string
	strategy        string
	store           string
	storeURL        string
	storeSchema     string
	storePrefix     string
	storeCache      bool
	storeCacheSize  int
	maxAge          time.Duration
	absoluteMaxAge  time.Duration
	updateAge       time.Duration
	public          string
	adminPaths      string
	aal2Paths       string
	freshAge        time.Duration
	require2FA      string
	insecure        bool
	bearer          bool
	demo            bool
	hashConcurrency int
	logLevel        string
	accessMaxAge    time.Duration
	jwtAlg          string
	jwtKeyFile      string
	jwtIssuer       string
	jwtAudience     string
	metricsAddr     string
	alertWebhook    string
	serviceTokens   string
	alertEvents     string
	trustedProxies  string
	allowedHosts    string
	tlsCert         string
	tlsKey          string
	gcFloorMiB      int
	gogcSet         bool // GOGC is in the environment: the operator tunes the collector
}

// storeFlags are the flags that say where accounts and sessions live; the
// useradd command shares them with the server.
func storeFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.data, "data", "./data", "directory for the embedded store (SQLite file) and generated keys")
	fs.StringVar(&c.store, "store", "sqlite", "store backend: sqlite, memory, postgres or redis")
	fs.StringVar(&c.storeURL, "store-url", "", "DSN for the postgres or redis store")
	fs.StringVar(&c.storeSchema, "store-schema", postgres.DefaultSchema, "postgres: schema that holds the tables, created if missing; one per deployment sharing a database")
	fs.StringVar(&c.storePrefix, "store-prefix", redis.DefaultPrefix, "redis: prefix of every key and of the events channel; one per deployment sharing a server")
}

func serveFlags(name string, c *config) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address")
	storeFlags(fs, c)
	fs.BoolVar(&c.storeCache, "store-cache", false, "postgres, redis: serve session reads and revocation checks from memory, kept current through the store's event channel (a revocation reaches every instance within 0.5 s; reads go to the store while the channel is down or slow); sqlite caches always")
	fs.IntVar(&c.storeCacheSize, "store-cache-size", app.DefaultStoreCacheSize, "postgres, redis with -store-cache: most session records kept in memory")
	fs.StringVar(&c.static, "static", "./static", "directory served at /; the app shell index.html is read from it")
	fs.StringVar(&c.strategy, "strategy", "database", "session strategy: database (opaque id, server-side record) or jwt (signed token)")
	fs.DurationVar(&c.maxAge, "max-age", 30*time.Minute, "idle lifetime; every read of the session moves expires to now+max-age")
	fs.DurationVar(&c.absoluteMaxAge, "absolute-max-age", 12*time.Hour, "hard cap from sign-in, activity or not")
	fs.DurationVar(&c.updateAge, "update-age", time.Minute, "write a rolling extension to the store at most this often per session (capped at max-age/2); 0 = every read")
	fs.StringVar(&c.public, "public", strings.Join(app.DefaultPublic, ","), "comma-separated public path patterns (/exact or /prefix/*)")
	fs.StringVar(&c.adminPaths, "admin-paths", strings.Join(app.DefaultAdminPaths, ","), "comma-separated path patterns that need role admin")
	fs.StringVar(&c.aal2Paths, "aal2-paths", "", "comma-separated path patterns that need a session proved with a second factor")
	fs.DurationVar(&c.freshAge, "fresh-age", app.DefaultFreshAge, "sensitive requests (password and 2FA changes, ending other sessions, admin writes) need a sign-in or re-authentication this recent")
	fs.StringVar(&c.require2FA, "require-2fa-roles", "", "comma-separated roles whose accounts must enrol a second factor")
	fs.BoolVar(&c.insecure, "insecure-cookies", false, "drop Secure and the __Host- prefix (plain-http LAN development only)")
	fs.BoolVar(&c.bearer, "bearer", false, "also accept Authorization: Bearer session tokens, for clients without cookies (native apps, CLIs), and serve the token endpoints /api/auth/token*")
	fs.IntVar(&c.hashConcurrency, "hash-concurrency", 0, "password hashes (argon2id) at once; 0 = half the CPUs, so a burst of sign-ins leaves the other requests a core")
	fs.BoolVar(&c.demo, "demo", false, "create the demo accounts if missing")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&c.accessMaxAge, "access-max-age", 5*time.Minute, "jwt: lifetime of an access token; the browser module refreshes before it ends")
	fs.StringVar(&c.jwtAlg, "jwt-alg", "EdDSA", "jwt: signing algorithm, EdDSA (Ed25519 keys in <data>/keys) or HS256 (one shared secret)")
	fs.StringVar(&c.jwtKeyFile, "jwt-key-file", "", "jwt: use this key instead of <data>/keys: an Ed25519 PKCS #8 PEM file, or for HS256 a secret of 32+ bytes")
	fs.StringVar(&c.jwtIssuer, "jwt-issuer", "sessionguard", "jwt: the iss of every token")
	fs.StringVar(&c.jwtAudience, "jwt-audience", "sessionguard", "jwt: the aud of every token")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", "", "comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For is believed for the client address")
	fs.StringVar(&c.allowedHosts, "allowed-hosts", "", "comma-separated host[:port] names the server answers; any other Host gets 421 (DNS-rebinding defence); empty answers every Host")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (chain) file; needs -tls-key")
	fs.StringVar(&c.tlsKey, "tls-key", "", "the PEM private key of -tls-cert")
	fs.IntVar(&c.gcFloorMiB, "gc-floor-mib", DefaultGCFloorMiB, "let the heap grow to this many MiB before the garbage collector runs (Go's default is 4); fewer collections under load for that much memory; 0 = Go's default; not applied when GOGC is set")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve /metrics (Prometheus) on this address to anyone; empty serves it on -addr to loopback clients only")
	fs.StringVar(&c.serviceTokens, "service-token-file", "", "file of credentials (one per line, 32+ bytes) for other services' use of the service API: introspection and the revocation feed (jwt strategy, EdDSA)")
	fs.StringVar(&c.alertWebhook, "alert-webhook", "", "POST security events (JSON) to this URL, in the background with bounded retries")
	fs.StringVar(&c.alertEvents, "alert-events", strings.Join(alert.DefaultEvents, ","), "comma-separated events that go to -alert-webhook")
	return fs
}

// parse reads args, then fills every flag not given on the command line from
// its SG_<FLAG> variable (upper case, "-" → "_"): a flag beats the variable.
func parse(fs *flag.FlagSet, args []string, getenv func(string) (string, bool), stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		env := envName(f.Name)
		if v, ok := getenv(env); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", env, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

func envName(flagName string) string {
	return "SG_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// options turns the flags into the assembly's Options.
func (c config) options() app.Options {
	o := app.Options{
		Strategy:         c.strategy,
		StoreKind:        c.store,
		StoreURL:         c.storeURL,
		StoreSchema:      c.storeSchema,
		StorePrefix:      c.storePrefix,
		StoreCache:       c.storeCache,
		StoreCacheSize:   c.storeCacheSize,
		DataDir:          c.data,
		Lifetime:         session.Lifetime{MaxAge: c.maxAge, AbsoluteMaxAge: c.absoluteMaxAge, UpdateAge: c.updateAge},
		AccessMaxAge:     c.accessMaxAge,
		JWTAlgorithm:     c.jwtAlg,
		JWTKeyFile:       c.jwtKeyFile,
		JWTIssuer:        c.jwtIssuer,
		JWTAudience:      c.jwtAudience,
		Public:           splitList(c.public),
		AdminPaths:       splitList(c.adminPaths),
		AAL2Paths:        splitList(c.aal2Paths),
		FreshAge:         c.freshAge,
		Require2FARoles:  splitList(c.require2FA),
		StaticDir:        c.static,
		InsecureCookies:  c.insecure,
		Bearer:           c.bearer,
		HashConcurrency:  c.hashConcurrency,
		TrustedProxies:   splitList(c.trustedProxies),
		AllowedHosts:     splitList(c.allowedHosts),
		TLSCertFile:      c.tlsCert,
		TLSKeyFile:       c.tlsKey,
		MetricsAddr:      c.metricsAddr,
		AlertWebhook:     c.alertWebhook,
		ServiceTokenFile: c.serviceTokens,
	}
	if events := splitList(c.alertEvents); len(events) > 0 {
		o.AlertEvents = events // empty: the default events
	}
	if c.store == "memory" {
		o.DataDir = "" // keys in memory: nothing of this store outlives the process
	}
	if c.demo {
		o.Accounts = app.DemoAccounts
	}
	return o
}

// splitList splits a comma-separated flag value, dropping empty items; an
// empty value gives an empty list, not nil (which would take the default).
func splitList(s string) []string {
	out := []string{}
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

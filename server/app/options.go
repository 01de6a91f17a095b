package app

import (
	"log/slog"
	"time"

	"github.com/sessionguard/sessionguard/server/metrics"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/cache"
	"github.com/sessionguard/sessionguard/server/users"
)

// Options says what New builds. Every field has the default of the
// sessionguard command's flag of the same name (see docs/API.md), taken
// when the field is zero, and New's errors name that flag.
type Options struct {
	// Strategy is "database" (opaque id, server-side record; the default)
	// or "jwt" (signed access token and refresh token). Flag -strategy.
	Strategy string

	// Store is an open store to use; New does not close it. When nil, New
	// opens the backend StoreKind names and closes it in Close.
	Store store.Store
	// StoreKind is "sqlite" (the default: DataDir/sessionguard.db, with the
	// data directory locked and session reads cached), "memory",
	// "postgres" or "redis". Flag -store.
	StoreKind string
	// StoreURL is the DSN of the postgres or redis store (-store-url);
	// StoreSchema the postgres schema (-store-schema) and StorePrefix the
	// redis key prefix (-store-prefix), their packages' defaults when empty.
	StoreURL, StoreSchema, StorePrefix string
	// StoreCache serves a postgres or redis store's session reads and
	// revocation checks from memory, kept current through the store's
	// event channel (-store-cache; see package cache for the bound it
	// keeps). SQLite is always so cached, memory needs no cache: for them
	// it changes nothing. StoreCacheSize is the most records it keeps
	// (-store-cache-size; DefaultStoreCacheSize when not positive).
	StoreCache     bool
	StoreCacheSize int
	// DataDir holds the SQLite file and the jwt strategy's keys (in
	// DataDir/keys). Flag -data; "./data" when empty, unless Store is
	// given or StoreKind is "memory": then keys live in memory only.
	DataDir string

	// Lifetime is the idle lifetime, absolute cap and update age
	// (-max-age, -absolute-max-age, -update-age); the zero value is
	// session.DefaultLifetime.
	Lifetime session.Lifetime
	// AccessMaxAge is the lifetime of a jwt access token (-access-max-age,
	// five minutes when zero).
	AccessMaxAge time.Duration
	// JWTAlgorithm is "EdDSA" (the default) or "HS256" (-jwt-alg);
	// JWTKeyFile a key to use instead of DataDir/keys (-jwt-key-file);
	// JWTIssuer and JWTAudience the iss and aud of every token ("sessionguard"
	// when empty).
	JWTAlgorithm, JWTKeyFile, JWTIssuer, JWTAudience string

	// Public and AdminPaths are the policy's path patterns (-public,
	// -admin-paths); nil takes DefaultPublic and DefaultAdminPaths.
	Public, AdminPaths []string
	// AAL2Paths are the path patterns that need a session proved with a
	// second factor (-aal2-paths; none when nil).
	AAL2Paths []string
	// FreshAge is how long after the user last proved themselves a
	// session may make sensitive requests (-fresh-age; DefaultFreshAge
	// when zero).
	FreshAge time.Duration
	// Require2FARoles are the roles whose accounts must enrol a second
	// factor (-require-2fa-roles; none when nil).
	Require2FARoles []string
	// StaticDir is served at "/", with its index.html as the app shell of
	// every page route (-static). Empty serves the API only.
	StaticDir string
	// InsecureCookies drops Secure and the __Host- prefix, for plain-http
	// development on a LAN address (-insecure-cookies).
	InsecureCookies bool
	// Bearer also accepts `Authorization: Bearer` session tokens, from
	// clients without cookies, and serves the token endpoints that give
	// them (-bearer; docs/HTTP.md, "Bearer mode").
	Bearer bool
	// TrustedProxies are the IPs and CIDRs of reverse proxies whose
	// X-Forwarded-For is believed (-trusted-proxies).
	TrustedProxies []string
	// AllowedHosts, when not empty, are the Host names answered; any
	// other gets 421 (-allowed-hosts).
	AllowedHosts []string
	// TLSCertFile and TLSKeyFile make Serve speak HTTPS (-tls-cert,
	// -tls-key): both or neither.
	TLSCertFile, TLSKeyFile string
	// MetricsAddr serves /metrics on a listener of its own, to anyone
	// (-metrics-addr). Empty serves it on the main handler to loopback
	// clients only.
	MetricsAddr string
	// AlertWebhook receives security events as JSON POSTs (-alert-webhook);
	// AlertEvents are the events sent (-alert-events), nil for
	// alert.DefaultEvents.
	AlertWebhook string
	AlertEvents  []string
	// ServiceTokenFile holds the credentials of other services that may use
	// the service API (introspection and the revocation feed), one per line
	// (32 bytes or more; blank lines and lines starting with # are
	// skipped) (-service-token-file). Empty: no service API.
	ServiceTokenFile string

	// Accounts are created when missing (-demo creates DemoAccounts).
	Accounts []users.NewAccount
	// PasswordParams are the argon2id costs of new password hashes; the
	// zero value is users.DefaultParams.
	PasswordParams users.Params
	// HashConcurrency is how many password hashes run at once
	// (-hash-concurrency); 0 takes users.DefaultConcurrency, half the
	// CPUs, so a burst of sign-ins leaves the status checks a core.
	HashConcurrency int
	// Logger receives the request log and every failure; nil discards.
	Logger *slog.Logger
	// Metrics, when set, is the registry the server counts into; nil
	// makes one (Server.Metrics returns it).
	Metrics *metrics.Metrics
	// Now is the clock of every part; nil is time.Now.
	Now func() time.Time
}

// Defaults of Options, which are also the command's flag defaults.
var (
	DefaultPublic     = []string{"/", "/public", "/ssr-login", "/ssr-logout"}
	DefaultAdminPaths = []string{"/admin/*"}
)

// The defaults of the other fields.
const (
	DefaultStrategy     = "database"
	DefaultStoreKind    = "sqlite"
	DefaultDataDir      = "./data"
	DefaultAccessMaxAge = 5 * time.Minute
	DefaultFreshAge     = 10 * time.Minute
	DefaultJWTAlgorithm = "EdDSA"
	DefaultJWTIssuer    = "sessionguard"
	DefaultJWTAudience  = "sessionguard"
	// DefaultStoreCacheSize holds 100 000 hot sessions.
	DefaultStoreCacheSize = cache.DefaultMaxEntries
)

// DemoAccounts are the accounts of the demo (-demo).
var DemoAccounts = []users.NewAccount{
	{Email: "user@example.com", Name: "Demo User", Role: users.RoleUser, Password: "user-password"},
	{Email: "admin@example.com", Name: "Demo Admin", Role: users.RoleAdmin, Password: "admin-password"},
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&o.Strategy, DefaultStrategy)
	def(&o.StoreKind, DefaultStoreKind)
	if o.Store == nil && o.StoreKind != "memory" {
		def(&o.DataDir, DefaultDataDir)
	}
	def(&o.JWTAlgorithm, DefaultJWTAlgorithm)
	def(&o.JWTIssuer, DefaultJWTIssuer)
	def(&o.JWTAudience, DefaultJWTAudience)
	if o.Lifetime == (session.Lifetime{}) {
		o.Lifetime = session.DefaultLifetime
	}
	if o.AccessMaxAge == 0 {
		o.AccessMaxAge = DefaultAccessMaxAge
	}
	if o.FreshAge == 0 {
		o.FreshAge = DefaultFreshAge
	}
	if o.Public == nil {
		o.Public = DefaultPublic
	}
	if o.AdminPaths == nil {
		o.AdminPaths = DefaultAdminPaths
	}
	if o.PasswordParams == (users.Params{}) {
		o.PasswordParams = users.DefaultParams
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

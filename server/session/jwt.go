package session

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/sessionguard/sessionguard/server/session/keys"
	"github.com/sessionguard/sessionguard/server/store"
)

// JWTConfig is what NewJWT needs.
type JWTConfig struct {
	// Keys signs and verifies the access tokens.
	Keys *keys.Set
	// Store keeps the session (refresh family) records, the deny list, the
	// per-user valid-after times and the refresh tokens.
	Store JWTStore
	// RefreshKey derives a refresh token's successor (HMAC-SHA256), so a
	// duplicate refresh within Grace gets the same new token without the
	// store ever holding one. Every instance must use the same key: take it
	// from store.Keys.Secret.
	RefreshKey []byte
	Lifetime   Lifetime
	// AccessMaxAge is an access token's lifetime (default 5 minutes); the
	// browser module refreshes before it ends.
	AccessMaxAge time.Duration
	// Issuer and Audience are the iss and aud of every token (default
	// "sessionguard" for both).
	Issuer, Audience string
	// Leeway is the clock skew allowed on exp, nbf and iat (default 5 s,
	// at most 30 s).
	Leeway time.Duration
	// Grace is how long after a refresh token's first redeem a duplicate
	// redeem gets the same new refresh token instead of counting as theft
	// (default 5 s; a slow network's double submit fits in it).
	Grace time.Duration
	// Logger receives security events (refresh-token reuse).
	Logger *slog.Logger
}

// JWTStore is what the jwt strategy needs of a store. (It lists a user's
// sessions to end every token of them on a sign-out-everywhere.)
type JWTStore interface {
	store.Sessions
	store.SessionLister
	store.Revocations
	store.RefreshTokens
}

// MaxTokenLen is the longest access token parsed; the cookie also stays
// under 4 KiB.
const MaxTokenLen = 4096

// JWT is the jwt strategy: the session cookie holds a signed, short-lived
// access token (EdDSA by default) that any service can verify with
// /.well-known/jwks.json; a refresh token in its own cookie renews it. Sign
// out, sign-out-everywhere and refresh-token theft still end sessions at
// once through a deny list and per-user valid-after times that every read
// checks. Build one with NewJWT; a JWT is safe for concurrent use.
type JWT struct {
	cfg     JWTConfig
	methods []string

	// verified caches tokens whose signature was checked: a valid
	// signature stays valid, so a read costs a map lookup and the time and
	// revocation checks, not an Ed25519 verification. Every jwt status
	// check reads it, so reads take no lock (token → *verifiedToken);
	// writes hold mu, which keeps the count the bound needs.
	mu        sync.Mutex
	verified  sync.Map
	nVerified int
	// rolling holds the idle expiries newer than the ones in the tokens,
	// by session id, until a re-issue carries them.
	rolling *rolling
}

// The abilities of the jwt strategy, beyond Strategy, that a Manager finds.
var (
	_ Refresher    = (*JWT)(nil)
	_ Peeker       = (*JWT)(nil)
	_ Lister       = (*JWT)(nil)
	_ Cleaner      = (*JWT)(nil)
	_ KeyPublisher = (*JWT)(nil)
	_ AccessTokens = (*JWT)(nil)
)

// NewJWT checks cfg and returns the strategy.
func NewJWT(cfg JWTConfig) (*JWT, error) {
	l, err := cfg.Lifetime.validate()
	if err != nil {
		return nil, err
	}
	cfg.Lifetime = l
	if cfg.Keys == nil || cfg.Store == nil || len(cfg.RefreshKey) < 16 {
		return nil, errors.New("session: JWTConfig needs Keys, Store and a RefreshKey of at least 16 bytes")
	}
	if cfg.AccessMaxAge <= 0 {
		cfg.AccessMaxAge = 5 * time.Minute
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "sessionguard"
	}
	if cfg.Audience == "" {
		cfg.Audience = "sessionguard"
	}
	switch {
	case cfg.Leeway == 0:
		cfg.Leeway = 5 * time.Second
	case cfg.Leeway < 0 || cfg.Leeway > 30*time.Second:
		return nil, errorf("leeway %v: want 0 to 30s", cfg.Leeway)
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &JWT{
		cfg:     cfg,
		methods: []string{cfg.Keys.Algorithm()},
		rolling: newRolling(l),
	}, nil
}

// Keys returns the strategy's key set.
func (j *JWT) Keys() *keys.Set { return j.cfg.Keys }

// JWKS implements KeyPublisher.
func (j *JWT) JWKS() []byte { return j.cfg.Keys.JWKS() }

// AccessMaxAge implements AccessTokens.
func (j *JWT) AccessMaxAge() time.Duration { return j.cfg.AccessMaxAge }

// familyHash is the store key of a session id. Under the jwt strategy the
// id is no secret (it is in every token), so it is the key itself, in
// base64url; nothing accepts it as a credential.
func familyHash(sid string) []byte {
	b, err := strictRawURL.DecodeString(sid)
	if err != nil || len(b) != store.HashLen {
		return nil
	}
	return b
}

// sidDenyID is the deny-list entry that ends a whole session.
func sidDenyID(sid string) string { return "sid:" + sid }

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

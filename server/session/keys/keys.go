// Package keys holds the jwt strategy's signing keys: the key files (one
// Ed25519 key per file, generated on first start, rotated by Rotate, or an
// HS256 secret), the set of keys an access token may be verified with (this
// instance's, retired ones until their retire time, and the other instances'
// public keys), their publication to the store where the instances meet,
// and the JSON Web Key Set that shows them to other services.
//
// A Set signs and verifies access tokens only: every token it signs is typed
// AccessTokenType, and its Keyfunc refuses any other type.
package keys

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessionguard/sessionguard/server/store"
)

// The signing algorithms the jwt strategy offers. EdDSA (Ed25519) is the
// default; HS256 is for single-secret setups and publishes no keys.
const (
	AlgEdDSA = "EdDSA"
	AlgHS256 = "HS256"
)

// AccessTokenType is the "typ" header of sessionguard's access tokens (RFC
// 9068 explicit typing, RFC 8725 §3.11): a token the server signs for any
// other purpose carries another type and is never accepted as a session.
const AccessTokenType = "at+jwt"

// Config says where the jwt strategy's keys come from.
type Config struct {
	// Algorithm is AlgEdDSA (default) or AlgHS256.
	Algorithm string
	// Dir holds the key files: generated on first start (mode 0600),
	// rotated by Rotate. Ignored when File is set. With neither, the key
	// lives in memory only and dies with the process (for -store memory).
	Dir string
	// File names one key to use instead: an Ed25519 private key (PKCS #8
	// PEM) or, for HS256, a secret of at least 32 bytes.
	File string
	// Store, when set, is where the public keys of every instance meet, so
	// tokens signed by one instance verify on all (EdDSA only).
	Store store.Keys
	// Retire is how long a superseded key still verifies: the longest token
	// lifetime plus leeway.
	Retire time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Set holds the key this instance signs with and every key it accepts.
// Build one with Load; the zero value is not usable. A Set is safe for
// concurrent use.
type Set struct {
	cfg    Config
	method jwt.SigningMethod

	// lookup lets one store lookup of unknown kids run at a time; a
	// request that waited for it finds the key it brought.
	lookup sync.Mutex

	mu      sync.RWMutex
	signKID string
	signKey any      // ed25519.PrivateKey or []byte
	own     []ownKey // this instance's keys, newest first, retired ones too
	// verify maps kid → the keys tokens may be signed with. Every jwt
	// status check reads it, so it is read without a lock: writers (under
	// mu) store a new map and never change one stored.
	verify    atomic.Pointer[map[string]trustedKey]
	fetchedAt time.Time
	missed    map[string]time.Time // unknown kids, when last looked up
	published []store.PublicKey    // what JWKS shows
}

// trustedKey is a key tokens are verified with, and until when.
type trustedKey struct {
	key   any       // ed25519.PublicKey or []byte
	until time.Time // zero: while it stays in the set
}

// announceFor is how long past now a signing key is announced in the store
// (Reload renews it); a retired key's announcement is cut to its retire
// time.
const announceFor = 24 * time.Hour

type ownKey struct {
	kid        string
	pub        ed25519.PublicKey
	created    time.Time
	superseded time.Time // zero for the signing key
}

// Load reads (or, on first start, generates) the keys and publishes the
// public ones to cfg.Store.
func Load(ctx context.Context, cfg Config) (*Set, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = AlgEdDSA
	}
	k := &Set{cfg: cfg}
	switch cfg.Algorithm {
	case AlgEdDSA:
		k.method = jwt.SigningMethodEdDSA
	case AlgHS256:
		k.method = jwt.SigningMethodHS256
	default:
		return nil, fmt.Errorf("%w: algorithm %q: want %s or %s", ErrKeys, cfg.Algorithm, AlgEdDSA, AlgHS256)
	}
	if err := k.Reload(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// Algorithm returns the JWS algorithm name.
func (k *Set) Algorithm() string { return k.method.Alg() }

// Reload reads the key files again (a rotation takes effect), republishes
// this instance's public keys and fetches the other instances' keys.
func (k *Set) Reload(ctx context.Context) error {
	if k.method == jwt.SigningMethodHS256 {
		return k.loadSecret()
	}
	own, signKey, err := k.loadEd25519()
	if err != nil {
		return err
	}
	now := k.cfg.Now()
	verify := map[string]trustedKey{}
	var published, retired []store.PublicKey
	for _, o := range own {
		p := k.publicKey(o, now)
		if !o.superseded.IsZero() && !now.Before(p.ExpiresAt) {
			// Retired, perhaps while no instance ran: the store may still
			// announce it from when it signed, for up to announceFor past
			// the rotation. Cut that announcement to its retire time, so no
			// instance takes it for another's key.
			if now.Before(o.superseded.Add(announceFor + k.cfg.Retire)) {
				retired = append(retired, p)
			}
			continue
		}
		var until time.Time
		if !o.superseded.IsZero() {
			until = p.ExpiresAt
		}
		verify[o.kid] = trustedKey{key: o.pub, until: until}
		published = append(published, p)
	}
	if k.cfg.Store != nil {
		for _, p := range append(retired, published...) {
			if err := k.cfg.Store.PublishKey(ctx, p); err != nil {
				return fmt.Errorf("%w: publish key: %w", ErrKeys, err)
			}
		}
	}
	k.mu.Lock()
	k.own, k.signKID, k.signKey = own, own[0].kid, signKey
	k.verify.Store(&verify)
	k.published = published
	k.mu.Unlock()
	return k.fetch(ctx)
}

// publicKey is what the store and JWKS get for one of this instance's keys.
// The signing key is announced for a day past now (Reload renews it).
func (k *Set) publicKey(o ownKey, now time.Time) store.PublicKey {
	der, _ := x509.MarshalPKIXPublicKey(o.pub)
	exp := now.Add(announceFor + k.cfg.Retire)
	if !o.superseded.IsZero() {
		exp = o.superseded.Add(k.cfg.Retire)
	}
	return store.PublicKey{ID: o.kid, Algorithm: AlgEdDSA, Key: der, CreatedAt: o.created, ExpiresAt: exp}
}

// fetch adds the other instances' public keys from the store.
func (k *Set) fetch(ctx context.Context) error {
	if k.cfg.Store == nil || k.method != jwt.SigningMethodEdDSA {
		return nil
	}
	now := k.cfg.Now()
	keys, err := k.cfg.Store.PublicKeys(ctx, now)
	if err != nil {
		return fmt.Errorf("%w: fetch public keys: %w", ErrKeys, err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fetchedAt = now
	// This instance's own keys, retired ones included, are never taken
	// from the store: their files say whether and until when they hold.
	seen := map[string]bool{}
	for _, o := range k.own {
		seen[o.kid] = true
	}
	for _, p := range k.published {
		seen[p.ID] = true
	}
	var verify map[string]trustedKey // a copy to publish, made at the first key added
	for _, p := range keys {
		if p.Algorithm != AlgEdDSA || seen[p.ID] || !now.Before(p.ExpiresAt) {
			continue
		}
		pub, err := x509.ParsePKIXPublicKey(p.Key)
		edPub, ok := pub.(ed25519.PublicKey)
		if err != nil || !ok {
			continue // another instance's damaged row must not stop this one
		}
		if verify == nil {
			verify = map[string]trustedKey{}
			if m := k.verify.Load(); m != nil {
				verify = maps.Clone(*m)
			}
		}
		verify[p.ID] = trustedKey{key: edPub, until: p.ExpiresAt}
		k.published = append(k.published, p)
		seen[p.ID] = true
	}
	if verify != nil {
		k.verify.Store(&verify)
	}
	return nil
}

// Trusts reports whether tokens signed under kid verify now: the key is in
// the set and not past its retire time.
func (k *Set) Trusts(kid string) bool {
	_, ok := k.key(kid)
	return ok
}

// key returns the verification key of kid if it is trusted now.
func (k *Set) key(kid string) (any, bool) {
	m := k.verify.Load()
	if m == nil {
		return nil, false
	}
	t, ok := (*m)[kid]
	if !ok || (!t.until.IsZero() && !k.cfg.Now().Before(t.until)) {
		return nil, false
	}
	return t.key, true
}

// Run reloads the keys every interval until ctx ends, so a rotation by
// another process or instance takes effect without a restart.
func (k *Set) Run(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := k.Reload(ctx); err != nil && onError != nil && ctx.Err() == nil {
				onError(err)
			}
		}
	}
}

package session

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
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

// ErrKeys wraps every problem with signing keys.
var ErrKeys = errors.New("signing keys")

// KeyConfig says where the jwt strategy's keys come from.
type KeyConfig struct {
	// Algorithm is AlgEdDSA (default) or AlgHS256.
	Algorithm string
	// Dir holds the key files: generated on first start (mode 0600),
	// rotated by RotateKey. Ignored when File is set. With neither, the key
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

// KeySet holds the key this instance signs with and every key it accepts.
// Build one with LoadKeys. A KeySet is safe for concurrent use.
type KeySet struct {
	cfg    KeyConfig
	method jwt.SigningMethod

	mu        sync.RWMutex
	signKID   string
	signKey   any                   // ed25519.PrivateKey or []byte
	own       []ownKey              // this instance's keys, newest first, retired ones too
	verify    map[string]trustedKey // kid → the keys tokens may be signed with
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

// LoadKeys reads (or, on first start, generates) the keys and publishes the
// public ones to cfg.Store.
func LoadKeys(ctx context.Context, cfg KeyConfig) (*KeySet, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = AlgEdDSA
	}
	k := &KeySet{cfg: cfg}
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
func (k *KeySet) Algorithm() string { return k.method.Alg() }

// Reload reads the key files again (a rotation takes effect), republishes
// this instance's public keys and fetches the other instances' keys.
func (k *KeySet) Reload(ctx context.Context) error {
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
	k.verify, k.published = verify, published
	k.mu.Unlock()
	return k.fetch(ctx)
}

// publicKey is what the store and JWKS get for one of this instance's keys.
// The signing key is announced for a day past now (Reload renews it).
func (k *KeySet) publicKey(o ownKey, now time.Time) store.PublicKey {
	der, _ := x509.MarshalPKIXPublicKey(o.pub)
	exp := now.Add(announceFor + k.cfg.Retire)
	if !o.superseded.IsZero() {
		exp = o.superseded.Add(k.cfg.Retire)
	}
	return store.PublicKey{ID: o.kid, Algorithm: AlgEdDSA, Key: der, CreatedAt: o.created, ExpiresAt: exp}
}

// fetch adds the other instances' public keys from the store.
func (k *KeySet) fetch(ctx context.Context) error {
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
	for _, p := range keys {
		if p.Algorithm != AlgEdDSA || seen[p.ID] || !now.Before(p.ExpiresAt) {
			continue
		}
		pub, err := x509.ParsePKIXPublicKey(p.Key)
		edPub, ok := pub.(ed25519.PublicKey)
		if err != nil || !ok {
			continue // another instance's damaged row must not stop this one
		}
		k.verify[p.ID] = trustedKey{key: edPub, until: p.ExpiresAt}
		k.published = append(k.published, p)
		seen[p.ID] = true
	}
	return nil
}

// trusts reports whether tokens signed under kid verify now: the key is in
// the set and not past its retire time.
func (k *KeySet) trusts(kid string) bool {
	_, ok := k.key(kid)
	return ok
}

// key returns the verification key of kid if it is trusted now.
func (k *KeySet) key(kid string) (any, bool) {
	k.mu.RLock()
	t, ok := k.verify[kid]
	k.mu.RUnlock()
	if !ok || (!t.until.IsZero() && !k.cfg.Now().Before(t.until)) {
		return nil, false
	}
	return t.key, true
}

// Run reloads the keys every interval until ctx ends, so a rotation by
// another process or instance takes effect without a restart.
func (k *KeySet) Run(ctx context.Context, interval time.Duration, onError func(error)) {
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

// sign returns the signed compact token for claims.
func (k *KeySet) sign(claims *Claims) (string, error) {
	k.mu.RLock()
	kid, key := k.signKID, k.signKey
	k.mu.RUnlock()
	t := jwt.NewWithClaims(k.method, claims)
	t.Header["kid"] = kid
	t.Header["typ"] = AccessTokenType
	return t.SignedString(key)
}

// keyfunc returns the verification key for a token: only its "kid" header
// is consulted (jku, x5u and jwk headers are ignored), the type must be an
// access token's, and a token with a "crit" header is refused (RFC 7515
// §4.1.11: it names extensions the recipient must understand, and this
// code understands none). A key past its retire time is unknown. An unknown kid is looked up in the store (another instance
// may have published it a moment ago) at most once per ten seconds per kid,
// and the store is asked at most every 100 ms, so made-up kids cannot flood
// it.
func (k *KeySet) keyfunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != AccessTokenType {
			return nil, errors.New("not an access token")
		}
		if _, ok := t.Header["crit"]; ok {
			return nil, errors.New("critical header extensions are not supported")
		}
		kid, _ := t.Header["kid"].(string)
		if kid == "" || len(kid) > 128 {
			return nil, errors.New("missing or oversized kid")
		}
		key, ok := k.key(kid)
		if !ok && k.mayFetch(kid) {
			if err := k.fetch(ctx); err == nil {
				key, ok = k.key(kid)
			}
		}
		if !ok {
			return nil, errors.New("unknown kid")
		}
		return key, nil
	}
}

// mayFetch reports whether an unknown kid may be looked up in the store now,
// and notes the attempt.
func (k *KeySet) mayFetch(kid string) bool {
	if k.cfg.Store == nil || k.method != jwt.SigningMethodEdDSA {
		return false
	}
	now := k.cfg.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.missed[kid]) < 10*time.Second || now.Sub(k.fetchedAt) < 100*time.Millisecond {
		return false
	}
	if k.missed == nil || len(k.missed) > 1000 {
		k.missed = map[string]time.Time{}
	}
	k.missed[kid] = now
	return true
}

// JWKS returns the public keys as a JSON Web Key Set (RFC 7517); empty for
// HS256, whose key is secret.
func (k *KeySet) JWKS() []byte {
	type jwk struct {
		Kty string `json:"kty"`
		Crv string `json:"crv"`
		X   string `json:"x"`
		Kid string `json:"kid"`
		Alg string `json:"alg"`
		Use string `json:"use"`
	}
	out := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	k.mu.RLock()
	now := k.cfg.Now()
	for _, p := range k.published {
		if now.After(p.ExpiresAt) {
			continue
		}
		pub, err := x509.ParsePKIXPublicKey(p.Key)
		edPub, ok := pub.(ed25519.PublicKey)
		if err != nil || !ok {
			continue
		}
		out.Keys = append(out.Keys, jwk{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(edPub), Kid: p.ID, Alg: AlgEdDSA, Use: "sig"})
	}
	k.mu.RUnlock()
	b, _ := json.Marshal(out)
	return b
}

// Thumbprint returns the RFC 7638 JWK thumbprint of an Ed25519 public key,
// the kid of its tokens.
func Thumbprint(pub ed25519.PublicKey) string {
	canon := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// keyFilePrefix and keyFileSuffix frame a key file's creation time in
// nanoseconds, zero-padded so names sort by age.
const (
	keyFilePrefix = "ed25519-"
	keyFileSuffix = ".pem"
)

// loadEd25519 reads the key files, newest first, generating one if there is
// none. Each key but the newest was superseded when the next one was made.
func (k *KeySet) loadEd25519() ([]ownKey, ed25519.PrivateKey, error) {
	if k.cfg.File != "" {
		priv, err := readEd25519(k.cfg.File)
		if err != nil {
			return nil, nil, err
		}
		pub := priv.Public().(ed25519.PublicKey)
		return []ownKey{{kid: Thumbprint(pub), pub: pub}}, priv, nil
	}
	if k.cfg.Dir == "" {
		k.mu.RLock()
		priv, _ := k.signKey.(ed25519.PrivateKey)
		k.mu.RUnlock()
		if priv == nil {
			var err error
			if _, priv, err = ed25519.GenerateKey(rand.Reader); err != nil {
				return nil, nil, fmt.Errorf("%w: %w", ErrKeys, err)
			}
		}
		pub := priv.Public().(ed25519.PublicKey)
		return []ownKey{{kid: Thumbprint(pub), pub: pub, created: k.cfg.Now()}}, priv, nil
	}
	names, err := keyFiles(k.cfg.Dir)
	if err != nil {
		return nil, nil, err
	}
	if len(names) == 0 {
		if _, err := RotateKey(k.cfg.Dir, k.cfg.Now(), 0); err != nil {
			return nil, nil, err
		}
		if names, err = keyFiles(k.cfg.Dir); err != nil {
			return nil, nil, err
		}
	}
	var own []ownKey
	var signer ed25519.PrivateKey
	next := time.Time{} // creation time of the newer key
	for i, name := range names {
		priv, err := readEd25519(filepath.Join(k.cfg.Dir, name))
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			signer = priv
		}
		created := keyFileTime(name)
		pub := priv.Public().(ed25519.PublicKey)
		own = append(own, ownKey{kid: Thumbprint(pub), pub: pub, created: created, superseded: next})
		next = created
	}
	return own, signer, nil
}

// keyFiles lists the key files of dir, newest first.
func keyFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", ErrKeys, err)
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, keyFilePrefix) && strings.HasSuffix(n, keyFileSuffix) && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	return names, nil
}

func keyFileTime(name string) time.Time {
	ns, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(name, keyFilePrefix), keyFileSuffix), 10, 64)
	return time.Unix(0, ns).UTC()
}

func readEd25519(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeys, err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%w: %s is not a PEM private key", ErrKeys, path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	priv, ok := key.(ed25519.PrivateKey)
	if err != nil || !ok {
		return nil, fmt.Errorf("%w: %s is not an Ed25519 private key", ErrKeys, path)
	}
	return priv, nil
}

// RotateKey generates a new Ed25519 signing key in dir (created 0700, the
// file 0600) and returns its kid. A running server signs with it from its
// next reload; the previous keys keep verifying for their retire time. Key
// files superseded more than prune ago are deleted (0 keeps them all).
func RotateKey(dir string, now time.Time, prune time.Duration) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("%w: %w", ErrKeys, err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrKeys, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrKeys, err)
	}
	name := filepath.Join(dir, fmt.Sprintf("%s%019d%s", keyFilePrefix, now.UnixNano(), keyFileSuffix))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrKeys, err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return "", fmt.Errorf("%w: %w", ErrKeys, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrKeys, err)
	}
	if prune > 0 {
		names, err := keyFiles(dir)
		if err != nil {
			return "", err
		}
		for i := 1; i < len(names); i++ {
			if supersededAt := keyFileTime(names[i-1]); now.Sub(supersededAt) > prune {
				_ = os.Remove(filepath.Join(dir, names[i]))
			}
		}
	}
	return Thumbprint(pub), nil
}

// loadSecret reads (or generates) the HS256 secret.
func (k *KeySet) loadSecret() error {
	path := k.cfg.File
	if path == "" && k.cfg.Dir == "" {
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.signKey == nil {
			secret := []byte(rand.Text() + rand.Text())
			k.signKID, k.signKey = "hs256-ephemeral", secret
			k.verify = map[string]trustedKey{k.signKID: {key: secret}}
		}
		return nil
	}
	if path == "" {
		path = filepath.Join(k.cfg.Dir, "hs256.key")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(k.cfg.Dir, 0o700); err != nil {
				return fmt.Errorf("%w: %w", ErrKeys, err)
			}
			secret := []byte(rand.Text() + rand.Text())
			if err := os.WriteFile(path, secret, 0o600); err != nil {
				return fmt.Errorf("%w: %w", ErrKeys, err)
			}
		}
	}
	secret, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrKeys, err)
	}
	secret = []byte(strings.TrimSpace(string(secret)))
	if len(secret) < 32 {
		return fmt.Errorf("%w: the HS256 secret in %s is shorter than 32 bytes", ErrKeys, path)
	}
	sum := sha256.Sum256(append([]byte("sessionguard kid:"), secret...))
	kid := "hs256-" + base64.RawURLEncoding.EncodeToString(sum[:9])
	k.mu.Lock()
	k.signKID, k.signKey = kid, secret
	k.verify = map[string]trustedKey{kid: {key: secret}}
	k.mu.Unlock()
	return nil
}

package keys

import (
	"context"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Sign returns the signed compact token for claims, typed AccessTokenType
// and signed with the current signing key under its kid.
func (k *Set) Sign(claims jwt.Claims) (string, error) {
	k.mu.RLock()
	kid, key := k.signKID, k.signKey
	k.mu.RUnlock()
	t := jwt.NewWithClaims(k.method, claims)
	t.Header["kid"] = kid
	t.Header["typ"] = AccessTokenType
	return t.SignedString(key)
}

// Keyfunc returns the verification key for a token: only its "kid" header
// is consulted (jku, x5u and jwk headers are ignored), the type must be an
// access token's, and a token with a "crit" header is refused (RFC 7515
// §4.1.11: it names extensions the recipient must understand, and this
// code understands none). A key past its retire time is unknown. An
// unknown kid is looked up in the store (another instance may have
// published it a moment ago), within ctx, at most once per ten seconds per
// kid, and the store is asked at most every 100 ms, so made-up kids cannot
// flood it; requests with a kid whose lookup is in flight wait for it. The parser it is given to must still pin the algorithm to
// Algorithm().
func (k *Set) Keyfunc(ctx context.Context) jwt.Keyfunc {
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
		if !ok {
			key, ok = k.lookUp(ctx, kid)
		}
		if !ok {
			return nil, errors.New("unknown kid")
		}
		return key, nil
	}
}

// lookUp looks kid up in the store when mayFetch allows it. One lookup
// runs at a time: requests that bring a kid while its lookup is in flight
// (the first tokens of an instance that just started reach this one
// together) wait for it and find the key, rather than refuse a valid token.
// Made-up kids still reach the store at most as mayFetch says; a request
// with an unknown kid may wait behind one store call.
func (k *Set) lookUp(ctx context.Context, kid string) (any, bool) {
	k.lookup.Lock()
	defer k.lookup.Unlock()
	if key, ok := k.key(kid); ok {
		return key, true
	}
	if !k.mayFetch(kid) || k.fetch(ctx) != nil {
		return nil, false
	}
	return k.key(kid)
}

// mayFetch reports whether an unknown kid may be looked up in the store now,
// and notes the attempt.
func (k *Set) mayFetch(kid string) bool {
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

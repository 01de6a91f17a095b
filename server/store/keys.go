package store

import (
	"context"
	"time"
)

// PublicKey is a token-verification key that one server instance published
// so the others (and /.well-known/jwks.json) can verify its tokens. Private
// keys never reach the store.
type PublicKey struct {
	// ID is the key id, the "kid" header of the tokens it verifies.
	ID string
	// Algorithm is the JWS "alg" the key is for, such as "EdDSA".
	Algorithm string
	// Key is the public key in PKIX (SubjectPublicKeyInfo) DER form.
	Key []byte
	// CreatedAt is when the key was made.
	CreatedAt time.Time
	// ExpiresAt is when no token it signed can be valid any more; the store
	// may forget the key after it.
	ExpiresAt time.Time
}

// Keys shares what several server instances must agree on for signed
// sessions: their public keys and named secrets.
type Keys interface {
	// PublishKey stores k, or replaces every field of the key with the same
	// ID (a later ExpiresAt when the key stays in use, an earlier one to
	// retire it). It returns ErrInvalid for an empty ID, Algorithm or Key.
	PublishKey(ctx context.Context, k PublicKey) error
	// PublicKeys returns the keys not expired at now (now is before
	// ExpiresAt), newest CreatedAt first and, among keys made at the same
	// time, in order of ID. It returns no keys, and no error, when there
	// are none.
	PublicKeys(ctx context.Context, now time.Time) ([]PublicKey, error)
	// Secret returns the secret stored under name. When there is none it
	// stores candidate and returns it, atomically, so concurrent first
	// callers on several instances all get the same value. It returns
	// ErrInvalid for an empty name or candidate, whether or not a secret
	// is stored.
	Secret(ctx context.Context, name string, candidate []byte) ([]byte, error)
}

package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"unsafe"
)

// tokenBytes is the entropy of a database session id: 256 bits, well above
// OWASP's 64-bit minimum.
const tokenBytes = 32

// tokenLen is the length of a token in unpadded base64url.
var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// newToken returns a fresh random session id.
func newToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken returns SHA-256 of a well-formed token, or nil when the token
// cannot be one this server issued (wrong length or alphabet): such a token is
// never looked up.
// It runs on every request, so the id is decoded on the stack: the hash is
// its one allocation.
func hashToken(token string) []byte {
	if len(token) != tokenLen {
		return nil
	}
	var raw [tokenBytes]byte
	// Decode only reads src, so it may read the string's bytes in place.
	n, err := strictRawURL.Decode(raw[:], unsafe.Slice(unsafe.StringData(token), len(token)))
	if err != nil || n != tokenBytes {
		return nil
	}
	sum := sha256.Sum256(raw[:n])
	return sum[:]
}

// strictRawURL is unpadded base64url that refuses non-zero trailing bits,
// so each id has one spelling. (Strict returns a copy: made once here.)
var strictRawURL = base64.RawURLEncoding.Strict()

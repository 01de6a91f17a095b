package twofactor

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// sealVersion is the first byte of a sealed secret, so that another scheme
// can follow.
const sealVersion = 1

// errUnreadable is returned for a stored secret that the key does not open
// (another key, another account's record, damage).
var errUnreadable = errors.New("twofactor: stored secret does not open with this key")

// sealer encrypts TOTP secrets with AES-256-GCM: version, nonce, ciphertext.
// The user id is the additional data, so a sealed secret moved to another
// account does not open.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (sealer, error) {
	if len(key) != KeyLen {
		return sealer{}, fmt.Errorf("twofactor: key of %d bytes, want %d", len(key), KeyLen)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, fmt.Errorf("twofactor: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, fmt.Errorf("twofactor: %w", err)
	}
	return sealer{aead: aead}, nil
}

// seal encrypts the user's secret.
func (s sealer) seal(userID, secret string) ([]byte, error) {
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(secret)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("twofactor: nonce: %w", err)
	}
	return s.aead.Seal(out, out[1:], []byte(secret), ad(userID)), nil
}

// open decrypts a secret that seal made for the user.
func (s sealer) open(userID string, sealed []byte) (string, error) {
	n := 1 + s.aead.NonceSize()
	if len(sealed) < n || sealed[0] != sealVersion {
		return "", errUnreadable
	}
	plain, err := s.aead.Open(nil, sealed[1:n], sealed[n:], ad(userID))
	if err != nil {
		return "", errUnreadable
	}
	return string(plain), nil
}

// ad is the additional data of a user's sealed secret.
func ad(userID string) []byte { return []byte("sessionguard totp secret\x00" + userID) }

package session

import "crypto/ed25519"

// SigningKeyForTest returns the key a KeySet signs with, so tests can forge
// tokens that differ from genuine ones in one detail only.
func SigningKeyForTest(k *KeySet) ed25519.PrivateKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.signKey.(ed25519.PrivateKey)
}

// ForgetVerifiedForTest empties the verified-token cache, so a benchmark
// measures signature verification.
func (j *JWT) ForgetVerifiedForTest() {
	j.mu.Lock()
	clear(j.verified)
	j.mu.Unlock()
}

// HMACSecretForTest returns the secret an HS256 KeySet signs with.
func HMACSecretForTest(k *KeySet) []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.signKey.([]byte)
}

package keys

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
)

// JWKS returns the public keys as a JSON Web Key Set (RFC 7517); empty for
// HS256, whose key is secret.
func (k *Set) JWKS() []byte {
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

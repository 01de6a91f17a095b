package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// keyFilePrefix and keyFileSuffix frame a key file's creation time in
// nanoseconds, zero-padded so names sort by age.
const (
	keyFilePrefix = "ed25519-"
	keyFileSuffix = ".pem"
)

// loadEd25519 reads the key files, newest first, generating one if there is
// none. Each key but the newest was superseded when the next one was made.
func (k *Set) loadEd25519() ([]ownKey, ed25519.PrivateKey, error) {
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
		if _, err := Rotate(k.cfg.Dir, k.cfg.Now(), 0); err != nil {
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

// Rotate generates a new Ed25519 signing key in dir (created 0700, the
// file 0600) and returns its kid. A running server signs with it from its
// next reload; the previous keys keep verifying for their retire time. Key
// files superseded more than prune ago are deleted (0 keeps them all).
func Rotate(dir string, now time.Time, prune time.Duration) (string, error) {
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
func (k *Set) loadSecret() error {
	path := k.cfg.File
	if path == "" && k.cfg.Dir == "" {
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.signKey == nil {
			secret := []byte(rand.Text() + rand.Text())
			k.signKID, k.signKey = "hs256-ephemeral", secret
			k.verify.Store(&map[string]trustedKey{k.signKID: {key: secret}})
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
	k.verify.Store(&map[string]trustedKey{kid: {key: secret}})
	k.mu.Unlock()
	return nil
}

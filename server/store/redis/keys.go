package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

var _ store.Keys = (*Store)(nil)

// publicKey is a public key as JSON in the hash of keys.
type publicKey struct {
	Algorithm string `json:"alg"`
	Key       []byte `json:"key"`
	CreatedAt int64  `json:"created"`
	ExpiresAt int64  `json:"expires"`
}

// PublishKey implements store.Keys.
func (s *Store) PublishKey(ctx context.Context, k store.PublicKey) error {
	if k.ID == "" || k.Algorithm == "" || len(k.Key) == 0 {
		return fmt.Errorf("%w: public key without id, algorithm or key", store.ErrInvalid)
	}
	rec, err := json.Marshal(publicKey{k.Algorithm, k.Key, millis(k.CreatedAt), millis(k.ExpiresAt)})
	if err != nil {
		return fmt.Errorf("redis: publish key: %w", err)
	}
	return s.do(ctx, "publish key", func(ctx context.Context) error {
		return s.sc.publishKey.Run(ctx, s.client, []string{s.k.publicKeys, s.k.publicDeaths},
			k.ID, rec, millis(k.ExpiresAt), millis(time.Now())).Err()
	})
}

// PublicKeys implements store.Keys. The hash holds a key per rotation, so it
// is read whole.
func (s *Store) PublicKeys(ctx context.Context, now time.Time) ([]store.PublicKey, error) {
	var all map[string]string
	err := s.do(ctx, "read public keys", func(ctx context.Context) error {
		var err error
		all, err = s.client.HGetAll(ctx, s.k.publicKeys).Result()
		return err
	})
	if err != nil {
		return nil, err
	}
	var keys []store.PublicKey
	for id, v := range all {
		var rec publicKey
		if err := json.Unmarshal([]byte(v), &rec); err != nil {
			return nil, fmt.Errorf("redis: read public keys: key %q: %w", id, err)
		}
		k := store.PublicKey{
			ID: id, Algorithm: rec.Algorithm, Key: rec.Key,
			CreatedAt: fromMillis(rec.CreatedAt), ExpiresAt: fromMillis(rec.ExpiresAt),
		}
		if now.Before(k.ExpiresAt) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b store.PublicKey) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return keys, nil
}

// Secret implements store.Keys in one script.
func (s *Store) Secret(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	if name == "" || len(candidate) == 0 {
		return nil, fmt.Errorf("%w: secret without name or value", store.ErrInvalid)
	}
	var v string
	err := s.do(ctx, "secret", func(ctx context.Context) error {
		var err error
		v, err = s.sc.secret.Run(ctx, s.client, []string{s.k.secret + name}, candidate).Text()
		return err
	})
	if err != nil {
		return nil, err
	}
	return []byte(v), nil
}

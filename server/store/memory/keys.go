package memory

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// PublishKey implements store.Keys.
func (s *Store) PublishKey(ctx context.Context, k store.PublicKey) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if k.ID == "" || k.Algorithm == "" || len(k.Key) == 0 {
		return fmt.Errorf("%w: public key without id, algorithm or key", store.ErrInvalid)
	}
	k.Key = bytes.Clone(k.Key)
	k.CreatedAt = k.CreatedAt.UTC()
	k.ExpiresAt = k.ExpiresAt.UTC()

	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[k.ID] = k
	return nil
}

// PublicKeys implements store.Keys.
func (s *Store) PublicKeys(ctx context.Context, now time.Time) ([]store.PublicKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	var keys []store.PublicKey
	for _, k := range s.keys {
		if now.Before(k.ExpiresAt) {
			k.Key = bytes.Clone(k.Key)
			keys = append(keys, k)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(keys, func(a, b store.PublicKey) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return keys, nil
}

// Secret implements store.Keys.
func (s *Store) Secret(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if name == "" || len(candidate) == 0 {
		return nil, fmt.Errorf("%w: secret without name or value", store.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.secrets[name]
	if !ok {
		v = bytes.Clone(candidate)
		s.secrets[name] = v
	}
	return bytes.Clone(v), nil
}

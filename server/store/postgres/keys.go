package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sessionguard/sessionguard/server/store"
)

var _ store.Keys = (*Store)(nil)

// PublishKey implements store.Keys.
func (s *Store) PublishKey(ctx context.Context, k store.PublicKey) error {
	if k.ID == "" || k.Algorithm == "" || len(k.Key) == 0 {
		return fmt.Errorf("%w: public key without id, algorithm or key", store.ErrInvalid)
	}
	return s.do(ctx, "publish key", true, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, s.q.publishKey, k.ID, k.Algorithm, k.Key, k.CreatedAt, k.ExpiresAt)
		return err
	})
}

// PublicKeys implements store.Keys. The table holds a key per rotation, so
// it is read whole, without an index.
func (s *Store) PublicKeys(ctx context.Context, now time.Time) ([]store.PublicKey, error) {
	var keys []store.PublicKey
	err := s.do(ctx, "read public keys", true, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, s.q.publicKeys, now)
		if err != nil {
			return err
		}
		keys, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.PublicKey, error) {
			var k store.PublicKey
			err := row.Scan(&k.ID, &k.Algorithm, &k.Key, &k.CreatedAt, &k.ExpiresAt)
			k.CreatedAt, k.ExpiresAt = k.CreatedAt.UTC(), k.ExpiresAt.UTC()
			return k, err
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// Secret implements store.Keys: the candidate goes in unless a secret is
// there, then whichever is there comes out. The read is a statement of its
// own, after the insert, so it sees the secret of a concurrent first caller
// that won (one statement would read a snapshot from before that commit).
func (s *Store) Secret(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	if name == "" || len(candidate) == 0 {
		return nil, fmt.Errorf("%w: secret without name or value", store.ErrInvalid)
	}
	var v []byte
	err := s.do(ctx, "secret", true, func(ctx context.Context) error {
		if _, err := s.pool.Exec(ctx, s.q.insertSecret, name, candidate); err != nil {
			return err
		}
		err := s.pool.QueryRow(ctx, s.q.secret, name).Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			// Only a delete behind this program's back gets here.
			return fmt.Errorf("secret %q gone after it was stored", name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

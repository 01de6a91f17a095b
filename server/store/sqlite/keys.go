package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// PublishKey implements store.Keys.
func (s *Store) PublishKey(ctx context.Context, k store.PublicKey) error {
	if k.ID == "" || k.Algorithm == "" || len(k.Key) == 0 {
		return fmt.Errorf("%w: public key without id, algorithm or key", store.ErrInvalid)
	}
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO public_keys (id, algorithm, key, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET algorithm = excluded.algorithm, key = excluded.key,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
		k.ID, k.Algorithm, k.Key, millis(k.CreatedAt), millis(k.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlite: publish key: %w", err)
	}
	return nil
}

// PublicKeys implements store.Keys. The table holds a key per rotation, so
// it is read whole, without an index.
func (s *Store) PublicKeys(ctx context.Context, now time.Time) ([]store.PublicKey, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT id, algorithm, key, created_at, expires_at FROM public_keys
		WHERE expires_at > ? ORDER BY created_at DESC, id`, millis(now))
	if err != nil {
		return nil, fmt.Errorf("sqlite: read public keys: %w", err)
	}
	defer rows.Close()
	var keys []store.PublicKey
	for rows.Next() {
		var (
			k                store.PublicKey
			created, expires int64
		)
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.Key, &created, &expires); err != nil {
			return nil, fmt.Errorf("sqlite: read public keys: %w", err)
		}
		k.CreatedAt = fromMillis(created)
		k.ExpiresAt = fromMillis(expires)
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read public keys: %w", err)
	}
	return keys, nil
}

// Secret implements store.Keys: the candidate goes in unless a secret is
// there, then whichever is there comes out. The insert is committed before
// the read starts, so every caller reads the one that won.
func (s *Store) Secret(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	if name == "" || len(candidate) == 0 {
		return nil, fmt.Errorf("%w: secret without name or value", store.ErrInvalid)
	}
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, candidate)
	if err != nil {
		return nil, fmt.Errorf("sqlite: store secret: %w", err)
	}
	var v []byte
	err = s.read.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		// Only a delete behind this program's back gets here.
		return nil, fmt.Errorf("sqlite: read secret %q: gone after it was stored", name)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read secret: %w", err)
	}
	return v, nil
}

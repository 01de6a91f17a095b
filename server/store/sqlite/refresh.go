package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// sqlRedeem marks a live token used, unless it was, and counts the redeem,
// in one statement: SQLite runs it alone, so exactly one redeem of a token
// sees redeems = 1. Its arguments are now, the hash and now.
const sqlRedeem = `UPDATE refresh_tokens SET used_at = coalesce(used_at, ?), redeems = redeems + 1
	WHERE hash = ? AND expires_at > ?
	RETURNING session_hash, user_id, created_at, expires_at, used_at, redeems`

// CreateRefreshToken implements store.RefreshTokens.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	if err := checkHash(t.Hash); err != nil {
		return err
	}
	if err := checkHash(t.SessionHash); err != nil {
		return err
	}
	if t.UserID == "" {
		return fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO refresh_tokens (hash, session_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		t.Hash, t.SessionHash, t.UserID, millis(t.CreatedAt), millis(t.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlite: create refresh token: %w", insertError(err))
	}
	return nil
}

// RedeemRefreshToken implements store.RefreshTokens with one UPDATE …
// RETURNING on the writer.
func (s *Store) RedeemRefreshToken(ctx context.Context, hash []byte, now time.Time) (store.RefreshToken, bool, bool, error) {
	if err := checkHash(hash); err != nil {
		return store.RefreshToken{}, false, false, err
	}
	var (
		t                        store.RefreshToken
		created, expires, usedAt int64
		redeems                  int
	)
	err := s.redeem.QueryRowContext(ctx, millis(now), hash, millis(now)).Scan(
		&t.SessionHash, &t.UserID, &created, &expires, &usedAt, &redeems)
	if errors.Is(err, sql.ErrNoRows) {
		return store.RefreshToken{}, false, false, nil
	}
	if err != nil {
		return store.RefreshToken{}, false, false, fmt.Errorf("sqlite: redeem refresh token: %w", err)
	}
	t.Hash = append([]byte(nil), hash...)
	t.CreatedAt = fromMillis(created)
	t.ExpiresAt = fromMillis(expires)
	t.UsedAt = fromMillis(usedAt)
	return t, redeems == 1, true, nil
}

// DeleteFamily implements store.RefreshTokens.
func (s *Store) DeleteFamily(ctx context.Context, sessionHash []byte) (int, error) {
	if err := checkHash(sessionHash); err != nil {
		return 0, err
	}
	n, err := s.delete(ctx, `DELETE FROM refresh_tokens WHERE session_hash = ?`, sessionHash)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete refresh token family: %w", err)
	}
	return n, nil
}

// DeleteExpiredRefreshTokens implements store.RefreshTokens.
func (s *Store) DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int, error) {
	n, err := s.delete(ctx, `DELETE FROM refresh_tokens WHERE expires_at <= ?`, millis(now))
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired refresh tokens: %w", err)
	}
	return n, nil
}

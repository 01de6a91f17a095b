package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sessionguard/sessionguard/server/store"
)

var _ store.RefreshTokens = (*Store)(nil)

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
	var inserted int64
	err := s.do(ctx, "create refresh token", false, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, s.q.createRefreshToken, t.Hash, t.SessionHash, t.UserID, t.CreatedAt, t.ExpiresAt)
		inserted = tag.RowsAffected()
		return err
	})
	if err != nil {
		return err
	}
	if inserted == 0 {
		return fmt.Errorf("postgres: create refresh token: %w", store.ErrDuplicate)
	}
	return nil
}

// RedeemRefreshToken implements store.RefreshTokens with one UPDATE …
// RETURNING. It is not repeated on a broken connection: a repeat of a redeem
// that went through would report first=false for the first redeem.
func (s *Store) RedeemRefreshToken(ctx context.Context, hash []byte, now time.Time) (store.RefreshToken, bool, bool, error) {
	if err := checkHash(hash); err != nil {
		return store.RefreshToken{}, false, false, err
	}
	var (
		t       store.RefreshToken
		redeems int
		found   bool
	)
	err := s.do(ctx, "redeem refresh token", false, func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, s.q.redeem, hash, now).Scan(
			&t.SessionHash, &t.UserID, &t.CreatedAt, &t.ExpiresAt, &t.UsedAt, &redeems)
		found = err == nil
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil || !found {
		return store.RefreshToken{}, false, false, err
	}
	t.Hash = bytes.Clone(hash)
	t.CreatedAt = t.CreatedAt.UTC()
	t.ExpiresAt = t.ExpiresAt.UTC()
	t.UsedAt = t.UsedAt.UTC()
	return t, redeems == 1, true, nil
}

// DeleteFamily implements store.RefreshTokens.
func (s *Store) DeleteFamily(ctx context.Context, sessionHash []byte) (int, error) {
	if err := checkHash(sessionHash); err != nil {
		return 0, err
	}
	return s.delete(ctx, "delete refresh token family", s.q.deleteFamily, sessionHash)
}

// DeleteExpiredRefreshTokens implements store.RefreshTokens.
func (s *Store) DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int, error) {
	return s.delete(ctx, "delete expired refresh tokens", s.q.deleteExpiredRefreshTokens, now)
}

package memory

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// CreateRefreshToken implements store.RefreshTokens.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkHash(t.Hash); err != nil {
		return err
	}
	if err := checkHash(t.SessionHash); err != nil {
		return err
	}
	if t.UserID == "" {
		return fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	t.Hash = bytes.Clone(t.Hash)
	t.SessionHash = bytes.Clone(t.SessionHash)
	t.CreatedAt = t.CreatedAt.UTC()
	t.ExpiresAt = t.ExpiresAt.UTC()
	t.UsedAt = time.Time{}

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.refresh[string(t.Hash)]; ok {
		return fmt.Errorf("%w: refresh token", store.ErrDuplicate)
	}
	s.refresh[string(t.Hash)] = t
	return nil
}

// RedeemRefreshToken implements store.RefreshTokens. The check and the mark
// happen under one write lock.
func (s *Store) RedeemRefreshToken(ctx context.Context, hash []byte, now time.Time) (store.RefreshToken, bool, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.RefreshToken{}, false, false, err
	}
	if err := checkHash(hash); err != nil {
		return store.RefreshToken{}, false, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refresh[string(hash)]
	if !ok || !now.Before(t.ExpiresAt) {
		return store.RefreshToken{}, false, false, nil
	}
	first := t.UsedAt.IsZero()
	if first {
		t.UsedAt = now.UTC()
		s.refresh[string(hash)] = t
	}
	t.Hash = bytes.Clone(t.Hash)
	t.SessionHash = bytes.Clone(t.SessionHash)
	return t, first, true, nil
}

// DeleteFamily implements store.RefreshTokens.
func (s *Store) DeleteFamily(ctx context.Context, sessionHash []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := checkHash(sessionHash); err != nil {
		return 0, err
	}
	return s.deleteRefreshTokens(func(t *store.RefreshToken) bool { return bytes.Equal(t.SessionHash, sessionHash) }), nil
}

// DeleteExpiredRefreshTokens implements store.RefreshTokens.
func (s *Store) DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return s.deleteRefreshTokens(func(t *store.RefreshToken) bool { return !now.Before(t.ExpiresAt) }), nil
}

// deleteRefreshTokens removes the tokens for which del reports true and
// returns how many.
func (s *Store) deleteRefreshTokens(del func(*store.RefreshToken) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for key, t := range s.refresh {
		if del(&t) {
			delete(s.refresh, key)
			n++
		}
	}
	return n
}

package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// Deny implements store.Revocations.
func (s *Store) Deny(ctx context.Context, id string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if id == "" {
		return fmt.Errorf("%w: empty id to deny", store.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.denials[id]; !ok || until.After(old) {
		s.denials[id] = until.UTC()
	}
	return nil
}

// SetUserValidAfter implements store.Revocations.
func (s *Store) SetUserValidAfter(ctx context.Context, userID string, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if userID == "" {
		return fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.validAfter[userID]; !ok || t.After(old) {
		s.validAfter[userID] = t.UTC()
	}
	return nil
}

// UserValidAfter implements store.Revocations.
func (s *Store) UserValidAfter(ctx context.Context, userID string) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.validAfter[userID], nil
}

// Revoked implements store.Revocations.
func (s *Store) Revoked(ctx context.Context, userID string, issuedAt, now time.Time, ids ...string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, id := range ids {
		if until, ok := s.denials[id]; ok && now.Before(until) {
			return true, nil
		}
	}
	return issuedAt.Before(s.validAfter[userID]), nil
}

// DeleteExpiredDenials implements store.Revocations.
func (s *Store) DeleteExpiredDenials(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, until := range s.denials {
		if !now.Before(until) {
			delete(s.denials, id)
			n++
		}
	}
	return n, nil
}

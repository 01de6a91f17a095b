package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sessionguard/sessionguard/server/store"
)

var _ store.Revocations = (*Store)(nil)

// Deny implements store.Revocations.
func (s *Store) Deny(ctx context.Context, id string, until time.Time) error {
	if id == "" {
		return fmt.Errorf("%w: empty id to deny", store.ErrInvalid)
	}
	return s.do(ctx, "deny", true, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, s.q.deny, id, until)
		return err
	})
}

// SetUserValidAfter implements store.Revocations.
func (s *Store) SetUserValidAfter(ctx context.Context, userID string, t time.Time) error {
	if userID == "" {
		return fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	return s.do(ctx, "set user valid after", true, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, s.q.setUserValidAfter, userID, t)
		return err
	})
}

// UserValidAfter implements store.Revocations.
func (s *Store) UserValidAfter(ctx context.Context, userID string) (time.Time, error) {
	var t time.Time
	err := s.do(ctx, "read user valid after", true, func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, s.q.userValidAfter, userID).Scan(&t)
		if errors.Is(err, pgx.ErrNoRows) {
			t = time.Time{}
			return nil
		}
		return err
	})
	if err != nil || t.IsZero() {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// Revoked implements store.Revocations in one statement, whatever the
// number of ids: up to maxListedIDs a cached statement for that many, more
// as an array.
func (s *Store) Revoked(ctx context.Context, userID string, issuedAt, now time.Time, ids ...string) (bool, error) {
	query := s.q.revokedAny
	args := make([]any, 3, 3+max(len(ids), 1))
	args[0], args[1], args[2] = userID, issuedAt, now
	switch {
	case len(ids) == 0:
		// Only the valid-after time: no now.
		query, args = s.q.revoked[0], args[:2]
	case len(ids) <= maxListedIDs:
		query = s.q.revoked[len(ids)]
		for _, id := range ids {
			args = append(args, id)
		}
	default:
		args = append(args, ids)
	}
	var revoked bool
	err := s.do(ctx, "revoked", true, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, query, args...).Scan(&revoked)
	})
	return revoked && err == nil, err
}

// DeleteExpiredDenials implements store.Revocations.
func (s *Store) DeleteExpiredDenials(ctx context.Context, now time.Time) (int, error) {
	return s.delete(ctx, "delete expired denials", s.q.deleteExpiredDenials, now)
}

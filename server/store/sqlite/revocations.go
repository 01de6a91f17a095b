package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// maxPreparedIDs is the most ids a prepared Revoked statement takes: the jwt
// strategy passes two (the token's and its session's). More run as a
// statement of their own.
const maxPreparedIDs = 4

// sqlRevoked returns the one query of Revoked for n ids. Its arguments are
// the user id and issuedAt, then, when n > 0, now and the ids.
func sqlRevoked(n int) string {
	q := `SELECT EXISTS (SELECT 1 FROM user_valid_after WHERE user_id = ? AND valid_after > ?)`
	if n == 0 {
		return q
	}
	return q + ` OR EXISTS (SELECT 1 FROM denials WHERE until > ? AND id IN (?` + strings.Repeat(", ?", n-1) + `))`
}

// Deny implements store.Revocations.
func (s *Store) Deny(ctx context.Context, id string, until time.Time) error {
	if id == "" {
		return fmt.Errorf("%w: empty id to deny", store.ErrInvalid)
	}
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO denials (id, until) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET until = max(until, excluded.until)`,
		id, millis(until))
	if err != nil {
		return fmt.Errorf("sqlite: deny: %w", err)
	}
	return nil
}

// SetUserValidAfter implements store.Revocations.
func (s *Store) SetUserValidAfter(ctx context.Context, userID string, t time.Time) error {
	if userID == "" {
		return fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO user_valid_after (user_id, valid_after) VALUES (?, ?)
		ON CONFLICT (user_id) DO UPDATE SET valid_after = max(valid_after, excluded.valid_after)`,
		userID, millis(t))
	if err != nil {
		return fmt.Errorf("sqlite: set user valid after: %w", err)
	}
	return nil
}

// UserValidAfter implements store.Revocations.
func (s *Store) UserValidAfter(ctx context.Context, userID string) (time.Time, error) {
	var ms int64
	err := s.read.QueryRowContext(ctx,
		`SELECT valid_after FROM user_valid_after WHERE user_id = ?`, userID).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: read user valid after: %w", err)
	}
	return fromMillis(ms), nil
}

// Revoked implements store.Revocations in one query on a reader, prepared
// for up to maxPreparedIDs ids.
func (s *Store) Revoked(ctx context.Context, userID string, issuedAt, now time.Time, ids ...string) (bool, error) {
	args := make([]any, 2, 3+len(ids))
	args[0], args[1] = userID, millis(issuedAt)
	if len(ids) > 0 {
		args = append(args, millis(now))
		for _, id := range ids {
			args = append(args, id)
		}
	}
	var row *sql.Row
	if len(ids) <= maxPreparedIDs {
		row = s.revoked[len(ids)].QueryRowContext(ctx, args...)
	} else {
		row = s.read.QueryRowContext(ctx, sqlRevoked(len(ids)), args...)
	}
	var revoked bool
	if err := row.Scan(&revoked); err != nil {
		return false, fmt.Errorf("sqlite: revoked: %w", err)
	}
	return revoked, nil
}

// DeleteExpiredDenials implements store.Revocations.
func (s *Store) DeleteExpiredDenials(ctx context.Context, now time.Time) (int, error) {
	n, err := s.delete(ctx, `DELETE FROM denials WHERE until <= ?`, millis(now))
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired denials: %w", err)
	}
	return n, nil
}

package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

var _ store.Revocations = (*Store)(nil)

// Deny implements store.Revocations with one ZADD GT, which keeps the later
// time.
func (s *Store) Deny(ctx context.Context, id string, until time.Time) error {
	if id == "" {
		return fmt.Errorf("%w: empty id to deny", store.ErrInvalid)
	}
	return s.do(ctx, "deny", func(ctx context.Context) error {
		return s.client.Do(ctx, "ZADD", s.k.denials, "GT", millis(until), id).Err()
	})
}

// SetUserValidAfter implements store.Revocations with one ZADD GT, which
// only moves the time forward.
func (s *Store) SetUserValidAfter(ctx context.Context, userID string, t time.Time) error {
	if userID == "" {
		return fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	return s.do(ctx, "set user valid after", func(ctx context.Context) error {
		return s.client.Do(ctx, "ZADD", s.k.validAfter, "GT", millis(t), userID).Err()
	})
}

// UserValidAfter implements store.Revocations.
func (s *Store) UserValidAfter(ctx context.Context, userID string) (time.Time, error) {
	var ms float64
	err := s.do(ctx, "read user valid after", func(ctx context.Context) error {
		var err error
		ms, err = s.client.ZScore(ctx, s.k.validAfter, userID).Result()
		if isNil(err) {
			ms, err = 0, nil
		}
		return err
	})
	if err != nil || ms == 0 {
		return time.Time{}, err
	}
	return fromMillis(int64(ms)), nil
}

// Revoked implements store.Revocations in one script.
func (s *Store) Revoked(ctx context.Context, userID string, issuedAt, now time.Time, ids ...string) (bool, error) {
	args := make([]any, 3, 3+len(ids))
	args[0], args[1], args[2] = userID, millis(issuedAt), millis(now)
	for _, id := range ids {
		args = append(args, id)
	}
	var revoked int64
	err := s.do(ctx, "revoked", func(ctx context.Context) error {
		var err error
		revoked, err = s.sc.revoked.Run(ctx, s.client, []string{s.k.validAfter, s.k.denials}, args...).Int64()
		return err
	})
	return revoked == 1 && err == nil, err
}

// DeleteExpiredDenials implements store.Revocations with one
// ZREMRANGEBYSCORE.
func (s *Store) DeleteExpiredDenials(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.do(ctx, "delete expired denials", func(ctx context.Context) error {
		var err error
		n, err = s.client.ZRemRangeByScore(ctx, s.k.denials, "-inf", fmt.Sprint(millis(now))).Result()
		return err
	})
	return int(n), err
}

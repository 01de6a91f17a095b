package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sessionguard/sessionguard/server/store"
)

var _ store.FailureCounters = (*Store)(nil)

// sweepEvery is how many increments of a Store pass between two sweeps of
// forgotten counters, so that counters of keys never seen again (client
// addresses) do not pile up. A sweep uses the index on expires and takes
// only dead rows.
const sweepEvery = 1024

// Incr implements store.FailureCounters. Every sweepEvery-th call of this Store
// first removes the counters forgotten at now. It is not repeated on a
// broken connection: a repeat of an increment that went through would count
// it twice.
func (s *Store) Incr(ctx context.Context, key string, ttl time.Duration, now time.Time) (int64, error) {
	if err := checkCounter(key); err != nil {
		return 0, err
	}
	if ttl <= 0 {
		return 0, fmt.Errorf("%w: counter ttl %v is not positive", store.ErrInvalid, ttl)
	}
	if s.incrs.Add(1)%sweepEvery == 0 {
		if _, err := s.delete(ctx, "incr: sweep forgotten counters", s.q.sweepCounters, now); err != nil {
			return 0, err
		}
	}
	var n int64
	err := s.do(ctx, "incr", false, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, s.q.incr, key, now, now.Add(ttl)).Scan(&n)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Count implements store.FailureCounters.
func (s *Store) Count(ctx context.Context, key string, now time.Time) (int64, time.Time, error) {
	if err := checkCounter(key); err != nil {
		return 0, time.Time{}, err
	}
	var (
		n    int64
		last time.Time
	)
	err := s.do(ctx, "count", true, func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, s.q.count, key, now).Scan(&n, &last)
		if errors.Is(err, pgx.ErrNoRows) {
			n, last = 0, time.Time{}
			return nil
		}
		return err
	})
	if err != nil || n == 0 {
		return 0, time.Time{}, err
	}
	return n, last.UTC(), nil
}

// ResetCounter implements store.FailureCounters.
func (s *Store) ResetCounter(ctx context.Context, key string) error {
	if err := checkCounter(key); err != nil {
		return err
	}
	return s.do(ctx, "reset counter", true, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, s.q.resetCounter, key)
		return err
	})
}

// checkCounter reports store.ErrInvalid for an empty counter key.
func checkCounter(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty counter key", store.ErrInvalid)
	}
	return nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// sqlIncr adds one to a counter, or starts it at 1 when it is absent or
// forgotten, in one statement on the writer. Its arguments are the key, now
// and now plus the ttl. The right-hand sides of SET see the row as it was.
const sqlIncr = `INSERT INTO counters (key, n, last, expires) VALUES (?, 1, ?, ?)
	ON CONFLICT (key) DO UPDATE SET
		n       = CASE WHEN expires <= excluded.last THEN 1 ELSE n + 1 END,
		last    = excluded.last,
		expires = excluded.expires
	RETURNING n`

// sqlSweepCounters removes the counters forgotten at now.
const sqlSweepCounters = `DELETE FROM counters WHERE expires <= ?`

// sweepEvery is how many increments pass between two sweeps of forgotten
// counters, so that counters of keys never seen again (client addresses) do
// not pile up. A sweep uses the index on expires and takes only dead rows.
const sweepEvery = 1024

// Incr implements store.FailureCounters. Every sweepEvery-th call of this Store
// first removes the counters forgotten at now.
func (s *Store) Incr(ctx context.Context, key string, ttl time.Duration, now time.Time) (int64, error) {
	if key == "" {
		return 0, fmt.Errorf("%w: empty counter key", store.ErrInvalid)
	}
	if ttl <= 0 {
		return 0, fmt.Errorf("%w: counter ttl %v is not positive", store.ErrInvalid, ttl)
	}
	if s.incrs.Add(1)%sweepEvery == 0 {
		if _, err := s.write.ExecContext(ctx, sqlSweepCounters, millis(now)); err != nil {
			return 0, fmt.Errorf("sqlite: incr: sweep forgotten counters: %w", err)
		}
	}
	var n int64
	err := s.write.QueryRowContext(ctx, sqlIncr, key, millis(now), millis(now.Add(ttl))).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: incr: %w", err)
	}
	return n, nil
}

// Count implements store.FailureCounters.
func (s *Store) Count(ctx context.Context, key string, now time.Time) (int64, time.Time, error) {
	if key == "" {
		return 0, time.Time{}, fmt.Errorf("%w: empty counter key", store.ErrInvalid)
	}
	var n, last int64
	err := s.read.QueryRowContext(ctx,
		`SELECT n, last FROM counters WHERE key = ? AND expires > ?`, key, millis(now)).Scan(&n, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("sqlite: count: %w", err)
	}
	return n, fromMillis(last), nil
}

// ResetCounter implements store.FailureCounters.
func (s *Store) ResetCounter(ctx context.Context, key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty counter key", store.ErrInvalid)
	}
	if _, err := s.write.ExecContext(ctx, `DELETE FROM counters WHERE key = ?`, key); err != nil {
		return fmt.Errorf("sqlite: reset counter: %w", err)
	}
	return nil
}

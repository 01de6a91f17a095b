package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// counter is one counter of store.FailureCounters.
type counter struct {
	n       int64
	last    time.Time // the last increment, UTC
	expires time.Time // last plus the ttl of that increment: forgotten from then on
}

// minCounterSweep is the number of counters below which Incr never sweeps.
const minCounterSweep = 1024

// Incr implements store.FailureCounters. It forgets every counter expired at now
// whenever the number of counters has doubled since it last did, so that
// counters of keys never seen again (client addresses) do not pile up.
func (s *Store) Incr(ctx context.Context, key string, ttl time.Duration, now time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := checkCounter(key); err != nil {
		return 0, err
	}
	if ttl <= 0 {
		return 0, fmt.Errorf("%w: counter ttl %v is not positive", store.ErrInvalid, ttl)
	}
	now = now.UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.counters) >= max(minCounterSweep, 2*s.countersSwept) {
		for k, c := range s.counters {
			if !now.Before(c.expires) {
				delete(s.counters, k)
			}
		}
		s.countersSwept = len(s.counters)
	}
	c := s.counters[key]
	if !now.Before(c.expires) { // absent (zero expires) or forgotten
		c.n = 0
	}
	c.n++
	c.last, c.expires = now, now.Add(ttl)
	s.counters[key] = c
	return c.n, nil
}

// Count implements store.FailureCounters.
func (s *Store) Count(ctx context.Context, key string, now time.Time) (int64, time.Time, error) {
	if err := ctx.Err(); err != nil {
		return 0, time.Time{}, err
	}
	if err := checkCounter(key); err != nil {
		return 0, time.Time{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.counters[key]
	if !ok || !now.Before(c.expires) {
		return 0, time.Time{}, nil
	}
	return c.n, c.last, nil
}

// ResetCounter implements store.FailureCounters.
func (s *Store) ResetCounter(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkCounter(key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.counters, key)
	return nil
}

// checkCounter returns an error wrapping store.ErrInvalid for an empty key.
func checkCounter(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty counter key", store.ErrInvalid)
	}
	return nil
}

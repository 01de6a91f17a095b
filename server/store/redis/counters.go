package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

var _ store.FailureCounters = (*Store)(nil)

// Incr implements store.FailureCounters in one script. A forgotten counter's key
// expires, so Redis sweeps them itself.
func (s *Store) Incr(ctx context.Context, key string, ttl time.Duration, now time.Time) (int64, error) {
	if err := checkCounter(key); err != nil {
		return 0, err
	}
	if ttl <= 0 {
		return 0, fmt.Errorf("%w: counter ttl %v is not positive", store.ErrInvalid, ttl)
	}
	var n int64
	err := s.do(ctx, "incr", func(ctx context.Context) error {
		var err error
		n, err = s.sc.incr.Run(ctx, s.client, []string{s.k.counter + key}, millis(now), millis(now.Add(ttl))).Int64()
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Count implements store.FailureCounters with one HMGET; whether the counter is
// forgotten is judged against now.
func (s *Store) Count(ctx context.Context, key string, now time.Time) (int64, time.Time, error) {
	if err := checkCounter(key); err != nil {
		return 0, time.Time{}, err
	}
	var v []any
	err := s.do(ctx, "count", func(ctx context.Context) error {
		var err error
		v, err = s.client.HMGet(ctx, s.k.counter+key, "n", "l", "x").Result()
		return err
	})
	if err != nil {
		return 0, time.Time{}, err
	}
	if len(v) != 3 || v[0] == nil {
		return 0, time.Time{}, nil
	}
	ns, _ := v[0].(string)
	n, err := strconv.ParseInt(ns, 10, 64)
	last, ok1 := parseMillis(v[1])
	forgotten, ok2 := parseMillis(v[2])
	if err != nil || !ok1 || !ok2 {
		return 0, time.Time{}, fmt.Errorf("redis: count: malformed record %s%s", s.k.counter, key)
	}
	if !now.Before(forgotten) {
		return 0, time.Time{}, nil
	}
	return n, last, nil
}

// ResetCounter implements store.FailureCounters.
func (s *Store) ResetCounter(ctx context.Context, key string) error {
	if err := checkCounter(key); err != nil {
		return err
	}
	return s.do(ctx, "reset counter", func(ctx context.Context) error {
		return s.client.Del(ctx, s.k.counter+key).Err()
	})
}

// checkCounter reports store.ErrInvalid for an empty counter key.
func checkCounter(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty counter key", store.ErrInvalid)
	}
	return nil
}

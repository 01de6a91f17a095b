package store

import (
	"context"
	"time"
)

// FailureCounters keeps the sign-in failure counts that rate limiting reads, in the
// store, so that every instance sees the same counts and moving between
// instances does not reset them.
type FailureCounters interface {
	// Incr adds one to the counter key at now and returns the new count. A
	// counter not incremented for ttl is forgotten at exactly last+ttl (its
	// next Incr returns 1); the newest Incr's ttl decides. Increments are
	// atomic: n concurrent calls raise the count by n. An empty key or a ttl
	// of zero or less is ErrInvalid.
	Incr(ctx context.Context, key string, ttl time.Duration, now time.Time) (int64, error)
	// Count returns the counter's value at now and the time of its last
	// increment; 0 and the zero time when it is absent or forgotten.
	Count(ctx context.Context, key string, now time.Time) (n int64, last time.Time, err error)
	// ResetCounter forgets the counter. An absent counter is not an error.
	ResetCounter(ctx context.Context, key string) error
}

package memory

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIncrSweepsForgottenCounters checks that Incr removes the counters
// forgotten at its now once there are minCounterSweep of them, and only
// those.
func TestIncrSweepsForgottenCounters(t *testing.T) {
	s := New()
	t0 := time.Now().UTC()
	later := t0.Add(2 * time.Minute)
	incr := func(key string, ttl time.Duration, now time.Time) {
		t.Helper()
		_, err := s.Incr(t.Context(), key, ttl, now)
		require.NoError(t, err)
	}
	// minCounterSweep-1 counters, a quarter of them for an hour, the rest
	// forgotten at later.
	for i := range minCounterSweep - 1 {
		ttl := time.Minute
		if i%4 == 0 {
			ttl = time.Hour
		}
		incr("k"+strconv.Itoa(i), ttl, t0)
	}
	incr("below", time.Hour, later)
	require.Equal(t, minCounterSweep, len(s.counters), "no sweep below minCounterSweep")

	incr("k0", time.Hour, later)
	live := (minCounterSweep-1+3)/4 + 1 // k0, k4, …, and below
	assert.Equal(t, live, len(s.counters), "after the sweep: the live ones")
	for key, want := range map[string]int64{"k0": 2, "k4": 1, "below": 1} {
		n, _, err := s.Count(t.Context(), key, later)
		require.NoError(t, err)
		assert.Equal(t, want, n, "%s after the sweep", key)
	}
}

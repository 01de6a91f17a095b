package redis_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/store"
)

// TestCounters covers store.Counters until storetest does: counting,
// forgetting after the ttl (judged against the now passed), reset, atomic
// concurrent increments and invalid arguments.
func TestCounters(t *testing.T) {
	url := testenv.Redis(t)
	s := open(t, url)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	runCounters(t, s)
}

// runCounters is the same in package postgres's tests.
func runCounters(t *testing.T, c store.Counters) {
	const ttl = time.Minute
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	incr := func(t *testing.T, key string, now time.Time) int64 {
		t.Helper()
		n, err := c.Incr(t.Context(), key, ttl, now)
		require.NoError(t, err)
		return n
	}
	count := func(t *testing.T, key string, now time.Time) (int64, time.Time) {
		t.Helper()
		n, last, err := c.Count(t.Context(), key, now)
		require.NoError(t, err)
		return n, last
	}

	t.Run("counts and forgets", func(t *testing.T) {
		const ms = time.Millisecond
		steps := []struct {
			name  string
			at    time.Duration // after t0
			incr  bool
			wantN int64
			last  time.Duration // after t0, when wantN > 0
		}{
			{"absent", 0, false, 0, 0},
			{"first", 0, true, 1, 0},
			{"second", 10 * time.Second, true, 2, 10 * time.Second},
			{"read one ms before forgotten", 10*time.Second + ttl - ms, false, 2, 10 * time.Second},
			{"read when forgotten", 10*time.Second + ttl, false, 0, 0},
			{"incr when forgotten starts again", 10*time.Second + ttl, true, 1, 10*time.Second + ttl},
			{"incr one ms before forgotten counts on", 10*time.Second + 2*ttl - ms, true, 2, 10*time.Second + 2*ttl - ms},
		}
		for _, st := range steps {
			now := t0.Add(st.at)
			if st.incr {
				assert.Equal(t, st.wantN, incr(t, "a", now), "%s: Incr", st.name)
			}
			n, last := count(t, "a", now)
			assert.Equal(t, st.wantN, n, "%s: Count", st.name)
			if st.wantN > 0 {
				assert.WithinDuration(t, t0.Add(st.last), last, ms, "%s: last", st.name)
				assert.Equal(t, time.UTC, last.Location(), "%s: last in UTC", st.name)
			} else {
				assert.True(t, last.IsZero(), "%s: last %v of a counter at 0", st.name, last)
			}
		}
	})

	t.Run("keys are apart, and reset", func(t *testing.T) {
		incr(t, "b", t0)
		incr(t, "b", t0)
		incr(t, "b2", t0)
		require.NoError(t, c.ResetCounter(t.Context(), "b"))
		n, _ := count(t, "b", t0)
		assert.Zero(t, n, "reset counter")
		n, _ = count(t, "b2", t0)
		assert.Equal(t, int64(1), n, "another key")
		assert.NoError(t, c.ResetCounter(t.Context(), "never"), "reset of an absent counter")
		assert.Equal(t, int64(1), incr(t, "b", t0), "incr after reset")
	})

	t.Run("concurrent increments all count", func(t *testing.T) {
		const goroutines = 50
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				_, err := c.Incr(t.Context(), "c", ttl, t0)
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		n, _ := count(t, "c", t0)
		assert.Equal(t, int64(goroutines), n)
	})

	t.Run("invalid", func(t *testing.T) {
		_, err := c.Incr(t.Context(), "", ttl, t0)
		assert.ErrorIs(t, err, store.ErrInvalid, "Incr with empty key")
		_, err = c.Incr(t.Context(), "d", 0, t0)
		assert.ErrorIs(t, err, store.ErrInvalid, "Incr with zero ttl")
		_, err = c.Incr(t.Context(), "d", -ttl, t0)
		assert.ErrorIs(t, err, store.ErrInvalid, "Incr with negative ttl")
		_, _, err = c.Count(t.Context(), "", t0)
		assert.ErrorIs(t, err, store.ErrInvalid, "Count with empty key")
		assert.ErrorIs(t, c.ResetCounter(t.Context(), ""), store.ErrInvalid, "ResetCounter with empty key")
		n, _ := count(t, "d", t0)
		assert.Zero(t, n, "counter made by an invalid Incr")
	})
}

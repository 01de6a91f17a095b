package storetest

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// runCounters covers store.FailureCounters one rule per subtest. The rules it pins
// where the interface's doc leaves room:
//   - A counter counts while now is before its last increment plus the ttl
//     of that increment, and is forgotten from then on (to the
//     millisecond, like every expiry in package store). Each Incr's own ttl
//     counts: a shorter one makes the counter end sooner.
//   - An empty key (to Incr, Count or ResetCounter) and a ttl that is not
//     positive give ErrInvalid.
//
// Every ttl is a minute or more and every now is at or after the wall clock,
// so a backend that also lets its server expire counters by the wall clock
// (Redis TTLs) keeps each one at least as long as the case needs it.
func runCounters(t *testing.T, open func(t *testing.T) store.Store) {
	// One failure, not one per subtest, for a store without the ability.
	openAs[store.FailureCounters](t, open)

	t.Run("IncrCountsFromOne", func(t *testing.T) {
		c := openAs[store.FailureCounters](t, open)
		t0 := epoch()
		for want := int64(1); want <= 5; want++ {
			now := t0.Add(time.Duration(want) * time.Second)
			assert.Equal(t, want, incr(t, c, "k", time.Hour, now), "Incr %d", want)
			n, last := count(t, c, "k", now)
			assert.Equal(t, want, n, "Count after Incr %d", want)
			assertTime(t, now, last, "last")
		}
	})

	t.Run("AbsentIsZero", func(t *testing.T) {
		c := openAs[store.FailureCounters](t, open)
		incr(t, c, "other", time.Hour, epoch())
		n, last, err := c.Count(t.Context(), "k", epoch())
		assert.NoError(t, err)
		assert.Zero(t, n, "count")
		assert.True(t, last.IsZero(), "last %v", last)
	})

	t.Run("Forgets", func(t *testing.T) { testCounterForgets(t, open) })

	t.Run("IncrAfterForgettingStartsAtOne", func(t *testing.T) {
		c := openAs[store.FailureCounters](t, open)
		t0 := epoch()
		const ttl = time.Hour
		for want := int64(1); want <= 3; want++ {
			require.Equal(t, want, incr(t, c, "k", ttl, t0))
		}
		end := t0.Add(ttl)
		assert.Equal(t, int64(4), incr(t, c, "k", ttl, end.Add(-time.Millisecond)), "one ms before the ttl")
		// That increment moved the end; it is the one to pass now.
		end = end.Add(-time.Millisecond).Add(ttl)
		assert.Equal(t, int64(1), incr(t, c, "k", ttl, end), "at the ttl after the last increment")
		assert.Equal(t, int64(2), incr(t, c, "k", ttl, end.Add(time.Millisecond)), "then on from 1")
		n, last := count(t, c, "k", end.Add(time.Millisecond))
		assert.Equal(t, int64(2), n)
		assertTime(t, end.Add(time.Millisecond), last, "last")
	})

	t.Run("LastInUTC", func(t *testing.T) {
		c := openAs[store.FailureCounters](t, open)
		// A zone east of UTC and a time between milliseconds: the store
		// keeps at least the millisecond and hands back UTC.
		east := time.FixedZone("UTC+5", 5*60*60)
		now := epoch().Add(time.Minute + 123_456_789*time.Nanosecond)
		incr(t, c, "k", time.Hour, now.In(east))

		n, last := count(t, c, "k", now.In(east))
		assert.Equal(t, int64(1), n)
		assertTime(t, now, last, "last")
	})

	t.Run("ResetCounter", func(t *testing.T) {
		c := openAs[store.FailureCounters](t, open)
		t0 := epoch()
		for range 3 {
			incr(t, c, "k", time.Hour, t0)
		}
		incr(t, c, "kept", time.Hour, t0)

		require.NoError(t, c.ResetCounter(t.Context(), "k"))
		n, last := count(t, c, "k", t0)
		assert.Zero(t, n, "count after reset")
		assert.True(t, last.IsZero(), "last after reset: %v", last)
		assert.Equal(t, int64(1), incr(t, c, "k", time.Hour, t0), "Incr after reset")
		n, _ = count(t, c, "kept", t0)
		assert.Equal(t, int64(1), n, "another counter after reset")

		assert.NoError(t, c.ResetCounter(t.Context(), "absent"), "reset of an absent counter")
		require.NoError(t, c.ResetCounter(t.Context(), "k"))
		assert.NoError(t, c.ResetCounter(t.Context(), "k"), "reset twice")
	})

	t.Run("KeysAreIndependent", func(t *testing.T) { testCounterKeys(t, open) })
	t.Run("ConcurrentIncr", func(t *testing.T) { testConcurrentIncr(t, open) })

	t.Run("Invalid", func(t *testing.T) {
		c := openAs[store.FailureCounters](t, open)
		t0 := epoch()
		tests := []struct {
			name string
			call func() error
		}{
			{"Incr with empty key", func() error { _, err := c.Incr(t.Context(), "", time.Hour, t0); return err }},
			{"Incr with zero ttl", func() error { _, err := c.Incr(t.Context(), "k", 0, t0); return err }},
			{"Incr with negative ttl", func() error { _, err := c.Incr(t.Context(), "k", -time.Hour, t0); return err }},
			{"Count with empty key", func() error { _, _, err := c.Count(t.Context(), "", t0); return err }},
			{"ResetCounter with empty key", func() error { return c.ResetCounter(t.Context(), "") }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				assert.ErrorIs(t, tt.call(), store.ErrInvalid)
			})
		}
		n, _ := count(t, c, "k", t0)
		assert.Zero(t, n, "counted with a ttl that is not positive")
	})
}

// incr calls Incr and fails the test on an error.
func incr(t *testing.T, c store.FailureCounters, key string, ttl time.Duration, now time.Time) int64 {
	t.Helper()
	n, err := c.Incr(t.Context(), key, ttl, now)
	require.NoError(t, err, "Incr %q", key)
	return n
}

// count calls Count and fails the test on an error.
func count(t *testing.T, c store.FailureCounters, key string, now time.Time) (int64, time.Time) {
	t.Helper()
	n, last, err := c.Count(t.Context(), key, now)
	require.NoError(t, err, "Count %q", key)
	return n, last
}

// testCounterForgets checks, by moving now, when a counter is forgotten
// after a run of increments: at the ttl of the last one after it.
func testCounterForgets(t *testing.T, open func(t *testing.T) store.Store) {
	const ms = time.Millisecond
	type step struct {
		at, ttl time.Duration // after t0
	}
	tests := []struct {
		name  string
		incrs []step
		count time.Duration // after t0
		n     int64         // want; 0 means forgotten
		last  time.Duration // want, after t0, when n > 0
	}{
		{"just incremented", []step{{0, time.Hour}}, 0, 1, 0},
		{"one ms before the ttl", []step{{0, time.Hour}}, time.Hour - ms, 1, 0},
		{"at the ttl", []step{{0, time.Hour}}, time.Hour, 0, 0},
		{"long after the ttl", []step{{0, time.Hour}}, 100 * time.Hour, 0, 0},
		{"an increment moves the end", []step{{0, time.Hour}, {40 * time.Minute, time.Hour}}, 100*time.Minute - ms, 2, 40 * time.Minute},
		{"at the ttl after the last increment", []step{{0, time.Hour}, {40 * time.Minute, time.Hour}}, 100 * time.Minute, 0, 0},
		{"a later, shorter ttl: one ms before", []step{{0, time.Hour}, {time.Minute, time.Minute}}, 2*time.Minute - ms, 2, time.Minute},
		{"a later, shorter ttl: at its end", []step{{0, time.Hour}, {time.Minute, time.Minute}}, 2 * time.Minute, 0, 0},
		{"a later, longer ttl", []step{{0, time.Minute}, {30 * time.Second, time.Hour}}, 30 * time.Minute, 2, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := openAs[store.FailureCounters](t, open)
			t0 := epoch()
			for i, s := range tt.incrs {
				require.Equal(t, int64(i+1), incr(t, c, "k", s.ttl, t0.Add(s.at)), "Incr %d", i+1)
			}
			n, last := count(t, c, "k", t0.Add(tt.count))
			assert.Equal(t, tt.n, n, "count")
			if tt.n == 0 {
				assert.True(t, last.IsZero(), "last of a forgotten counter: %v", last)
			} else {
				assertTime(t, t0.Add(tt.last), last, "last")
			}
		})
	}
}

// testCounterKeys checks that keys are compared exactly: keys that look
// alike, or mean something to a query language, count apart.
func testCounterKeys(t *testing.T, open func(t *testing.T) store.Store) {
	c := openAs[store.FailureCounters](t, open)
	t0 := epoch()
	keys := []string{
		"ip:10.0.0.1", "ip:10.0.0.10", "ip:10.0.0.1 ", " ip:10.0.0.1", "IP:10.0.0.1",
		"account:alice", "account:Alice", "account:alice@example.com",
		"%", "_", "*", "?", "[a]", "{tag}", "a'b", `a"b`, `a\b`, "a\nb", "ключ", "🔑",
		strings.Repeat("long", 100),
	}
	// Key i is incremented i+1 times, interleaved.
	for round := range len(keys) {
		for i, k := range keys {
			if round <= i {
				incr(t, c, k, time.Hour, t0)
			}
		}
	}
	require.NoError(t, c.ResetCounter(t.Context(), "account:alice"))

	for i, k := range keys {
		want := int64(i + 1)
		if k == "account:alice" {
			want = 0
		}
		n, _ := count(t, c, k, t0)
		assert.Equal(t, want, n, "key %q", k)
	}
	for _, k := range []string{"ip:", "ip:10.0.0", "account", "%%", "a"} {
		n, _ := count(t, c, k, t0)
		assert.Zero(t, n, "key %q, never incremented", k)
	}
}

// testConcurrentIncr checks that increments are atomic: many goroutines
// incrementing one counter each get a count of their own, and none is lost.
func testConcurrentIncr(t *testing.T, open func(t *testing.T) store.Store) {
	const goroutines, rounds = 100, 3
	c := openAs[store.FailureCounters](t, open)
	t0 := epoch()
	got := make([][]int64, goroutines)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() {
			<-start
			for range rounds {
				n, err := c.Incr(t.Context(), "k", time.Hour, t0)
				if assert.NoError(t, err, "Incr") {
					got[i] = append(got[i], n)
				}
				// Another counter beside it, read and written at once.
				_, err = c.Incr(t.Context(), "other", time.Hour, t0)
				assert.NoError(t, err, "Incr other")
				_, _, err = c.Count(t.Context(), "k", t0)
				assert.NoError(t, err, "Count")
			}
		})
	}
	close(start)
	wg.Wait()

	all := slices.Sorted(slices.Values(slices.Concat(got...)))
	want := make([]int64, goroutines*rounds)
	for i := range want {
		want[i] = int64(i + 1)
	}
	assert.Equal(t, want, all, "counts returned: each of 1 to %d once", len(want))
	for _, k := range []string{"k", "other"} {
		n, _ := count(t, c, k, t0)
		assert.Equal(t, int64(goroutines*rounds), n, "count of %q", k)
	}
}

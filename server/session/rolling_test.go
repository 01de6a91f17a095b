package session

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testClock is the injected clock of the rolling tests: time moves only
// when a test moves it.
type testClock struct{ t time.Time }

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) now() time.Time      { return c.t }
func (c *testClock) add(d time.Duration) { c.t = c.t.Add(d) }

// TestRollingWritesAtMostOncePerUpdateAge reads one session as a strategy
// does, after each step of the clock: the expiry every read reports is
// now+MaxAge (exact in this process), written out at most once per
// UpdateAge, and the written one lags by less than UpdateAge.
func TestRollingWritesAtMostOncePerUpdateAge(t *testing.T) {
	const maxAge = 30 * time.Minute
	tests := []struct {
		name      string
		updateAge time.Duration
		steps     []time.Duration // the clock moves by each before a read
		writes    string          // per read: w written, h held
	}{
		{"update age 0 writes every read", 0, []time.Duration{0, time.Second, time.Second}, "www"},
		{"reads within the update age are held", time.Minute, []time.Duration{10 * time.Second, 20 * time.Second, 29 * time.Second}, "hhh"},
		{"a read a full update age after the write writes", time.Minute, []time.Duration{30 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}, "hwhw"},
		{"idle longer than the update age writes at once", time.Minute, []time.Duration{5 * time.Minute, time.Second, 5 * time.Minute}, "whw"},
		{"expiries are whole seconds", time.Second, []time.Duration{999 * time.Millisecond, time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}, "hwhw"},
		{"the update age capped at max-age/2", time.Hour, []time.Duration{14 * time.Minute, time.Minute, time.Minute}, "hwh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Len(t, tt.writes, len(tt.steps))
			l, err := Lifetime{MaxAge: maxAge, AbsoluteMaxAge: 12 * time.Hour, UpdateAge: tt.updateAge}.validate()
			require.NoError(t, err)
			r := newRolling(l)
			c := newTestClock()
			abs := wholeSecond(c.now().Add(l.AbsoluteMaxAge))
			stored := r.next(c.now(), abs) // the record as issued
			got := ""
			for _, step := range tt.steps {
				c.add(step)
				require.True(t, c.now().Before(r.expiry("s", stored)), "live before the read")
				next := r.next(c.now(), abs)
				if r.due(stored, next) {
					stored = next
					r.written("s", next)
					got += "w"
				} else {
					r.hold("s", next)
					got += "h"
				}
				assert.Equal(t, wholeSecond(c.now().Add(maxAge)), next, "the read's expiry is now+max-age")
				assert.Equal(t, next, r.expiry("s", stored), "exact in this process")
				if l.UpdateAge > 0 {
					assert.Less(t, next.Sub(stored), l.UpdateAge, "the store lags by less than the update age")
				} else {
					assert.Equal(t, next, stored, "update age 0: the store never lags")
				}
			}
			assert.Equal(t, tt.writes, got)
		})
	}
}

// TestRollingNextCappedAtAbsolute: a read never extends past the absolute
// expiry; once there, a read has nothing to write (unless the update age is
// 0, which writes every read).
func TestRollingNextCappedAtAbsolute(t *testing.T) {
	c := newTestClock()
	abs := c.now().Add(time.Hour)
	c.add(50 * time.Minute)
	for _, updateAge := range []time.Duration{0, time.Minute} {
		r := newRolling(Lifetime{MaxAge: 30 * time.Minute, AbsoluteMaxAge: time.Hour, UpdateAge: updateAge})
		stored := r.next(c.now(), abs)
		assert.Equal(t, abs, stored)
		later := r.next(c.now().Add(5*time.Minute), abs)
		assert.Equal(t, abs, later)
		assert.Equal(t, updateAge == 0, r.due(stored, later), "update age %v", updateAge)
	}
}

func TestRollingDue(t *testing.T) {
	r := newRolling(Lifetime{MaxAge: 30 * time.Minute, AbsoluteMaxAge: time.Hour, UpdateAge: time.Minute})
	t0 := newTestClock().now()
	tests := []struct {
		name string
		last time.Time
		at   time.Time
		due  bool
	}{
		{"nothing passed", t0, t0, false},
		{"just under the update age", t0, t0.Add(time.Minute - time.Nanosecond), false},
		{"exactly the update age", t0, t0.Add(time.Minute), true},
		{"well past it", t0, t0.Add(time.Hour), true},
		{"backwards (a clock behind the last write)", t0, t0.Add(-time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.due, r.due(tt.last, tt.at))
		})
	}
}

// TestRollingHeld: what is held, and when it goes.
func TestRollingHeld(t *testing.T) {
	c := newTestClock()
	at := func(d time.Duration) time.Time { return c.now().Add(d) }
	tests := []struct {
		name string
		do   func(r *rolling)
		// expiry of "s" with a written expiry of at(10m), at at(0)
		want time.Time
	}{
		{"nothing held: the written one", func(*rolling) {}, at(10 * time.Minute)},
		{"a later one held", func(r *rolling) { r.hold("s", at(20*time.Minute)) }, at(20 * time.Minute)},
		{"an earlier one held never wins", func(r *rolling) { r.hold("s", at(5*time.Minute)) }, at(10 * time.Minute)},
		{"hold keeps the latest", func(r *rolling) { r.hold("s", at(20*time.Minute)); r.hold("s", at(15*time.Minute)) }, at(20 * time.Minute)},
		{"another session's hold", func(r *rolling) { r.hold("t", at(20*time.Minute)) }, at(10 * time.Minute)},
		{"written drops what it wrote", func(r *rolling) { r.hold("s", at(20*time.Minute)); r.written("s", at(20*time.Minute)) }, at(10 * time.Minute)},
		{"written keeps a later hold of a concurrent read", func(r *rolling) { r.hold("s", at(21*time.Minute)); r.written("s", at(20*time.Minute)) }, at(21 * time.Minute)},
		{"forget drops it", func(r *rolling) { r.hold("s", at(20*time.Minute)); r.forget("s") }, at(10 * time.Minute)},
		{"prune keeps one not passed", func(r *rolling) { r.hold("s", at(20*time.Minute)); r.prune(at(19 * time.Minute)) }, at(20 * time.Minute)},
		{"prune drops one passed", func(r *rolling) { r.hold("s", at(20*time.Minute)); r.prune(at(20 * time.Minute)) }, at(10 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRolling(DefaultLifetime)
			tt.do(r)
			assert.Equal(t, tt.want, r.expiry("s", at(10*time.Minute)))
		})
	}
}

// TestRollingConcurrentReads: reads of many sessions at once (run with
// -race) leave each session holding the latest expiry any of them held.
func TestRollingConcurrentReads(t *testing.T) {
	r := newRolling(DefaultLifetime)
	t0 := newTestClock().now()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				key := fmt.Sprint("s", j%4)
				next := t0.Add(time.Duration(i*100+j) * time.Second)
				r.hold(key, next)
				_ = r.expiry(key, t0)
				if j%10 == 0 {
					r.written(key, t0)
				}
			}
		})
	}
	wg.Wait()
	for k := range 4 {
		want := t0.Add(time.Duration(700+96+k) * time.Second) // i=7, the last j with j%4 == k
		assert.Equal(t, want, r.expiry(fmt.Sprint("s", k), t0), "s%d", k)
	}
}

// BenchmarkRollingRead is what a status check asks of the rolling rule for
// a session read within its update age (its expiry, then a hold), from one
// goroutine and from one per processor on the same session.
func BenchmarkRollingRead(b *testing.B) {
	r := newRolling(Lifetime{MaxAge: time.Hour, UpdateAge: time.Minute})
	h := make([]byte, 32)
	now := time.Now()
	read := func() {
		r.holdBytes(h, r.expiry(string(h), now))
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			read()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				read()
			}
		})
	})
}

// A claim holds the write of its key back for UpdateAge from the time it
// was made; unclaim, forget and a prune after UpdateAge let it go.
func TestRollingClaim(t *testing.T) {
	r := newRolling(Lifetime{MaxAge: 30 * time.Minute, AbsoluteMaxAge: 12 * time.Hour, UpdateAge: time.Minute})
	c := newTestClock()
	iat := c.now()
	c.add(90 * time.Second)
	assert.False(t, r.claim("s", iat, iat.Add(30*time.Second)), "not due: no claim")
	at := c.now()
	require.True(t, r.claim("s", iat, at))
	assert.False(t, r.claim("s", iat, at), "claimed")
	c.add(59 * time.Second)
	assert.False(t, r.claim("s", iat, c.now()), "claimed less than UpdateAge ago")
	assert.True(t, r.claim("other", iat, c.now()), "claims are per key")

	r.prune(c.now())
	_, kept := r.claims.Load("s")
	assert.True(t, kept, "prune keeps a claim that still holds a write back")
	c.add(time.Second)
	r.prune(c.now())
	_, kept = r.claims.Load("s")
	assert.False(t, kept, "prune drops a claim UpdateAge old")
	assert.True(t, r.claim("s", iat, c.now()), "due again")

	at = c.now()
	r.unclaim("s", at.Add(time.Second))
	assert.False(t, r.claim("s", iat, at), "unclaim gives up only its own claim")
	r.unclaim("s", at)
	assert.True(t, r.claim("s", iat, at))
	r.forget("s")
	assert.True(t, r.claim("s", iat, at), "forget drops the claim")
}

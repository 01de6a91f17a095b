package relay

import (
	"context"
	"math/rand/v2"
	"time"
)

// The waits between attempts to listen again after the connection dropped:
// the first attempt comes at once, then MinBackoff, doubling up to
// MaxBackoff, each with jitter (a random wait between half of it and all of
// it), so that instances that lost their server together do not come back
// in step.
const (
	MinBackoff = 100 * time.Millisecond
	MaxBackoff = 2 * time.Second
)

// backoff returns the wait before attempt n (0 is the first after a drop).
func backoff(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := MinBackoff
	for i := 1; i < n && d < MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

// sleep waits d, or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

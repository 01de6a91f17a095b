package auth

import (
	"context"
	"net/http"
	"net/netip"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// Backoff is a sign-in failure policy for one key (an account, a device, a
// client address): the first Free failures cost nothing; from then on each
// failure doubles the wait before the next try, from Base up to Max.
// Failures are forgotten Window after the last one. Only failures count:
// correct sign-ins never use a limit up.
type Backoff struct {
	Free   int
	Base   time.Duration
	Max    time.Duration
	Window time.Duration
}

// Default policies. One account: 5 failures, then 30 s, 1 min, 2 min … up
// to 15 min between tries. One client address: 100 failures (an office
// behind one address is not blocked by a few people mistyping; it allows at
// least 100 failures an hour), then 1 min doubling up to an hour.
var (
	DefaultAccountBackoff = Backoff{Free: 5, Base: 30 * time.Second, Max: 15 * time.Minute, Window: time.Hour}
	DefaultAddressBackoff = Backoff{Free: 100, Base: time.Minute, Max: time.Hour, Window: time.Hour}
)

// wait returns how long a key with n failures must wait after its last one.
func (b Backoff) wait(n int64) time.Duration {
	if n < int64(b.Free) {
		return 0
	}
	d := b.Base
	for i := int64(b.Free); i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Limiter applies a Backoff to failure counts kept in a store.FailureCounters, so
// every instance sharing the store sees the same counts. It is safe for
// concurrent use.
type Limiter struct {
	policy   Backoff
	counters store.FailureCounters
	prefix   string
	now      func() time.Time
}

// NewLimiter returns a Limiter for policy whose keys get prefix.
func NewLimiter(policy Backoff, counters store.FailureCounters, prefix string, now func() time.Time) *Limiter {
	return &Limiter{policy: policy, counters: counters, prefix: prefix, now: now}
}

// Check returns 0 when key may try now, or how long it must wait.
func (l *Limiter) Check(ctx context.Context, key string) (time.Duration, error) {
	now := l.now()
	n, last, err := l.counters.Count(ctx, l.prefix+key, now)
	if err != nil || n == 0 {
		return 0, err
	}
	return max(0, last.Add(l.policy.wait(n)).Sub(now)), nil
}

// Fail records a failure of key.
func (l *Limiter) Fail(ctx context.Context, key string) error {
	_, err := l.counters.Incr(ctx, l.prefix+key, l.policy.Window, l.now())
	return err
}

// Reset forgets key's failures (after a correct sign-in of that account).
func (l *Limiter) Reset(ctx context.Context, key string) error {
	return l.counters.ResetCounter(ctx, l.prefix+key)
}

// limitAddress returns the rate-limit key of the request's client: its IP
// (see Config.ClientIP), or the /64 for IPv6, where one subscriber usually
// holds the whole prefix.
func (s *Server) limitAddress(r *http.Request) string {
	host := s.cfg.ClientIP.Addr(r)
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

package auth

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Limit is a token bucket of failures: Burst failures at once, then one more
// every 1/Rate seconds.
type Limit struct {
	Burst float64
	// Per is how long the bucket takes to refill completely.
	Per time.Duration
}

// Default limits. One account: 5 failures, then one every 3 minutes. One
// client address: 100 failures, refilled over an hour, so an office behind
// one address is not blocked by a few people mistyping. Only failures count:
// correct sign-ins never use up either limit.
var (
	DefaultAccountLimit = Limit{Burst: 5, Per: 15 * time.Minute}
	DefaultAddressLimit = Limit{Burst: 100, Per: time.Hour}
)

// Limiter counts failed sign-ins per key. The zero value is not usable; build
// one with NewLimiter. A Limiter is safe for concurrent use.
type Limiter struct {
	limit Limit
	rate  float64 // tokens per second
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweeps  time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter returns a Limiter for l on the clock now.
func NewLimiter(l Limit, now func() time.Time) *Limiter {
	return &Limiter{limit: l, rate: l.Burst / l.Per.Seconds(), now: now, buckets: make(map[string]*bucket)}
}

// refill brings b up to date. Callers hold mu.
func (l *Limiter) refill(b *bucket, now time.Time) {
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = math.Min(l.limit.Burst, b.tokens+el*l.rate)
	}
	b.at = now
}

// Check returns 0 when key may try again, or how long it must wait.
func (l *Limiter) Check(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		return 0
	}
	now := l.now()
	l.refill(b, now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// Fail records a failure of key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.limit.Burst, at: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	b.tokens = math.Max(b.tokens-1, -l.limit.Burst) // at most one more refill of debt
	l.sweep(now)
}

// Reset forgets key's failures (after a correct sign-in of that account).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.buckets, key)
	l.mu.Unlock()
}

// sweep drops full buckets once a minute, so memory follows live failures
// only. Callers hold mu.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.sweeps) < time.Minute {
		return
	}
	l.sweeps = now
	for k, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= l.limit.Burst {
			delete(l.buckets, k)
		}
	}
}

// clientAddress returns the rate-limit key of the request's peer: the IP, or
// its /64 for IPv6, where one subscriber usually holds the whole prefix.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/sessionguard/sessionguard/server/audit"
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
// (see session.WithClientIP), or the /64 for IPv6, where one subscriber usually
// holds the whole prefix.
func (s *Server) limitAddress(r *http.Request) string {
	host := s.sessions.ClientAddr(r)
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

// accountKey is the rate-limit key of a sign-in to email: the account, or
// the account on this device when the device proves it signed in to it
// before (device.go), so failures elsewhere cannot lock its owner out.
func (s *Server) accountKey(r *http.Request, email string) (key string, knownDevice bool) {
	if nonce := s.device.known(r, email); nonce != "" {
		return email + " device:" + nonce, true
	}
	return email, false
}

// limitGate returns the check of both limits, for before and after the
// wait for a hashing slot: a signInLimited error, a store error, or nil.
func (s *Server) limitGate(r *http.Request, account, address string) func() error {
	return func() error {
		wa, err := s.accounts.Check(r.Context(), account)
		if err != nil {
			return err
		}
		wb, err := s.addresses.Check(r.Context(), address)
		if err != nil {
			return err
		}
		if wait := max(wa, wb); wait > 0 {
			return signInLimited(wait)
		}
		return nil
	}
}

// limited logs a refusal by the limits (err, from the gate) and returns it.
func (s *Server) limited(r *http.Request, err error) error {
	secs := 0
	var ra *retryAfter
	if errors.As(err, &ra) {
		secs = ra.seconds()
	}
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "sign-in rate limited", audit.Event(audit.SignInRateLimited),
		slog.String("client", s.sessions.ClientAddr(r)), slog.Int("retry_after", secs))
	return err
}

// recordFailure counts a wrong password against both limits.
func (s *Server) recordFailure(r *http.Request, account, address string) {
	err1 := s.accounts.Fail(r.Context(), account)
	err2 := s.addresses.Fail(r.Context(), address)
	if err := errors.Join(err1, err2); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "could not record a sign-in failure", errAttr(err))
	}
}

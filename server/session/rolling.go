package session

import (
	"sync"
	"time"
)

// rolling is the rolling-expiry rule, the one place both strategies take it
// from:
//
//   - Every read moves a session's idle expiry to now+MaxAge, in whole
//     seconds and never past its absolute cap (next).
//   - A read writes that expiry out (the database strategy touches the
//     record; the jwt strategy re-issues the access token and touches the
//     record) only when at least UpdateAge has passed since the last write
//     (due), so a session costs at most one write per UpdateAge.
//   - The reads in between hold their newer expiry here, in memory (hold),
//     and every read takes the later of the written and the held expiry
//     (expiry): this process stays exact, while the store and the other
//     instances lag by less than UpdateAge.
//   - So stores are asked as of UpdateAge ago (storeNow): a record whose
//     stored expiry passed less than UpdateAge ago may still be live here.
//   - A held expiry is dropped once written (written; a later one held by a
//     concurrent read stays), when its session ends (forget), and once it
//     has passed (prune).
//
// The store's read cache (server/store/cache) takes no part in the rule: it
// serves reads from memory and mirrors every write that passes through it,
// deciding nothing about when to write.
//
// Sessions are named by a string key of the strategy's choosing. The zero
// value holds nothing and must not be used: build one with newRolling. A
// rolling is safe for concurrent use. Every status check reads it and most
// hold through it, so the held expiries are a sync.Map: a read takes no
// lock and writes no memory that the other cores' reads share, and a hold
// writes only when it moves an expiry on (once a second per session).
type rolling struct {
	maxAge    time.Duration
	updateAge time.Duration

	held sync.Map // string key → time.Time
}

// newRolling returns the rule for a validated Lifetime.
func newRolling(l Lifetime) *rolling {
	return &rolling{maxAge: l.MaxAge, updateAge: l.UpdateAge}
}

// next returns the idle expiry a read at now gives a session whose absolute
// expiry is abs.
func (r *rolling) next(now, abs time.Time) time.Time { return idleExpiry(now, r.maxAge, abs) }

// due reports whether a read must write: at least UpdateAge from the last
// write (last) to this one (at), in that order. The database strategy
// measures between the stored and the new idle expiry, the jwt strategy
// between the access token's issue time and now.
func (r *rolling) due(last, at time.Time) bool {
	return !at.Before(last) && at.Sub(last) >= r.updateAge
}

// storeNow returns the time a store is asked at for a read at now: its
// expiries lag the real ones by less than UpdateAge.
func (r *rolling) storeNow(now time.Time) time.Time { return now.Add(-r.updateAge) }

// expiry returns the idle expiry of key whose last written one is written:
// the later of that and the one held.
func (r *rolling) expiry(key string, written time.Time) time.Time {
	if h, ok := r.held.Load(key); ok && h.(time.Time).After(written) {
		return h.(time.Time)
	}
	return written
}

// hold keeps next as the idle expiry of key, a read that did not write it,
// unless a later one is held already.
func (r *rolling) hold(key string, next time.Time) {
	for {
		h, ok := r.held.Load(key)
		switch {
		case ok && !next.After(h.(time.Time)):
			return
		case !ok:
			if _, raced := r.held.LoadOrStore(key, next); !raced {
				return
			}
		case r.held.CompareAndSwap(key, h, next):
			return
		}
	}
}

// holdBytes is hold for the key string(h), on the hot path: it makes that
// string only when it stores a new entry.
func (r *rolling) holdBytes(h []byte, next time.Time) {
	if held, ok := r.held.Load(string(h)); ok && !next.After(held.(time.Time)) {
		return
	}
	r.hold(string(h), next)
}

// written notes that next was written out for key: the held expiry goes,
// unless a concurrent read has moved it past next.
func (r *rolling) written(key string, next time.Time) {
	if h, ok := r.held.Load(key); ok && !h.(time.Time).After(next) {
		r.held.CompareAndDelete(key, h)
	}
}

// forget drops the held expiry of key: its session has ended.
func (r *rolling) forget(key string) { r.held.Delete(key) }

// prune drops the held expiries that have passed at now.
func (r *rolling) prune(now time.Time) {
	r.held.Range(func(k, h any) bool {
		if !now.Before(h.(time.Time)) {
			r.held.CompareAndDelete(k, h)
		}
		return true
	})
}

// idleExpiry is now+maxAge rounded down to a whole second, never past abs.
func idleExpiry(now time.Time, maxAge time.Duration, abs time.Time) time.Time {
	return minTime(wholeSecond(now.Add(maxAge)), abs)
}

// wholeSecond rounds t down to a whole second, the precision of the API: the
// expiry a client is told is exactly the one the server enforces.
func wholeSecond(t time.Time) time.Time { return t.Truncate(time.Second) }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

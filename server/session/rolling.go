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
//   - Of the reads that find a write due, one writes (claim); the others
//     hold like any other read. The database strategy gives the claim up
//     once its write is done (unclaim), since the record then says when
//     the next write is due. The jwt strategy keeps it for UpdateAge: its
//     reads measure from the token's issue time, which a client that
//     never adopts the renewed token (or replays an old one) never moves
//     on, so without the claim every such read past UpdateAge would write
//     and sign. A claim whose write failed is given up too.
//   - A held expiry is dropped once written (written; a later one held by a
//     concurrent read stays), when its session ends (forget), and once it
//     has passed (prune); a claim when its session ends, and once it no
//     longer holds a write back (prune).
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

	held   sync.Map // string key → time.Time
	claims sync.Map // string key → time.Time: at of the last claim
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

// claim reports whether a read that finds a write due, measured from last
// to at as due does, is the one to make it: no read of this process holds
// a claim on key's write made within UpdateAge before at.
func (r *rolling) claim(key string, last, at time.Time) bool {
	if !r.due(last, at) {
		return false
	}
	for {
		c, ok := r.claims.Load(key)
		switch {
		case ok && !r.due(c.(time.Time), at):
			return false
		case !ok:
			if _, raced := r.claims.LoadOrStore(key, at); !raced {
				return true
			}
		case r.claims.CompareAndSwap(key, c, at):
			return true
		}
	}
}

// unclaim gives up the claim claim(key, _, at) made: its write is done, or
// failed, and the next read that finds a write due makes it.
func (r *rolling) unclaim(key string, at time.Time) { r.claims.CompareAndDelete(key, at) }

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

// forget drops the held expiry and the claim of key: its session has
// ended.
func (r *rolling) forget(key string) {
	r.held.Delete(key)
	r.claims.Delete(key)
}

// prune drops the held expiries that have passed at now, and the claims
// that no longer hold a write back.
func (r *rolling) prune(now time.Time) {
	r.held.Range(func(k, h any) bool {
		if !now.Before(h.(time.Time)) {
			r.held.CompareAndDelete(k, h)
		}
		return true
	})
	r.claims.Range(func(k, c any) bool {
		if r.due(c.(time.Time), now) {
			r.claims.CompareAndDelete(k, c)
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

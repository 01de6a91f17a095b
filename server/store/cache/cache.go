// Package cache keeps database-strategy session records in memory in front of
// a store, so the hot path (every status check reads the session) does not
// query the database.
//
// New builds the exact cache of a store that this process alone writes:
// every create, touch and delete goes through the cache and keeps it exact.
// The embedded SQLite store is used that way (the server holds a lock on its
// data directory).
//
// NewShared builds the cache of a store that several instances share
// (PostgreSQL, Redis): each instance publishes what its writes make out of
// date through the store's event channel, and every instance drops those
// records as the events arrive. Delivery between instances is asynchronous,
// so the cache serves a record only while this instance's own heartbeat,
// sent through the same channel, has come back recently (within the bound,
// DefaultBound): a revocation that has returned on one instance holds on
// every other within that bound. While the channel is down, resyncing or
// slow, every read goes to the store.
package cache

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// DefaultMaxEntries bounds the cache: 100 000 hot sessions, about 720 bytes
// each with a browser's user agent and the user index
// (BenchmarkBytesPerSession), 72 MB.
const DefaultMaxEntries = 100_000

// Store is a store.Store whose session reads are served from memory. Build
// one with New. It is safe for concurrent use.
type Store struct {
	store.Store
	max int

	// Every status check reads the cache, so reads take no lock: they load
	// from sync.Maps and atomics, and write nothing that another core's
	// reads share. Writes (creates, touches, deletes, the puts of misses)
	// hold mu, which keeps the counts and the user index with the maps.
	mu sync.Mutex
	// entries holds the records, *store.Session by string(IDHash); a
	// stored record is never changed, only replaced. n is its size.
	entries sync.Map
	n       int
	// byUser indexes entries by user id, so ending a user's sessions costs
	// that user's entries, not a walk of the whole cache under the lock
	// that every write takes. Kept by put and remove only. A slice, not a
	// set: a user has few sessions, and a map per user would cost more
	// than the record it indexes.
	byUser map[string][]string
	// epoch grows on every delete (under mu), so a read that raced a
	// delete does not put the deleted record back: a read loads it before
	// it looks, and a miss puts what it read only if it has not moved.
	epoch atomic.Uint64
	// revs caches the jwt strategy's revocation checks (signed.go).
	revs revocations

	// shared is set by NewShared (shared.go); nil for an exact cache.
	shared *shared
}

// New wraps next. maxEntries < 1 takes DefaultMaxEntries.
func New(next store.Store, maxEntries int) *Store {
	if maxEntries < 1 {
		maxEntries = DefaultMaxEntries
	}
	return &Store{Store: next, max: maxEntries, byUser: make(map[string][]string)}
}

// Session implements store.Sessions from memory, reading the store on a miss.
func (c *Store) Session(ctx context.Context, h []byte, now time.Time) (store.Session, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.Session{}, false, err
	}
	if !c.usable() {
		return c.Store.Session(ctx, h, now)
	}
	epoch := c.epoch.Load()
	// A record that looks expired is read again: another instance may have
	// moved its expiry (touches are not published; expiry only moves on).
	if v, ok := c.entries.Load(string(h)); ok && v.(*store.Session).Live(now) {
		return clone(*v.(*store.Session)), true, nil
	}
	s, found, err := c.Store.Session(ctx, h, now)
	if err != nil || !found {
		return s, found, err
	}
	c.mu.Lock()
	if c.epoch.Load() == epoch {
		c.put(clone(s))
	}
	c.mu.Unlock()
	return s, true, nil
}

// CreateSession implements store.Sessions.
func (c *Store) CreateSession(ctx context.Context, s store.Session) error {
	if err := c.Store.CreateSession(ctx, s); err != nil {
		return err
	}
	c.mu.Lock()
	c.put(clone(s))
	c.mu.Unlock()
	return nil
}

// TouchSession implements store.Sessions. The cache takes no part in the
// rolling-expiry rule (at most one write per update age, exact in memory in
// between: server/session's rolling type holds it): it only mirrors each
// write that passes through it, so the reads it serves stay exact.
func (c *Store) TouchSession(ctx context.Context, h []byte, expires time.Time) (bool, error) {
	found, err := c.Store.TouchSession(ctx, h, expires)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	if v, ok := c.entries.Load(string(h)); ok {
		if found {
			s := *v.(*store.Session)
			s.Expires = expires.UTC()
			c.entries.Store(string(h), &s)
		} else {
			c.remove(string(h)) // gone from the store
		}
	}
	c.mu.Unlock()
	return found, nil
}

// DeleteSession implements store.Sessions. The record leaves the cache
// before the store, so no reader sees it once this returns.
func (c *Store) DeleteSession(ctx context.Context, h []byte) error {
	c.mu.Lock()
	c.remove(string(h))
	c.epoch.Add(1)
	c.mu.Unlock()
	err := c.Store.DeleteSession(ctx, h)
	// A miss that read the row while the store deleted it may have cached it.
	c.mu.Lock()
	c.remove(string(h))
	c.epoch.Add(1)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.tell(ctx, store.Event{SessionHash: h})
}

// DeleteUserSessions implements store.Sessions.
func (c *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	c.dropUser(userID)
	n, err := c.Store.DeleteUserSessions(ctx, userID)
	c.dropUser(userID)
	if err != nil {
		return n, err
	}
	return n, c.tell(ctx, store.Event{UserID: userID})
}

// DeleteExpiredSessions implements store.Sessions.
func (c *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	n, err := c.Store.DeleteExpiredSessions(ctx, now)
	c.drop(func(s *store.Session) bool { return !s.Live(now) })
	return n, err
}

// Len returns the number of cached records.
func (c *Store) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func (c *Store) drop(match func(*store.Session) bool) {
	c.mu.Lock()
	c.entries.Range(func(k, v any) bool {
		if match(v.(*store.Session)) {
			c.remove(k.(string))
		}
		return true
	})
	c.epoch.Add(1)
	c.mu.Unlock()
}

// dropUser removes every cached record of userID.
func (c *Store) dropUser(userID string) {
	c.mu.Lock()
	c.removeUser(userID)
	c.epoch.Add(1)
	c.mu.Unlock()
}

// removeUser removes the records of userID. Callers hold mu.
func (c *Store) removeUser(userID string) {
	for _, k := range c.byUser[userID] {
		if _, ok := c.entries.LoadAndDelete(k); ok {
			c.n--
		}
	}
	delete(c.byUser, userID)
}

// remove removes the record of key k, if cached. Callers hold mu.
func (c *Store) remove(k string) {
	v, ok := c.entries.LoadAndDelete(k)
	if !ok {
		return
	}
	c.n--
	s := v.(*store.Session)
	keys := c.byUser[s.UserID]
	if i := slices.Index(keys, k); i >= 0 {
		keys[i] = keys[len(keys)-1]
		keys = keys[:len(keys)-1]
	}
	if len(keys) == 0 {
		delete(c.byUser, s.UserID)
	} else {
		c.byUser[s.UserID] = keys
	}
}

// put adds s, first making room by dropping arbitrary entries (the order
// the map ranges in); a dropped record is simply read from the store again.
// Callers hold mu.
func (c *Store) put(s store.Session) {
	k := string(s.IDHash)
	c.remove(k) // a record replaced may have named another user
	if c.n >= c.max {
		n := c.max/10 + 1
		c.entries.Range(func(old, _ any) bool {
			c.remove(old.(string))
			n--
			return n > 0
		})
	}
	c.entries.Store(k, &s)
	c.n++
	c.byUser[s.UserID] = append(c.byUser[s.UserID], k)
}

// clone copies the hash and puts the times in UTC, as stores return them.
func clone(s store.Session) store.Session {
	s.IDHash = append([]byte(nil), s.IDHash...)
	s.CreatedAt, s.Expires, s.AbsExpires = s.CreatedAt.UTC(), s.Expires.UTC(), s.AbsExpires.UTC()
	s.AuthenticatedAt = s.AuthenticatedAt.UTC()
	return s
}

package cache

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/internal/bus"
)

// The heartbeat of a shared cache: every DefaultHeartbeat an instance
// publishes a heartbeat through the store's event channel, and it serves
// records from memory only while the newest of its own heartbeats that came
// back was sent at most DefaultBound ago. Events from every instance travel
// through the channel in one order, so once a heartbeat sent after a write
// has come back, the invalidation that write published has been applied:
// a write that returned more than the bound ago is seen by every read.
const (
	DefaultHeartbeat = 250 * time.Millisecond
	DefaultBound     = 500 * time.Millisecond
)

// shared is the state of a cache built by NewShared.
type shared struct {
	id           string // this instance, the UserID of its heartbeats
	every, bound time.Duration
	events       store.Events // the channel: the store's own unless WithEvents

	// last is the send time (UnixNano) of the newest own heartbeat that
	// came back within the bound; 0 when the cache must not be used.
	last atomic.Int64
	// hits and bypassed count the reads served from memory and those sent
	// to the store because the channel was not known to be current.
	hits, bypassed atomic.Uint64
	// flushes counts the times the whole cache was dropped.
	flushes atomic.Uint64

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Option configures NewShared.
type Option func(*shared)

// WithHeartbeat sets how often the instance publishes its heartbeat
// (DefaultHeartbeat when not positive) and how recent the newest returned
// heartbeat must be for the cache to be used (DefaultBound when not
// positive).
func WithHeartbeat(every, bound time.Duration) Option {
	return func(s *shared) {
		if every > 0 {
			s.every = every
		}
		if bound > 0 {
			s.bound = bound
		}
	}
}

// WithEvents makes the cache publish and follow its invalidations and
// heartbeats on events instead of the wrapped store's own channel: another
// connection to the same store (its own Close stays the caller's). Tests use
// it to take the channel away while the store answers.
func WithEvents(events store.Events) Option {
	return func(s *shared) { s.events = events }
}

// NewShared wraps next, a store that other instances write too, in a cache
// of at most maxEntries records (DefaultMaxEntries when < 1) kept current by
// next's events: it subscribes to them and starts publishing heartbeats. It
// returns an error when the subscription cannot start. Close stops both,
// then closes next.
//
// Every write through the returned Store that makes another instance's
// cached copy out of date (a session deleted, a user's sessions deleted, an
// id denied, a valid-after time moved) is published as a
// store.EventInvalidated once the store has it; when that publication fails
// the write reports the error (it is in the store, but other instances may
// not know). Touches are not published: expiry only moves forward, and a
// cached record that looks expired is read again.
func NewShared(next store.Store, maxEntries int, opts ...Option) (*Store, error) {
	sh := &shared{id: instanceID(), every: DefaultHeartbeat, bound: DefaultBound, events: next}
	for _, o := range opts {
		o(sh)
	}
	bg, cancel := context.WithCancel(context.Background())
	ch, err := sh.events.Subscribe(bg)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("cache: subscribe to the store's events: %w", err)
	}
	c := New(next, maxEntries)
	c.shared, sh.cancel = sh, cancel
	c.revs.byKey = make(map[[sha256.Size]byte]string)
	sh.wg.Go(func() { c.follow(ch) })
	sh.wg.Go(func() { c.heartbeat(bg) })
	return c, nil
}

// instanceID returns a random name for this instance's heartbeats.
func instanceID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "instance:" + hex.EncodeToString(b)
}

// usable reports whether reads may be served from memory: always for an
// exact cache; for a shared one while its heartbeat is current.
func (c *Store) usable() bool {
	sh := c.shared
	if sh == nil {
		return true
	}
	last := sh.last.Load()
	if last != 0 && time.Now().UnixNano()-last <= int64(sh.bound) {
		sh.hits.Add(1)
		return true
	}
	sh.bypassed.Add(1)
	return false
}

// Stats is what a shared cache has done so far.
type Stats struct {
	// Current reports whether reads are served from memory now.
	Current bool
	// Hits counts reads that consulted the cache (a miss there reads the
	// store once and keeps the record); Bypassed those sent straight to
	// the store because the channel was down, resyncing or slow.
	Hits, Bypassed uint64
	// Flushes counts the times the whole cache was dropped (resync, a gap
	// in the heartbeat, events possibly lost).
	Flushes uint64
}

// Stats returns the counts of a shared cache; the zero Stats for an exact
// one.
func (c *Store) Stats() Stats {
	sh := c.shared
	if sh == nil {
		return Stats{}
	}
	last := sh.last.Load()
	return Stats{Current: last != 0 && time.Now().UnixNano()-last <= int64(sh.bound),
		Hits: sh.hits.Load(), Bypassed: sh.bypassed.Load(), Flushes: sh.flushes.Load()}
}

// tell publishes e as an invalidation for the other instances' caches; a
// no-op for an exact cache.
func (c *Store) tell(ctx context.Context, e store.Event) error {
	if c.shared == nil {
		return nil
	}
	e.Type, e.At = store.EventInvalidated, time.Now()
	if err := c.shared.events.Publish(ctx, e); err != nil {
		return fmt.Errorf("cache: publish the invalidation: %w", err)
	}
	return nil
}

// heartbeat publishes this instance's heartbeat every sh.every until ctx
// ends. A publish waits at most the bound: a later one would come back too
// late to count anyway.
func (c *Store) heartbeat(ctx context.Context) {
	sh := c.shared
	t := time.NewTicker(sh.every)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, sh.bound)
		_ = sh.events.Publish(pctx, store.Event{Type: store.EventHeartbeat, UserID: sh.id, At: time.Now()})
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// follow applies the events of ch, in order, until it closes; then the
// cache is never used again.
func (c *Store) follow(ch <-chan store.Event) {
	sh := c.shared
	defer sh.last.Store(0)
	for e := range ch {
		// A buffer found full after a receive may have dropped events
		// since: start again from the store.
		if len(ch) >= cap(ch)-1 {
			c.flush()
		}
		switch e.Type {
		case store.EventHeartbeat:
			if e.UserID != sh.id {
				continue
			}
			sent, now := e.At.UnixNano(), time.Now().UnixNano()
			if now-sent > int64(sh.bound) {
				continue // slow: last ages, and reads go to the store
			}
			if prev := sh.last.Load(); prev == 0 || now-prev > int64(sh.bound) {
				// Reads have gone to the store meanwhile; whatever the
				// cause, start again from an empty cache.
				c.flush()
			}
			sh.last.Store(sent)
		case store.EventResync:
			// Events published while the channel was down are lost.
			sh.last.Store(0)
			c.flush()
		case store.EventInvalidated:
			c.forget(e)
		}
	}
}

// forget drops what invalidation e names: the session or deny-list entry of
// its hash, every record of its user.
func (c *Store) forget(e store.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(e.SessionHash) > 0 {
		c.remove(string(e.SessionHash))
		if len(e.SessionHash) == sha256.Size {
			k := [sha256.Size]byte(e.SessionHash)
			if id, ok := c.revs.byKey[k]; ok {
				c.forgetDenied(id)
				delete(c.revs.byKey, k)
			}
		}
	}
	if e.UserID != "" {
		c.removeUser(e.UserID)
		c.forgetValidAfter(e.UserID)
	}
	c.epoch.Add(1)
	c.revs.epoch.Add(1)
}

// flush drops every cached record.
func (c *Store) flush() {
	c.mu.Lock()
	c.entries.Clear()
	c.n = 0
	clear(c.byUser)
	c.revs.denied.Clear()
	clear(c.revs.byKey)
	c.revs.validAfter.Clear()
	c.revs.n = 0
	c.epoch.Add(1)
	c.revs.epoch.Add(1)
	c.mu.Unlock()
	if c.shared != nil {
		c.shared.flushes.Add(1)
	}
}

// Subscribe implements store.Events. A shared cache's subscribers do not
// see the heartbeats and invalidations the caches send each other.
func (c *Store) Subscribe(ctx context.Context) (<-chan store.Event, error) {
	in, err := c.Store.Subscribe(ctx)
	if err != nil || c.shared == nil {
		return in, err
	}
	// The subscription's buffer is out: the forwarder takes every event
	// from in at once and drops it when out is full, as the store would.
	out := make(chan store.Event, bus.Buffer)
	go func() {
		defer close(out)
		for e := range in {
			if store.CacheEvent(e.Type) {
				continue
			}
			select {
			case out <- e:
			default: // full: this subscriber misses e
			}
		}
	}()
	return out, nil
}

// Close stops a shared cache's heartbeat and subscription, then closes the
// wrapped store.
func (c *Store) Close() error {
	if sh := c.shared; sh != nil {
		sh.cancel()
		sh.wg.Wait()
	}
	return c.Store.Close()
}

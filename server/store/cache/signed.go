package cache

import (
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// revocations is the cached state of store.Revocations: which ids are known
// not to be denied (zero time) or denied until when, and every user's
// valid-after time once read. Exact for the same reason as the session
// records: every write goes through this process (or, for a shared cache,
// is published by the instance that made it). Like the records, the maps
// are read without a lock and written under the Store's mu, which keeps
// their sizes (n) and byKey.
type revocations struct {
	denied sync.Map // id → time.Time
	// byKey finds an id of denied by its denyKey, the name invalidations
	// give it; kept by shared caches only (nil otherwise).
	byKey      map[[sha256.Size]byte]string
	validAfter sync.Map // user id → time.Time
	n          int      // entries in denied and validAfter together
	// epoch grows on every change that a read racing it must not undo.
	epoch atomic.Uint64
}

// setValidAfter records userID's valid-after time; callers hold mu.
func (c *Store) setValidAfter(userID string, t time.Time) {
	if _, loaded := c.revs.validAfter.Swap(userID, t); !loaded {
		c.revs.n++
	}
}

// forgetDenied drops id's state; callers hold mu.
func (c *Store) forgetDenied(id string) {
	if _, ok := c.revs.denied.LoadAndDelete(id); ok {
		c.revs.n--
	}
}

// forgetValidAfter drops userID's valid-after time; callers hold mu.
func (c *Store) forgetValidAfter(userID string) {
	if _, ok := c.revs.validAfter.LoadAndDelete(userID); ok {
		c.revs.n--
	}
}

const maxRevocationEntries = 200_000

// denyKey is the SHA-256 of a deny-list id: how a shared cache's
// invalidation names it (in Event.SessionHash) without sending the id
// itself. It is computed on writes and misses only, never on a hit.
func denyKey(id string) [sha256.Size]byte {
	return sha256.Sum256([]byte(id))
}

// setDenied records id's state; callers hold mu.
func (c *Store) setDenied(id string, until time.Time) {
	if _, loaded := c.revs.denied.Swap(id, until); !loaded {
		c.revs.n++
	}
	if c.revs.byKey != nil {
		c.revs.byKey[denyKey(id)] = id
	}
}

// Deny implements store.Revocations.
func (c *Store) Deny(ctx context.Context, id string, until time.Time) error {
	if err := c.Store.Deny(ctx, id, until); err != nil {
		c.mu.Lock()
		c.forgetDenied(id) // unknown now: read it again
		c.revs.epoch.Add(1)
		c.mu.Unlock()
		return err
	}
	c.mu.Lock()
	// The store keeps the later of an id's denials. The cache knows the
	// result only when it knew the id's state before: an id it has
	// dropped (for room, a flush, an invalidation) may be denied later
	// than until, so it stays unknown and the next check reads the store.
	if old, ok := c.revs.denied.Load(id); ok && until.After(old.(time.Time)) {
		c.setDenied(id, until.UTC())
	}
	c.revs.epoch.Add(1)
	c.mu.Unlock()
	if c.shared == nil {
		return nil
	}
	k := denyKey(id)
	return c.tell(ctx, store.Event{SessionHash: k[:]})
}

// SetUserValidAfter implements store.Revocations.
func (c *Store) SetUserValidAfter(ctx context.Context, userID string, t time.Time) error {
	err := c.Store.SetUserValidAfter(ctx, userID, t)
	c.mu.Lock()
	c.forgetValidAfter(userID) // read again on the next check
	c.revs.epoch.Add(1)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.tell(ctx, store.Event{UserID: userID})
}

// UserValidAfter implements store.Revocations.
func (c *Store) UserValidAfter(ctx context.Context, userID string) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	if !c.usable() {
		return c.Store.UserValidAfter(ctx, userID)
	}
	return c.validAfter(ctx, userID)
}

// validAfter is UserValidAfter once the cache is known usable.
func (c *Store) validAfter(ctx context.Context, userID string) (time.Time, error) {
	epoch := c.revs.epoch.Load()
	if t, ok := c.revs.validAfter.Load(userID); ok {
		return t.(time.Time), nil
	}
	t, err := c.Store.UserValidAfter(ctx, userID)
	if err != nil {
		return t, err
	}
	c.mu.Lock()
	if c.revs.epoch.Load() == epoch {
		c.remember(func() { c.setValidAfter(userID, t) })
	}
	c.mu.Unlock()
	return t, nil
}

// Revoked implements store.Revocations from memory; ids and users not seen
// before are read from the store once.
func (c *Store) Revoked(ctx context.Context, userID string, issuedAt, now time.Time, ids ...string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if !c.usable() {
		return c.Store.Revoked(ctx, userID, issuedAt, now, ids...)
	}
	after, err := c.validAfter(ctx, userID)
	if err != nil {
		return false, err
	}
	if issuedAt.Before(after) {
		return true, nil
	}
	for _, id := range ids {
		epoch := c.revs.epoch.Load()
		if until, ok := c.revs.denied.Load(id); ok {
			if now.Before(until.(time.Time)) {
				return true, nil
			}
			continue
		}
		denied, err := c.Store.Revoked(ctx, "", time.Time{}, now, id)
		if err != nil {
			return false, err
		}
		if denied {
			return true, nil // its time is unknown here; ask again next time
		}
		c.mu.Lock()
		if c.revs.epoch.Load() == epoch {
			c.remember(func() { c.setDenied(id, time.Time{}) })
		}
		c.mu.Unlock()
	}
	return false, nil
}

// DeleteExpiredDenials implements store.Revocations.
func (c *Store) DeleteExpiredDenials(ctx context.Context, now time.Time) (int, error) {
	n, err := c.Store.DeleteExpiredDenials(ctx, now)
	c.mu.Lock()
	c.revs.denied.Range(func(id, until any) bool {
		if u := until.(time.Time); !u.IsZero() && !now.Before(u) {
			c.revs.denied.Store(id, time.Time{}) // expired means not denied
		}
		return true
	})
	c.mu.Unlock()
	return n, err
}

// remember runs add unless the maps are full, in which case they are
// emptied first (everything is read again as needed). Callers hold mu.
func (c *Store) remember(add func()) {
	if c.revs.n >= maxRevocationEntries {
		c.revs.denied.Clear()
		if c.revs.byKey != nil {
			c.revs.byKey = make(map[[sha256.Size]byte]string)
		}
		c.revs.validAfter.Clear()
		c.revs.n = 0
	}
	add()
}

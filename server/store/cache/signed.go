package cache

import (
	"context"
	"crypto/sha256"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// revocations is the cached state of store.Revocations: which ids are known
// not to be denied (zero time) or denied until when, and every user's
// valid-after time once read. Exact for the same reason as the session
// records: every write goes through this process (or, for a shared cache,
// is published by the instance that made it).
type revocations struct {
	denied map[string]time.Time
	// byKey finds an id of denied by its denyKey, the name invalidations
	// give it; kept by shared caches only (nil otherwise).
	byKey      map[[sha256.Size]byte]string
	validAfter map[string]time.Time
	epoch      uint64
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
	c.revs.denied[id] = until
	if c.revs.byKey != nil {
		c.revs.byKey[denyKey(id)] = id
	}
}

// Deny implements store.Revocations.
func (c *Store) Deny(ctx context.Context, id string, until time.Time) error {
	if err := c.Store.Deny(ctx, id, until); err != nil {
		c.mu.Lock()
		delete(c.revs.denied, id) // unknown now: read it again
		c.revs.epoch++
		c.mu.Unlock()
		return err
	}
	c.mu.Lock()
	// The store keeps the later of an id's denials. The cache knows the
	// result only when it knew the id's state before: an id it has
	// dropped (for room, a flush, an invalidation) may be denied later
	// than until, so it stays unknown and the next check reads the store.
	if old, ok := c.revs.denied[id]; ok && until.After(old) {
		c.setDenied(id, until.UTC())
	}
	c.revs.epoch++
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
	delete(c.revs.validAfter, userID) // read again on the next check
	c.revs.epoch++
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
	c.mu.RLock()
	t, ok := c.revs.validAfter[userID]
	epoch := c.revs.epoch
	c.mu.RUnlock()
	if ok {
		return t, nil
	}
	t, err := c.Store.UserValidAfter(ctx, userID)
	if err != nil {
		return t, err
	}
	c.mu.Lock()
	if c.revs.epoch == epoch {
		c.remember(func() { c.revs.validAfter[userID] = t })
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
		c.mu.RLock()
		until, ok := c.revs.denied[id]
		epoch := c.revs.epoch
		c.mu.RUnlock()
		if ok {
			if now.Before(until) {
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
		if c.revs.epoch == epoch {
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
	for id, until := range c.revs.denied {
		if !until.IsZero() && !now.Before(until) {
			c.revs.denied[id] = time.Time{} // expired means not denied
		}
	}
	c.mu.Unlock()
	return n, err
}

// remember runs add unless the maps are full, in which case they are
// emptied first (everything is read again as needed). Callers hold mu.
func (c *Store) remember(add func()) {
	if len(c.revs.denied)+len(c.revs.validAfter) >= maxRevocationEntries {
		c.revs.denied = make(map[string]time.Time)
		if c.revs.byKey != nil {
			c.revs.byKey = make(map[[sha256.Size]byte]string)
		}
		c.revs.validAfter = make(map[string]time.Time)
	}
	add()
}

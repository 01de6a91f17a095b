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
	// denied is keyed by denyKey(id): the key that invalidations name.
	denied     map[string]time.Time
	validAfter map[string]time.Time
	epoch      uint64
}

const maxRevocationEntries = 200_000

// denyKey is the SHA-256 of a deny-list id: how the cache keys it, and how
// a shared cache's invalidation names it (in Event.SessionHash) without
// sending the id itself.
func denyKey(id string) [sha256.Size]byte {
	return sha256.Sum256([]byte(id))
}

// Deny implements store.Revocations.
func (c *Store) Deny(ctx context.Context, id string, until time.Time) error {
	k := denyKey(id)
	if err := c.Store.Deny(ctx, id, until); err != nil {
		c.mu.Lock()
		delete(c.revs.denied, string(k[:])) // unknown now: read it again
		c.revs.epoch++
		c.mu.Unlock()
		return err
	}
	c.mu.Lock()
	if old, ok := c.revs.denied[string(k[:])]; !ok || until.After(old) {
		c.revs.denied[string(k[:])] = until.UTC()
	}
	c.revs.epoch++
	c.mu.Unlock()
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
	after, err := c.UserValidAfter(ctx, userID)
	if err != nil {
		return false, err
	}
	if issuedAt.Before(after) {
		return true, nil
	}
	for _, id := range ids {
		k := denyKey(id)
		c.mu.RLock()
		until, ok := c.revs.denied[string(k[:])]
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
			c.remember(func() { c.revs.denied[string(k[:])] = time.Time{} })
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
		c.revs.validAfter = make(map[string]time.Time)
	}
	add()
}

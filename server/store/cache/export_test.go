package cache

import (
	"fmt"

	"github.com/sessionguard/sessionguard/server/store"
)

// CheckIndex reports where the user index and the records disagree: every
// record listed once under its user, nothing else listed.
func (c *Store) CheckIndex() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for user, keys := range c.byUser {
		if len(keys) == 0 {
			return fmt.Errorf("user %s listed with no records", user)
		}
		seen := map[string]bool{}
		for _, k := range keys {
			v, ok := c.entries.Load(k)
			switch {
			case !ok:
				return fmt.Errorf("user %s lists a record that is not cached", user)
			case v.(*store.Session).UserID != user:
				return fmt.Errorf("user %s lists a record of %s", user, v.(*store.Session).UserID)
			case seen[k]:
				return fmt.Errorf("user %s lists a record twice", user)
			}
			seen[k] = true
			n++
		}
	}
	cached := 0
	c.entries.Range(func(_, _ any) bool { cached++; return true })
	if n != cached || c.n != cached {
		return fmt.Errorf("%d records cached (counted %d), %d listed", cached, c.n, n)
	}
	return nil
}

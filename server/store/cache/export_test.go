package cache

import "fmt"

// CheckIndex reports where the user index and the records disagree: every
// record listed once under its user, nothing else listed.
func (c *Store) CheckIndex() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for user, keys := range c.byUser {
		if len(keys) == 0 {
			return fmt.Errorf("user %s listed with no records", user)
		}
		seen := map[string]bool{}
		for _, k := range keys {
			s, ok := c.entries[k]
			switch {
			case !ok:
				return fmt.Errorf("user %s lists a record that is not cached", user)
			case s.UserID != user:
				return fmt.Errorf("user %s lists a record of %s", user, s.UserID)
			case seen[k]:
				return fmt.Errorf("user %s lists a record twice", user)
			}
			seen[k] = true
			n++
		}
	}
	if n != len(c.entries) {
		return fmt.Errorf("%d records cached, %d listed", len(c.entries), n)
	}
	return nil
}

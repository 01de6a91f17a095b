package cache

import (
	"context"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// UserSessions implements store.SessionLister from the wrapped store: a
// listing is rare and wants the store's view.
func (c *Store) UserSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error) {
	l, ok := c.Store.(store.SessionLister)
	if !ok {
		return nil, ErrUnsupported
	}
	return l.UserSessions(ctx, userID, now)
}

// ListUsers implements store.UserAdmin.
func (c *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	a, ok := c.Store.(store.UserAdmin)
	if !ok {
		return nil, ErrUnsupported
	}
	return a.ListUsers(ctx)
}

// UpdateUser implements store.UserAdmin by the wrapped store, whose one step
// checks for the last administrator and writes: accounts are never cached.
func (c *Store) UpdateUser(ctx context.Context, id string, ch store.UserChange) (store.User, bool, error) {
	a, ok := c.Store.(store.UserAdmin)
	if !ok {
		return store.User{}, false, ErrUnsupported
	}
	return a.UpdateUser(ctx, id, ch)
}

// CountSessions implements store.SessionCounter from the wrapped store.
func (c *Store) CountSessions(ctx context.Context, now time.Time) (int64, error) {
	sc, ok := c.Store.(store.SessionCounter)
	if !ok {
		return 0, ErrUnsupported
	}
	return sc.CountSessions(ctx, now)
}

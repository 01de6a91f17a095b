package cache

import (
	"context"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// The abilities the cache passes through untouched: counters change on
// every call and events are not records, so neither is kept here.
var (
	_ store.Counters = (*Store)(nil)
	_ store.Events   = (*Store)(nil)
)

func (c *Store) counters() (store.Counters, error) {
	k, ok := c.Store.(store.Counters)
	if !ok {
		return nil, ErrUnsupported
	}
	return k, nil
}

// Incr implements store.Counters (not cached).
func (c *Store) Incr(ctx context.Context, key string, ttl time.Duration, now time.Time) (int64, error) {
	k, err := c.counters()
	if err != nil {
		return 0, err
	}
	return k.Incr(ctx, key, ttl, now)
}

// Count implements store.Counters (not cached).
func (c *Store) Count(ctx context.Context, key string, now time.Time) (int64, time.Time, error) {
	k, err := c.counters()
	if err != nil {
		return 0, time.Time{}, err
	}
	return k.Count(ctx, key, now)
}

// ResetCounter implements store.Counters.
func (c *Store) ResetCounter(ctx context.Context, key string) error {
	k, err := c.counters()
	if err != nil {
		return err
	}
	return k.ResetCounter(ctx, key)
}

func (c *Store) events() (store.Events, error) {
	e, ok := c.Store.(store.Events)
	if !ok {
		return nil, ErrUnsupported
	}
	return e, nil
}

// Publish implements store.Events.
func (c *Store) Publish(ctx context.Context, e store.Event) error {
	ev, err := c.events()
	if err != nil {
		return err
	}
	return ev.Publish(ctx, e)
}

// Subscribe implements store.Events.
func (c *Store) Subscribe(ctx context.Context) (<-chan store.Event, error) {
	ev, err := c.events()
	if err != nil {
		return nil, err
	}
	return ev.Subscribe(ctx)
}

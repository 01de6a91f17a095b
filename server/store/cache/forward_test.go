package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/cache"
	"github.com/sessionguard/sessionguard/server/store/memory"
)

// bare is a store.Store and nothing more.
type bare struct{ store.Store }

func TestForwardUnsupported(t *testing.T) {
	c := cache.New(bare{memory.New()}, 0)
	now := time.Now()
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Incr", func(ctx context.Context) error { _, err := c.Incr(ctx, "k", time.Minute, now); return err }},
		{"Count", func(ctx context.Context) error { _, _, err := c.Count(ctx, "k", now); return err }},
		{"ResetCounter", func(ctx context.Context) error { return c.ResetCounter(ctx, "k") }},
		{"Publish", func(ctx context.Context) error {
			return c.Publish(ctx, store.Event{Type: store.EventRevoked, UserID: "alice", At: now})
		}},
		{"Subscribe", func(ctx context.Context) error {
			ch, err := c.Subscribe(ctx)
			assert.Nil(t, ch, "channel")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, tt.call(t.Context()), cache.ErrUnsupported)
		})
	}
}

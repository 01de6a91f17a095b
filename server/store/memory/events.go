package memory

import (
	"context"

	"github.com/sessionguard/sessionguard/server/store"
)

// Publish implements store.Events: the subscribers are those of this Store,
// in this process.
func (s *Store) Publish(ctx context.Context, e store.Event) error {
	return s.events.Publish(ctx, e)
}

// Subscribe implements store.Events. A subscription holds 256 events (bus.Buffer)
// that its reader has not taken, and misses the newest beyond them. With a
// done ctx it returns an error wrapping ctx.Err(); Close ends every
// subscription.
func (s *Store) Subscribe(ctx context.Context) (<-chan store.Event, error) {
	return s.events.Subscribe(ctx)
}

package bus_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/internal/bus"
)

// The rules of store.Events are checked by storetest through the stores
// that use a Bus; these are the Bus's own.

func TestCloseEndsEverySubscription(t *testing.T) {
	b := bus.New()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	subs := make([]<-chan store.Event, 3)
	for i := range subs {
		ch, err := b.Subscribe(ctx)
		require.NoError(t, err)
		subs[i] = ch
	}
	e := store.Event{Type: store.EventRevoked, UserID: "alice", At: time.Now()}
	require.NoError(t, b.Publish(t.Context(), e))

	b.Close()
	for i, ch := range subs {
		// Closed by Close itself, before it returns: no wait.
		var got []store.Event
		closed := false
	read:
		for {
			select {
			case e, ok := <-ch:
				if !ok {
					closed = true
					break read
				}
				got = append(got, e)
			default:
				break read
			}
		}
		assert.True(t, closed, "subscriber %d: open after Close", i)
		if assert.Len(t, got, 1, "subscriber %d: the event published before Close", i) {
			assert.Equal(t, "alice", got[0].UserID, "subscriber %d", i)
		}
	}

	cancel() // after Close: closes nothing twice
	b.Close()
	assert.ErrorIs(t, b.Publish(t.Context(), e), bus.ErrClosed, "Publish after Close")
	ch, err := b.Subscribe(t.Context())
	assert.ErrorIs(t, err, bus.ErrClosed, "Subscribe after Close")
	assert.Nil(t, ch)
}

func TestBufferIsWithinTheSuiteBounds(t *testing.T) {
	// storetest holds every store to 64 to 512 events.
	assert.GreaterOrEqual(t, bus.Buffer, 64)
	assert.LessOrEqual(t, bus.Buffer, 512)
}

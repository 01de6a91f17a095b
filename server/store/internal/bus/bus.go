// Package bus is store.Events within one process: the embedded stores
// (memory, sqlite) use it as their whole event bus, and a shared store can use
// it to fan the events of its one connection out to the subscribers of its
// process.
package bus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// Buffer is how many events a subscription holds for a reader that has not
// taken them. Beyond it, Publish drops the newest events for that
// subscriber: it receives the oldest ones, then the events published after
// it has made room.
const Buffer = 256

// ErrClosed is returned by Publish and Subscribe after Close.
var ErrClosed = errors.New("event bus closed")

// Bus is a store.Events whose subscribers are in this process. Publish never
// waits for a subscriber: a subscription whose Buffer is full misses the
// event. Events from one goroutine reach every subscriber in the order they
// were published.
//
// A Bus is safe for concurrent use. The zero value is not usable; create one
// with New.
type Bus struct {
	// mu is held for reading by Publish while it sends, and for writing by
	// whatever closes a channel, so that no send meets a closed channel.
	mu     sync.RWMutex
	subs   map[*subscription]struct{}
	closed bool
}

// subscription is one Subscribe call.
type subscription struct {
	ch   chan store.Event
	stop func() bool // unregisters the end-of-context callback
}

var _ store.Events = (*Bus)(nil)

// New returns a Bus without subscribers.
func New() *Bus {
	return &Bus{subs: make(map[*subscription]struct{})}
}

// Validate returns an error wrapping store.ErrInvalid when e breaks a rule of
// store.Event: an empty type or user id (a store.EventInvalidated may have
// either a user id or a session hash), or a session hash that is neither
// empty nor store.HashLen bytes.
func Validate(e store.Event) error {
	switch {
	case e.Type == "":
		return fmt.Errorf("%w: event without a type", store.ErrInvalid)
	case e.UserID == "" && (e.Type != store.EventInvalidated || len(e.SessionHash) == 0):
		return fmt.Errorf("%w: event without a user id", store.ErrInvalid)
	case len(e.SessionHash) != 0 && len(e.SessionHash) != store.HashLen:
		return fmt.Errorf("%w: event session hash of %d bytes, want %d", store.ErrInvalid, len(e.SessionHash), store.HashLen)
	}
	return nil
}

// Publish implements store.Events: it hands e to every subscription that
// has room, each with a copy of its SessionHash, and At in UTC.
func (b *Bus) Publish(ctx context.Context, e store.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := Validate(e); err != nil {
		return err
	}
	e.At = e.At.UTC()
	hash := e.SessionHash
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	for sub := range b.subs {
		e.SessionHash = clone(hash)
		select {
		case sub.ch <- e:
		default: // full: this subscriber loses e
		}
	}
	return nil
}

// Resync hands every subscription that has room a store.EventResync event
// (which no Publish may send: it has no user).
func (b *Bus) Resync(at time.Time) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return
	}
	for sub := range b.subs {
		select {
		case sub.ch <- store.Event{Type: store.EventResync, At: at.UTC()}:
		default:
		}
	}
}

// Subscribe implements store.Events. The subscription is live when it
// returns: every event published from then on reaches it, room permitting.
// With a done ctx it returns an error wrapping ctx.Err() and no channel.
func (b *Bus) Subscribe(ctx context.Context) (<-chan store.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sub := &subscription{ch: make(chan store.Event, Buffer)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	b.subs[sub] = struct{}{}
	// Runs at once, in a goroutine of its own, if ctx is done already; it
	// waits for mu, so it finds sub registered.
	sub.stop = context.AfterFunc(ctx, func() { b.end(sub) })
	return sub.ch, nil
}

// end closes the channel of sub unless it is closed already.
func (b *Bus) end(sub *subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[sub]; ok {
		delete(b.subs, sub)
		close(sub.ch)
	}
}

// Close ends every subscription, closing its channel, and makes later calls
// of Publish and Subscribe return ErrClosed. Closing again does nothing.
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for sub := range b.subs {
		sub.stop()
		delete(b.subs, sub)
		close(sub.ch)
	}
}

// clone returns a copy of h, nil when h is empty.
func clone(h []byte) []byte {
	if len(h) == 0 {
		return nil
	}
	return bytes.Clone(h)
}

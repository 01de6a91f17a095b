package relay_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/internal/relay"
)

// wait bounds every wait of these tests.
const wait = 5 * time.Second

// conn is one call of the fake Listen: the test drives it through do,
// whose functions run in the listening goroutine, as a backend's would.
type conn struct {
	ctx     context.Context
	live    func()
	deliver func([]byte)
	do      chan func()
	end     chan error
}

// fakeServer is a relay.Listen whose calls the test takes from conns.
type fakeServer struct {
	conns chan *conn
	calls atomic.Int32
}

func newFake() *fakeServer { return &fakeServer{conns: make(chan *conn)} }

func (f *fakeServer) listen(ctx context.Context, live func(), deliver func([]byte)) error {
	f.calls.Add(1)
	c := &conn{ctx: ctx, live: live, deliver: deliver, do: make(chan func()), end: make(chan error, 1)}
	select {
	case f.conns <- c:
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		select {
		case fn := <-c.do:
			fn()
		case err := <-c.end:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// next returns the next call of listen.
func (f *fakeServer) next(t *testing.T) *conn {
	t.Helper()
	select {
	case c := <-f.conns:
		return c
	case <-time.After(wait):
		t.Fatalf("listen not called within %v", wait)
		return nil
	}
}

// run runs fn in the listening goroutine.
func (c *conn) run(t *testing.T, fn func()) {
	t.Helper()
	select {
	case c.do <- fn:
	case <-time.After(wait):
		t.Fatalf("the listening goroutine does not run")
	}
}

func (c *conn) send(t *testing.T, e store.Event) {
	t.Helper()
	p, err := relay.Encode(e)
	require.NoError(t, err)
	c.run(t, func() { c.deliver(p) })
}

// subscribeAsync calls Subscribe in a goroutine of its own.
func subscribeAsync(ctx context.Context, r *relay.Relay) <-chan result {
	res := make(chan result, 1)
	go func() {
		ch, err := r.Subscribe(ctx)
		res <- result{ch, err}
	}()
	return res
}

type result struct {
	ch  <-chan store.Event
	err error
}

func get(t *testing.T, res <-chan result) result {
	t.Helper()
	select {
	case r := <-res:
		return r
	case <-time.After(wait):
		t.Fatalf("Subscribe has not returned after %v", wait)
		return result{}
	}
}

func receive(t *testing.T, ch <-chan store.Event) store.Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		require.True(t, ok, "the subscription ended")
		return e
	case <-time.After(wait):
		t.Fatalf("no event after %v", wait)
		return store.Event{}
	}
}

func event(user string) store.Event {
	return store.Event{Type: store.EventRevoked, UserID: user, At: time.Now()}
}

func TestSubscribeWaitsForListening(t *testing.T) {
	f := newFake()
	r := relay.New(f.listen, wait)
	t.Cleanup(r.Close)

	res := subscribeAsync(t.Context(), r)
	c := f.next(t)
	select {
	case got := <-res:
		t.Fatalf("Subscribe returned before the connection listened: %v", got.err)
	default:
	}
	assert.False(t, r.Listening(), "listening before live")
	c.run(t, c.live)
	sub := get(t, res)
	require.NoError(t, sub.err)
	assert.True(t, r.Listening(), "listening after live")

	c.send(t, event("alice"))
	assert.Equal(t, "alice", receive(t, sub.ch).UserID)
	c.run(t, func() { c.deliver([]byte("not an event")) })
	c.send(t, event("bob"))
	assert.Equal(t, "bob", receive(t, sub.ch).UserID, "after a payload that is not an event")

	// A second subscriber shares the connection.
	second := get(t, subscribeAsync(t.Context(), r))
	require.NoError(t, second.err)
	c.send(t, event("carol"))
	assert.Equal(t, "carol", receive(t, sub.ch).UserID)
	assert.Equal(t, "carol", receive(t, second.ch).UserID)
	select {
	case <-f.conns:
		t.Fatal("a second connection for a second subscriber")
	default:
	}
}

func TestReconnectKeepsSubscriptions(t *testing.T) {
	f := newFake()
	r := relay.New(f.listen, wait)
	t.Cleanup(r.Close)
	res := subscribeAsync(t.Context(), r)
	c := f.next(t)
	c.run(t, c.live)
	sub := get(t, res)
	require.NoError(t, sub.err)

	drop := errors.New("connection reset")
	c.end <- drop
	// At once after a connection that listened.
	start := time.Now()
	c = f.next(t)
	assert.Less(t, time.Since(start), relay.MinBackoff/2, "first attempt after a drop")
	assert.False(t, r.Listening(), "listening before the new connection is live")

	// A Subscribe meanwhile waits for the new connection.
	late := subscribeAsync(t.Context(), r)
	// Two attempts fail before they listen: each waits a back-off.
	for i := range 2 {
		c.end <- drop
		start = time.Now()
		c = f.next(t)
		assert.GreaterOrEqual(t, time.Since(start), relay.MinBackoff/2*time.Duration(1<<i), "back-off before attempt %d", i+2)
	}
	c.run(t, c.live)
	lateSub := get(t, late)
	require.NoError(t, lateSub.err)

	c.send(t, event("alice"))
	resync := receive(t, sub.ch)
	assert.Equal(t, store.EventResync, resync.Type, "a subscription across the drop hears that it may have missed events")
	assert.Empty(t, resync.UserID)
	assert.Equal(t, "alice", receive(t, sub.ch).UserID, "the first subscription, across the drop")
	assert.Equal(t, "alice", receive(t, lateSub.ch).UserID, "the subscription made while down has missed nothing")
}

func TestSubscribeTimesOut(t *testing.T) {
	f := newFake()
	const timeout = 100 * time.Millisecond
	r := relay.New(f.listen, timeout)
	t.Cleanup(r.Close)
	res := subscribeAsync(t.Context(), r)
	c := f.next(t)
	refused := errors.New("connection refused")
	c.end <- refused
	got := get(t, res)
	assert.ErrorIs(t, got.err, relay.ErrNotListening)
	assert.ErrorIs(t, got.err, refused, "the reason")
	assert.Nil(t, got.ch)

	// The relay keeps trying; once it listens, Subscribe succeeds.
	c = f.next(t)
	c.run(t, c.live)
	got = get(t, subscribeAsync(t.Context(), r))
	assert.NoError(t, got.err)
}

func TestSubscribeWithDoneContext(t *testing.T) {
	f := newFake()
	r := relay.New(f.listen, wait)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ch, err := r.Subscribe(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, ch)
	r.Close() // waits for a listening goroutine, had one started
	assert.Zero(t, f.calls.Load(), "calls of listen")
}

func TestSubscriptionEndsWithContext(t *testing.T) {
	f := newFake()
	r := relay.New(f.listen, wait)
	t.Cleanup(r.Close)
	ctx, cancel := context.WithCancel(t.Context())
	res := subscribeAsync(ctx, r)
	c := f.next(t)
	c.run(t, c.live)
	sub := get(t, res)
	require.NoError(t, sub.err)
	cancel()
	select {
	case _, ok := <-sub.ch:
		assert.False(t, ok, "an event after the end")
	case <-time.After(wait):
		t.Fatal("the channel is open after its context ended")
	}
	assert.NoError(t, c.ctx.Err(), "the connection ended with a subscriber")
}

func TestClose(t *testing.T) {
	f := newFake()
	r := relay.New(f.listen, wait)
	res := subscribeAsync(t.Context(), r)
	c := f.next(t)
	c.run(t, c.live)
	sub := get(t, res)
	require.NoError(t, sub.err)

	closed := make(chan struct{})
	go func() { r.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(wait):
		t.Fatal("Close has not returned")
	}
	assert.Error(t, c.ctx.Err(), "the connection's context after Close")
	_, ok := <-sub.ch
	assert.False(t, ok, "the channel is open after Close")
	_, err := r.Subscribe(t.Context())
	assert.ErrorIs(t, err, relay.ErrClosed)
	r.Close() // again: nothing happens

	// A relay that never listened closes too.
	relay.New(f.listen, wait).Close()
}

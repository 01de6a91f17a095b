package relay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/internal/bus"
)

// ErrNotListening is returned by Subscribe when the Relay's connection is
// not listening within the timeout: the server is away, or refuses.
var ErrNotListening = errors.New("not listening for events")

// ErrClosed is returned by Subscribe after Close.
var ErrClosed = bus.ErrClosed

// Listen is a backend's half of a Relay: it connects to the server,
// subscribes to the events' channel, calls live once the subscription is in
// place (every event published from then on reaches it), passes every
// payload it receives to deliver, in order, and returns when the connection
// fails, with the error, or when ctx ends. It must notice a connection that
// stops answering (by pinging an idle one), and return promptly when ctx
// ends. The Relay calls it from one goroutine.
type Listen func(ctx context.Context, live func(), deliver func(payload []byte)) error

// Relay delivers a shared store's events to this process's subscribers over
// one listening connection. It is safe for concurrent use. The zero value is
// not usable; create one with New.
type Relay struct {
	listen  Listen
	timeout time.Duration
	bus     *bus.Bus

	mu      sync.Mutex
	started bool
	closed  bool
	up      chan struct{} // closed while listening
	live    bool
	was     bool  // the connection listened before
	lastErr error // why the connection last failed
	cancel  context.CancelFunc
	done    chan struct{} // closed when the listening goroutine ends
}

// New returns a Relay that listens with listen, from the first Subscribe
// until Close. Subscribe waits at most timeout for the connection to listen.
func New(listen Listen, timeout time.Duration) *Relay {
	return &Relay{listen: listen, timeout: timeout, bus: bus.New(), up: make(chan struct{})}
}

// Subscribe implements store.Events.Subscribe: it returns once the Relay listens,
// so that every event published after it returns reaches the channel, which
// stays open across reconnections until ctx ends or Close. A subscription
// holds bus.Buffer events its reader has not taken. With a done ctx, it
// returns an error wrapping ctx.Err(); when the connection does not listen
// within the timeout, one wrapping ErrNotListening and the last connection
// error.
func (r *Relay) Subscribe(ctx context.Context) (<-chan store.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	up, err := r.start()
	if err != nil {
		return nil, err
	}
	t := time.NewTimer(r.timeout)
	defer t.Stop()
	select {
	case <-up:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		r.mu.Lock()
		last := r.lastErr
		r.mu.Unlock()
		if last == nil {
			return nil, fmt.Errorf("%w after %v", ErrNotListening, r.timeout)
		}
		return nil, fmt.Errorf("%w after %v: %w", ErrNotListening, r.timeout, last)
	}
	return r.bus.Subscribe(ctx)
}

// Listening reports whether the connection listens now.
func (r *Relay) Listening() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.live
}

// start starts the listening goroutine unless it runs, and returns the
// channel that is closed while it listens.
func (r *Relay) start() (<-chan struct{}, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	if !r.started {
		r.started = true
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel = cancel
		r.done = make(chan struct{})
		go r.run(ctx)
	}
	return r.up, nil
}

// run calls listen until ctx ends: at once after a connection that
// listened, after a growing back-off (backoff) after one that failed
// before it listened.
func (r *Relay) run(ctx context.Context) {
	defer close(r.done)
	for attempt := 0; ; attempt++ {
		if !sleep(ctx, backoff(attempt)) {
			return
		}
		listened := false
		err := r.listen(ctx, func() {
			listened = true
			r.setLive(true, nil)
		}, r.deliver)
		if err == nil {
			err = errors.New("listening ended")
		}
		r.setLive(false, err)
		if ctx.Err() != nil {
			return
		}
		if listened {
			attempt = -1
		}
	}
}

// setLive records whether the connection listens, and why not.
func (r *Relay) setLive(live bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.lastErr = err
	}
	switch {
	case live && !r.live:
		if r.was {
			// Listening again after a drop: what was published meanwhile is
			// lost, so the subscribers are told to read their state again.
			// Told before up is closed: a Subscribe that waited for it
			// starts after the drop and has missed nothing.
			r.bus.Resync(time.Now())
		}
		close(r.up)
		r.was = true
	case !live && r.live:
		r.up = make(chan struct{})
	}
	r.live = live
}

// deliver hands the event of payload to the subscribers; a payload that is
// not an event (a stranger's message on the channel) is dropped.
func (r *Relay) deliver(payload []byte) {
	e, err := Decode(payload)
	if err != nil {
		return
	}
	_ = r.bus.Publish(context.Background(), e) // fails only after Close
}

// Close stops listening, waits for the listening goroutine, and closes every
// subscriber's channel. Later calls of Subscribe return ErrClosed. Closing
// again does nothing.
func (r *Relay) Close() {
	r.mu.Lock()
	r.closed = true
	cancel, done := r.cancel, r.done
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	r.bus.Close()
}

package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// The bounds of a subscription's buffer: how many events it holds for a
// reader that has not taken them. A backend picks its size within them.
const (
	minEventBuffer = 64
	maxEventBuffer = 512
)

// eventWait bounds every wait of the suite for an event or for a channel to
// close, so that a backend that loses one fails rather than hangs.
const eventWait = 5 * time.Second

// runEvents covers store.Events one rule per subtest, within one store: the
// suite opens one store at a time, so delivery between instances is for the
// backends' own tests. The rules it pins where the interface's doc leaves
// room:
//   - Subscribe returns once the subscription is live: every event
//     published after it returns reaches it. Events published before are
//     not replayed.
//   - Events from one publisher (one goroutine) reach every subscriber in
//     the order they were published.
//   - A subscription holds at least minEventBuffer and at most
//     maxEventBuffer events that its reader has not taken. When it is full,
//     Publish does not wait: that subscriber misses the newest events (it
//     keeps the oldest), and gets the events published after it has made
//     room. Other subscribers are not slowed.
//   - Subscribe with a done ctx returns an error wrapping ctx.Err() and a
//     nil channel. When ctx ends later, the channel closes (after any events
//     it still holds).
//   - Publish returns ErrInvalid for an event without a type or user id, or
//     with a session hash that is neither empty nor store.HashLen bytes, and
//     sends nothing.
//   - Every subscriber gets its own copy of SessionHash, empty when the
//     event had none, and At in UTC to the millisecond.
func runEvents(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) { testEventRoundTrip(t, open) })

	t.Run("BurstInOrderToALateReader", func(t *testing.T) {
		e := openStore(t, open)
		ch := subscribe(t, e)
		t0 := epoch()
		// As many as a subscription must hold, before it reads any.
		for i := range minEventBuffer {
			publishEvent(t, e, numbered(i, t0))
		}
		for i := range minEventBuffer {
			want := numbered(i, t0)
			assertEvent(t, want, receive(t, ch), want.UserID)
		}
	})

	t.Run("EverySubscriberGetsEveryEvent", func(t *testing.T) {
		e := openStore(t, open)
		subs := []<-chan store.Event{subscribe(t, e), subscribe(t, e), subscribe(t, e)}
		t0 := epoch()
		const n = 10
		for i := range n {
			publishEvent(t, e, numbered(i, t0))
		}
		for s, ch := range subs {
			for i := range n {
				want := numbered(i, t0)
				assertEvent(t, want, receive(t, ch), fmt.Sprintf("subscriber %d: %s", s, want.UserID))
			}
		}
	})

	t.Run("NoSubscriberNoReplay", func(t *testing.T) {
		e := openStore(t, open)
		t0 := epoch()
		assert.NoError(t, e.Publish(t.Context(), newEvent("alice", t0)), "Publish without subscribers")

		ch := subscribe(t, e)
		marker := newEvent("marker", t0)
		publishEvent(t, e, marker)
		assertEvent(t, marker, receive(t, ch), "the first event after Subscribe")
	})

	t.Run("CancelClosesTheChannel", func(t *testing.T) {
		e := openStore(t, open)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		ended, err := e.Subscribe(ctx)
		require.NoError(t, err)
		kept := subscribe(t, e)
		t0 := epoch()
		before, after := newEvent("before", t0), newEvent("after", t0)

		publishEvent(t, e, before)
		cancel()
		held, closed := drain(ended, eventWait)
		require.True(t, closed, "the channel is open %v after its context ended", eventWait)
		for _, got := range held {
			assert.Equal(t, before.UserID, got.UserID, "held after the end")
		}
		_, ok := <-ended
		assert.False(t, ok, "the channel opened again")

		// The others carry on.
		publishEvent(t, e, after)
		assertEvent(t, before, receive(t, kept), "kept: before")
		assertEvent(t, after, receive(t, kept), "kept: after")
	})

	t.Run("SlowSubscriberDoesNotBlock", func(t *testing.T) { testSlowSubscriber(t, open) })

	t.Run("SessionHashIsCopied", func(t *testing.T) {
		e := openStore(t, open)
		a, b := subscribe(t, e), subscribe(t, e)
		ev := newEvent("alice", epoch())
		want := ev
		want.SessionHash = bytes.Clone(ev.SessionHash)

		publishEvent(t, e, ev)
		ev.SessionHash[0] ^= 0xff // the publisher reuses its slice
		gotA := receive(t, a)
		assertEvent(t, want, gotA, "a")
		gotA.SessionHash[1] ^= 0xff // a subscriber changes its copy
		assertEvent(t, want, receive(t, b), "b")
	})

	t.Run("Invalid", func(t *testing.T) {
		e := openStore(t, open)
		ch := subscribe(t, e)
		t0 := epoch()
		with := func(change func(*store.Event)) store.Event {
			ev := newEvent("alice", t0)
			change(&ev)
			return ev
		}
		tests := []struct {
			name string
			e    store.Event
		}{
			{"empty type", with(func(e *store.Event) { e.Type = "" })},
			{"empty user id", with(func(e *store.Event) { e.UserID = "" })},
			{"short session hash", with(func(e *store.Event) { e.SessionHash = e.SessionHash[:store.HashLen-1] })},
			{"long session hash", with(func(e *store.Event) { e.SessionHash = append(e.SessionHash, 0) })},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				assert.ErrorIs(t, e.Publish(t.Context(), tt.e), store.ErrInvalid)
			})
		}

		marker := newEvent("marker", t0)
		publishEvent(t, e, marker)
		assertEvent(t, marker, receive(t, ch), "the first event after the invalid ones")
	})

	t.Run("SubscribeWithDoneContext", func(t *testing.T) {
		e := openStore(t, open)
		for _, c := range doneContexts {
			t.Run(c.name, func(t *testing.T) {
				ch, err := e.Subscribe(c.ctx(t))
				assert.ErrorIs(t, err, c.want)
				assert.Nil(t, ch, "channel")
			})
		}
		// The store serves the next subscriber.
		ch := subscribe(t, e)
		want := newEvent("alice", epoch())
		publishEvent(t, e, want)
		assertEvent(t, want, receive(t, ch), "after")
	})

	t.Run("ConcurrentPublishSubscribeCancel", func(t *testing.T) { testEventsConcurrency(t, open) })
}

// testEventRoundTrip checks that every field of an event reaches a
// subscriber as it was published.
func testEventRoundTrip(t *testing.T, open func(t *testing.T) store.Store) {
	e := openStore(t, open)
	ch := subscribe(t, e)
	t0 := epoch()
	east := time.FixedZone("UTC+5", 5*60*60)
	tests := []struct {
		name string
		e    store.Event
	}{
		{"revoked, one session", store.Event{Type: store.EventRevoked, UserID: "alice", SessionHash: newHash(), At: t0}},
		{"revoked, every session of the user", store.Event{Type: store.EventRevoked, UserID: "alice", At: t0}},
		{"empty, not nil, session hash", store.Event{Type: store.EventRevoked, UserID: "alice", SessionHash: []byte{}, At: t0}},
		{"role changed", store.Event{Type: store.EventRoleChanged, UserID: "bob", At: t0.Add(time.Minute)}},
		{"refreshed", store.Event{Type: store.EventRefreshed, UserID: "carol", SessionHash: newHash(), At: t0.Add(time.Hour)}},
		// Between milliseconds, in a zone east of UTC: the store keeps at
		// least the millisecond and hands back UTC.
		{"time in another zone", store.Event{Type: store.EventRevoked, UserID: "dave", SessionHash: newHash(),
			At: t0.Add(123_456_789 * time.Nanosecond).In(east)}},
		{"user id with characters to escape", store.Event{Type: store.EventRevoked, UserID: "ключ \"'%\\\n{}", At: t0}},
		{"a type of the future", store.Event{Type: "role-changed-twice", UserID: "erin", At: t0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			publishEvent(t, e, tt.e)
			assertEvent(t, tt.e, receive(t, ch), "received")
		})
	}
}

// testSlowSubscriber checks that a subscriber that never reads neither
// blocks Publish nor slows another subscriber, holds a bounded number of
// the oldest events, and gets new events once it has made room.
func testSlowSubscriber(t *testing.T, open func(t *testing.T) store.Store) {
	const n = maxEventBuffer + 100
	e := openStore(t, open)
	slow, fast := subscribe(t, e), subscribe(t, e)
	t0 := epoch()
	// In step with the fast subscriber, so that only the slow one can
	// fall behind; publish fails the test if it waits for the slow one.
	for i := range n {
		want := numbered(i, t0)
		publishEvent(t, e, want)
		got := receive(t, fast)
		require.Equal(t, want.UserID, got.UserID, "fast subscriber")
	}

	held, closed := drain(slow, 0)
	require.False(t, closed, "the slow subscription ended")
	// A backend may still be handing over events; the marker comes after
	// them.
	marker := newEvent("marker", t0)
	publishEvent(t, e, marker)
	for {
		got := receive(t, slow)
		if got.UserID == marker.UserID {
			break
		}
		held = append(held, got)
	}

	// The slow subscriber keeps the oldest events, in order: 0, 1, … k-1.
	// A backend that hands events over from a goroutine of its own (the
	// shared stores' relay) may still have been offering the newest ones
	// when the reader made room: those came after it made room, so they
	// are allowed, newer than the kept ones and in order.
	idx := make([]int, len(held))
	for i, got := range held {
		var n int
		_, err := fmt.Sscanf(got.UserID, "user-%04d", &n)
		require.NoError(t, err, "held event %d: %q is not a published one", i, got.UserID)
		idx[i] = n
	}
	kept := 0
	for kept < len(idx) && idx[kept] == kept {
		kept++
	}
	assert.GreaterOrEqual(t, kept, minEventBuffer, "events held for the slow subscriber, the oldest in order: %v", idx)
	assert.LessOrEqual(t, kept, maxEventBuffer, "events held for the slow subscriber")
	for i := kept; i < len(idx); i++ {
		if !assert.Greater(t, idx[i], idx[i-1], "event %d after the kept ones: newer and in order (%v)", i, idx[kept:]) {
			break
		}
	}
}

// testEventsConcurrency runs publishers beside subscribers that come and go:
// under -race, no event reaches a closed channel, every cancelled
// subscription closes, and each publisher's events arrive in order.
func testEventsConcurrency(t *testing.T, open func(t *testing.T) store.Store) {
	const publishers, perPublisher, subscribers = 4, 100, 20
	e := openStore(t, open)
	t0 := epoch()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			<-start
			for i := range perPublisher {
				ev := newEvent(fmt.Sprintf("publisher-%d", p), t0.Add(time.Duration(i)*time.Millisecond))
				if !assert.NoError(t, e.Publish(t.Context(), ev), "Publish") {
					return
				}
			}
		})
	}
	for s := range subscribers {
		wg.Go(func() {
			<-start
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			ch, err := e.Subscribe(ctx)
			if !assert.NoError(t, err, "Subscribe") {
				return
			}
			got, _ := drain(ch, 0)
			cancel()
			rest, closed := drain(ch, eventWait)
			assert.True(t, closed, "subscriber %d: open %v after its context ended", s, eventWait)
			last := make(map[string]time.Time)
			for _, ev := range append(got, rest...) {
				assert.True(t, ev.At.After(last[ev.UserID]), "subscriber %d: %s out of order", s, ev.UserID)
				last[ev.UserID] = ev.At
			}
		})
	}
	close(start)
	wg.Wait()
}

// subscribe subscribes until the test ends, failing it on an error.
func subscribe(t *testing.T, e store.Events) <-chan store.Event {
	t.Helper()
	ch, err := e.Subscribe(t.Context())
	require.NoError(t, err, "Subscribe")
	require.NotNil(t, ch, "Subscribe: channel")
	return ch
}

// publishEvent publishes ev, failing the test on an error or when Publish
// has not returned after eventWait.
func publishEvent(t *testing.T, e store.Events, ev store.Event) {
	t.Helper()
	_, err := within(t, eventWait, func(ctx context.Context) error { return e.Publish(ctx, ev) })
	require.NoError(t, err, "Publish %s", ev.UserID)
}

// receive returns the next event of ch, failing the test when ch closes or
// has none after eventWait.
func receive(t *testing.T, ch <-chan store.Event) store.Event {
	t.Helper()
	timer := time.NewTimer(eventWait)
	defer timer.Stop()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("the subscription ended")
		}
		return ev
	case <-timer.C:
		t.Fatalf("no event after %v", eventWait)
		return store.Event{}
	}
}

// drain takes the events of ch until it closes, or until it has none for
// wait (at once when wait is 0), and reports whether it closed.
func drain(ch <-chan store.Event, wait time.Duration) (events []store.Event, closed bool) {
	var timeout <-chan time.Time
	if wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		timeout = timer.C
	}
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return events, true
			}
			events = append(events, ev)
			continue
		default:
		}
		if timeout == nil {
			return events, false
		}
		select {
		case ev, ok := <-ch:
			if !ok {
				return events, true
			}
			events = append(events, ev)
		case <-timeout:
			return events, false
		}
	}
}

// newEvent returns a revocation of one session of userID at t.
func newEvent(userID string, t time.Time) store.Event {
	return store.Event{Type: store.EventRevoked, UserID: userID, SessionHash: newHash(), At: t}
}

// numbered returns the i-th event of a sequence, told apart by its user id,
// the same every time.
func numbered(i int, t0 time.Time) store.Event {
	user := fmt.Sprintf("user-%04d", i)
	hash := sha256.Sum256([]byte(user))
	return store.Event{Type: store.EventRevoked, UserID: user, SessionHash: hash[:], At: t0.Add(time.Duration(i) * time.Millisecond)}
}

// assertEvent checks that got is want: SessionHash empty when want's is,
// At to the millisecond and in UTC.
func assertEvent(t *testing.T, want, got store.Event, msg string) {
	t.Helper()
	assert.Equal(t, want.Type, got.Type, "%s: Type", msg)
	assert.Equal(t, want.UserID, got.UserID, "%s: UserID", msg)
	if len(want.SessionHash) == 0 {
		assert.Empty(t, got.SessionHash, "%s: SessionHash", msg)
	} else {
		assert.Equal(t, want.SessionHash, got.SessionHash, "%s: SessionHash", msg)
	}
	assertTime(t, want.At, got.At, msg+": At")
}

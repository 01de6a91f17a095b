package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// eventPoll is how long RunEventsOutage waits for each of its probes
// before it publishes the next.
const eventPoll = 50 * time.Millisecond

// RunEventsOutage checks that a subscription outlives its server's
// outage. sub is a shared store whose server o takes away; pub is another
// store on the same server and namespace, reached without o (another
// instance). The outage lasts at least hold, long enough for sub to fail
// attempts to connect again. While the server is away, the subscription's
// channel stays open and sub's Publish fails rather than hang (within
// bound). Once it is
// back, events that pub publishes reach the same channel again, without a
// new Subscribe, within bound after the return, and in order. Events
// published in between may be lost. It logs how long after the return the
// first event arrived.
func RunEventsOutage(t *testing.T, sub, pub store.Events, o Outage, hold, bound time.Duration) {
	ch := subscribe(t, sub)
	t0 := epoch()
	before := newEvent("before", t0)
	publishEvent(t, pub, before)
	assertEvent(t, before, receive(t, ch), "before the outage")

	o.Cut()
	cut := time.Now()
	for time.Since(cut) < hold {
		took, err := within(t, bound, func(ctx context.Context) error { return sub.Publish(ctx, newEvent("cut", t0)) })
		if !assert.Error(t, err, "Publish while the server is away") {
			break
		}
		t.Logf("Publish failed after %v while the server was away: %v", took.Round(time.Millisecond), err)
	}
	publishEvent(t, pub, newEvent("during", t0)) // lost, or delivered late: either is allowed
	_, closed := drain(ch, 0)
	require.False(t, closed, "the subscription ended in the outage")

	o.Restore()
	back := time.Now()
	t.Logf("the server was away for %v", back.Sub(cut).Round(time.Millisecond))
	// Probes, until one arrives: those published before sub listens again
	// are lost.
	var (
		first    store.Event
		probes   int
		resynced bool
	)
	for first.UserID == "" {
		if time.Since(back) > bound {
			t.Fatalf("no event %v after the server came back (%d probes published)", bound, probes)
		}
		publishEvent(t, pub, newEvent(fmt.Sprintf("probe-%04d", probes), t0))
		probes++
		timer := time.NewTimer(eventPoll)
		select {
		case e, ok := <-ch:
			require.True(t, ok, "the subscription ended after the outage")
			switch {
			case e.Type == store.EventResync:
				resynced = true
			case e.UserID != "during":
				first = e
			}
		case <-timer.C:
		}
		timer.Stop()
	}
	t.Logf("events flow again %v after the server came back (%d probes published)", time.Since(back).Round(time.Millisecond), probes)
	require.True(t, strings.HasPrefix(first.UserID, "probe-"), "first event after the outage: %q", first.UserID)
	assert.True(t, resynced, "the subscriber heard that events may have been lost (store.EventResync)")

	// The probes after the first arrive, in order, then the next event.
	after := newEvent("after", t0)
	publishEvent(t, pub, after)
	last := first.UserID
	for {
		e := receive(t, ch)
		if e.UserID == after.UserID {
			assertEvent(t, after, e, "after the outage")
			break
		}
		require.True(t, strings.HasPrefix(e.UserID, "probe-"), "an event after the outage: %q", e.UserID)
		require.Greater(t, e.UserID, last, "probes out of order")
		last = e.UserID
	}
}

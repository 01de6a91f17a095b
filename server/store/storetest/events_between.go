package storetest

import (
	"testing"

	"github.com/sessionguard/sessionguard/server/store"
)

// RunEventsBetween checks what the suite (one store at a time) cannot: that
// the events of a shared backend reach every store on the same server and
// namespace, and no other. a and b are two stores, as two instances open
// them, on one server and one namespace (schema, key prefix); other is on
// the same server in another namespace.
func RunEventsBetween(t *testing.T, a, b, other store.Events) {
	subA, subB, subOther := subscribe(t, a), subscribe(t, b), subscribe(t, other)
	t0 := epoch()

	fromA, fromB := newEvent("from-a", t0), newEvent("from-b", t0)
	publishEvent(t, a, fromA)
	publishEvent(t, b, fromB)
	for name, ch := range map[string]<-chan store.Event{"a": subA, "b": subB} {
		assertEvent(t, fromA, receive(t, ch), name+": the event from a")
		assertEvent(t, fromB, receive(t, ch), name+": the event from b")
	}

	// The other namespace heard neither: its own event, published after
	// them, is the first it gets.
	own := newEvent("own", t0)
	publishEvent(t, other, own)
	assertEvent(t, own, receive(t, subOther), "other namespace: the first event")

	// And a and b do not hear it: a's next event is one of theirs.
	next := newEvent("next", t0)
	publishEvent(t, b, next)
	assertEvent(t, next, receive(t, subA), "a: the first event after the other namespace's")
}

package store

import (
	"context"
	"time"
)

// Event is a change to sessions that open pages must learn of at once: a
// session ended, a user's sessions all ended, a role changed, a session
// refreshed elsewhere.
type Event struct {
	// Type is one of the Event* constants.
	Type string
	// UserID is the user the event is about; always set.
	UserID string
	// SessionHash names one session (its IDHash); empty when the event is
	// about every session of the user.
	SessionHash []byte
	// At is when it happened.
	At time.Time
}

// The event types.
const (
	EventRevoked     = "revoked"      // the session (or all of the user's) ended
	EventRoleChanged = "role-changed" // the user's role changed; sessions were rotated
	EventRefreshed   = "refreshed"    // the session got new tokens elsewhere
)

// Events carries events between the server instances that share a store:
// in-process for the embedded stores, PostgreSQL LISTEN/NOTIFY and Redis
// pub/sub for the shared ones. Delivery is best effort and at most once:
// an event published while a subscriber is disconnected is lost (pages
// re-check the session when their stream reconnects).
type Events interface {
	// Publish sends e to every subscriber of every instance, this one
	// included.
	Publish(ctx context.Context, e Event) error
	// Subscribe delivers events until ctx ends, then closes the channel. A
	// subscriber that does not keep up loses events rather than blocking
	// publishers. The error is for a subscription that could not start.
	Subscribe(ctx context.Context) (<-chan Event, error)
}

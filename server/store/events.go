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
	// UserID is the user the event is about; always set (except in an
	// EventInvalidated that names a record by SessionHash).
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
	// EventTwoFactorChanged: the user's second factor was turned on or
	// off (on another device, perhaps).
	EventTwoFactorChanged = "two-factor-changed"
	// EventSessionStarted: a session of the user began (SessionHash names
	// it), so the device lists of the user's other pages are out of date.
	EventSessionStarted = "session-started"
	// EventResync is never published: a shared backend hands it to its own
	// subscribers when its connection listens again after a drop, because
	// events published meanwhile are lost. It has no UserID; it concerns
	// every session, whose holders should read their state again.
	EventResync = "resync"
	// EventInvalidated and EventHeartbeat are what the caches of the
	// instances that share a store (package cache) send each other; pages
	// and services never see them. EventInvalidated says that copies of a
	// record are out of date: SessionHash names a session record or a
	// deny-list entry (by the SHA-256 of its id), UserID every record of
	// that user; either may be empty, not both. EventHeartbeat carries an
	// instance's name in UserID and its send time in At.
	EventInvalidated = "cache-invalidated"
	EventHeartbeat   = "cache-heartbeat"
)

// CacheEvent reports whether typ is one of the events the caches send each
// other (EventInvalidated, EventHeartbeat), which subscribers other than the
// caches skip.
func CacheEvent(typ string) bool {
	return typ == EventInvalidated || typ == EventHeartbeat
}

// Events carries events between the server instances that share a store:
// in-process for the embedded stores, PostgreSQL LISTEN/NOTIFY and Redis
// pub/sub for the shared ones. Delivery is best effort and at most once:
// an event published while a subscriber is disconnected is lost (pages
// re-check the session when their stream reconnects).
type Events interface {
	// Publish sends e to every subscriber of every instance, this one
	// included, and never waits for a slow one. An empty Type or UserID, or
	// a SessionHash that is neither empty nor HashLen bytes, is ErrInvalid.
	Publish(ctx context.Context, e Event) error
	// Subscribe delivers the events published after it returns (no replay),
	// one publisher's in order, until ctx ends; then it closes the channel
	// after the events it still holds. Each subscription buffers between 64
	// and 512 unread events; when it is full the newest are dropped for it
	// alone. A done ctx gives an error wrapping ctx.Err() and a nil channel;
	// other errors are for a subscription that could not start.
	Subscribe(ctx context.Context) (<-chan Event, error)
}

package wire

// StreamEvent is the data of an event on the live stream of GET
// PathEvents; the event's name is its type ("ready", "revoked", "expired",
// "role-changed", "refreshed", "sessions-changed", "two-factor-changed",
// "stale"). Times are in TimeFormat.
type StreamEvent struct {
	Type string `json:"type"`
	At   string `json:"at"`
	// Expires is the session's expiry, on the events after which it goes
	// on ("ready", "refreshed", "sessions-changed").
	Expires string `json:"expires,omitempty"`
}

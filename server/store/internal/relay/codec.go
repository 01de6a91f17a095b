package relay

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/internal/bus"
)

// payload is an event as it travels between instances: JSON, with the
// session hash as lower-case hex (as the stores name sessions in keys and
// logs) and the time in RFC 3339 with nanoseconds, UTC.
type payload struct {
	Type    string    `json:"type"`
	User    string    `json:"user"`
	Session string    `json:"session,omitempty"`
	At      time.Time `json:"at"`
}

// Encode returns the payload of e. It returns an error wrapping
// store.ErrInvalid when e breaks a rule of store.Event (bus.Validate) or its
// time cannot be written (a year outside 0 to 9999).
func Encode(e store.Event) ([]byte, error) {
	if err := bus.Validate(e); err != nil {
		return nil, err
	}
	b, err := json.Marshal(payload{Type: e.Type, User: e.UserID, Session: hex.EncodeToString(e.SessionHash), At: e.At.UTC()})
	if err != nil {
		return nil, fmt.Errorf("%w: event: %w", store.ErrInvalid, err)
	}
	return b, nil
}

// Decode reads a payload written by Encode. It returns an error for
// anything else: a payload that is not such JSON, or whose event breaks a
// rule of store.Event (a stranger's message on the same channel).
func Decode(b []byte) (store.Event, error) {
	var p payload
	if err := json.Unmarshal(b, &p); err != nil {
		return store.Event{}, fmt.Errorf("event payload: %w", err)
	}
	hash, err := hex.DecodeString(p.Session)
	if err != nil {
		return store.Event{}, fmt.Errorf("event payload: session: %w", err)
	}
	e := store.Event{Type: p.Type, UserID: p.User, At: p.At.UTC()}
	if len(hash) > 0 {
		e.SessionHash = hash
	}
	if err := bus.Validate(e); err != nil {
		return store.Event{}, fmt.Errorf("event payload: %w", err)
	}
	return e, nil
}

package relay_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/internal/relay"
)

func TestCodecRoundTrip(t *testing.T) {
	hash := []byte(strings.Repeat("h", store.HashLen))
	at := time.Date(2026, 1, 2, 3, 4, 5, 123_456_789, time.FixedZone("UTC+5", 5*60*60))
	tests := []struct {
		name string
		e    store.Event
	}{
		{"one session", store.Event{Type: store.EventRevoked, UserID: "alice", SessionHash: hash, At: at}},
		{"every session", store.Event{Type: store.EventRevoked, UserID: "alice", At: at}},
		{"empty hash", store.Event{Type: store.EventRefreshed, UserID: "alice", SessionHash: []byte{}, At: at}},
		{"zero time", store.Event{Type: store.EventRoleChanged, UserID: "bob"}},
		{"characters to escape", store.Event{Type: "x", UserID: "ключ \"'%\\\n{}\u2028", At: at}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := relay.Encode(tt.e)
			require.NoError(t, err)
			got, err := relay.Decode(p)
			require.NoError(t, err, "%s", p)
			assert.Equal(t, tt.e.Type, got.Type)
			assert.Equal(t, tt.e.UserID, got.UserID)
			if len(tt.e.SessionHash) == 0 {
				assert.Nil(t, got.SessionHash)
			} else {
				assert.Equal(t, tt.e.SessionHash, got.SessionHash)
			}
			assert.True(t, tt.e.At.Equal(got.At), "At %v, want %v", got.At, tt.e.At)
			assert.Equal(t, time.UTC, got.At.Location())
		})
	}
}

func TestEncodeInvalid(t *testing.T) {
	tests := []struct {
		name string
		e    store.Event
	}{
		{"no type", store.Event{UserID: "alice"}},
		{"no user", store.Event{Type: store.EventRevoked}},
		{"short hash", store.Event{Type: store.EventRevoked, UserID: "alice", SessionHash: []byte("short")}},
		{"year past 9999", store.Event{Type: store.EventRevoked, UserID: "alice", At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := relay.Encode(tt.e)
			assert.ErrorIs(t, err, store.ErrInvalid)
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct{ name, payload string }{
		{"empty", ``},
		{"not JSON", `revoked alice`},
		{"not an object", `"revoked"`},
		{"no type", `{"user":"alice","at":"2026-01-02T03:04:05Z"}`},
		{"no user", `{"type":"revoked","at":"2026-01-02T03:04:05Z"}`},
		{"session not hex", `{"type":"revoked","user":"alice","session":"zz","at":"2026-01-02T03:04:05Z"}`},
		{"session too short", `{"type":"revoked","user":"alice","session":"abcd","at":"2026-01-02T03:04:05Z"}`},
		{"bad time", `{"type":"revoked","user":"alice","at":"yesterday"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := relay.Decode([]byte(tt.payload))
			assert.Error(t, err)
		})
	}
}

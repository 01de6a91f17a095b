package wire_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wire"
)

// The shapes are written as the server has always written them, byte for
// byte: members in this order, and the optional ones left out when empty.
func TestShapesEncodeAsTheContractSays(t *testing.T) {
	yes, no, admin := true, false, wire.RoleAdmin
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"device", wire.Device{Handle: "h", Device: "Chrome on Linux", UserAgent: "UA", ClientAddr: "::1", CreatedAt: "2026-11-23T16:11:44Z", LastSeen: "2026-11-23T16:12:00Z", Expires: "2026-11-23T16:41:44Z", Current: true},
			`{"handle":"h","device":"Chrome on Linux","userAgent":"UA","clientAddr":"::1","createdAt":"2026-11-23T16:11:44Z","lastSeen":"2026-11-23T16:12:00Z","expires":"2026-11-23T16:41:44Z","current":true}`},
		{"devices", wire.DevicesResponse{Sessions: []wire.Device{}}, `{"sessions":[]}`},
		{"account", wire.Account{ID: "u1", Email: "a@example.com", Name: "A", Role: wire.RoleUser, Disabled: false, CreatedAt: "2026-11-23T16:00:00Z"},
			`{"id":"u1","email":"a@example.com","name":"A","role":"user","disabled":false,"createdAt":"2026-11-23T16:00:00Z"}`},
		{"accounts", wire.AccountsResponse{Users: []wire.Account{}}, `{"users":[]}`},
		{"end one of mine", wire.RevokeResponse{Revoked: 1, Current: &no}, `{"current":false,"revoked":1}`},
		{"end this one", wire.RevokeResponse{Revoked: 1, Current: &yes}, `{"current":true,"revoked":1}`},
		{"end others", wire.RevokeResponse{Revoked: 3}, `{"revoked":3}`},
		{"end all of a user's", wire.RevokeResponse{Revoked: "all"}, `{"revoked":"all"}`},
		{"role change", wire.UpdateUserRequest{Role: &admin}, `{"role":"admin"}`},
		{"disable", wire.UpdateUserRequest{Disabled: &yes}, `{"disabled":true}`},
		{"password", wire.ChangePasswordRequest{CurrentPassword: "a", NewPassword: "b"}, `{"currentPassword":"a","newPassword":"b"}`},
		{"stream event", wire.StreamEvent{Type: "ready", At: "2026-11-23T16:11:44Z", Expires: "2026-11-23T16:41:44Z"},
			`{"type":"ready","at":"2026-11-23T16:11:44Z","expires":"2026-11-23T16:41:44Z"}`},
		{"stream event without expiry", wire.StreamEvent{Type: "revoked", At: "2026-11-23T16:11:44Z"}, `{"type":"revoked","at":"2026-11-23T16:11:44Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(b))
		})
	}
}

package client_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

func TestDecodeSession(t *testing.T) {
	exp := wireTime(time.Date(2026, 11, 23, 16, 41, 44, 0, time.UTC))
	tests := []struct {
		name string
		json string
		want *wire.Session
		bad  bool
	}{
		{"null", `null`, nil, false},
		{"full", `{"user":{"id":"1","email":"e@x","name":"N","role":"user"},"expires":"2026-11-23T16:41:44Z"}`,
			&wire.Session{User: wire.User{ID: "1", Email: "e@x", Name: "N", Role: "user"}, Expires: exp}, false},
		{"offset is made UTC", `{"user":{"id":"1","role":"admin"},"expires":"2026-11-23T17:41:44+01:00"}`,
			&wire.Session{User: wire.User{ID: "1", Role: "admin"}, Expires: exp}, false},
		{"extra fields", `{"user":{"id":"1","role":"user","x":1},"expires":"2026-11-23T16:41:44Z","y":[]}`,
			&wire.Session{User: wire.User{ID: "1", Role: "user"}, Expires: exp}, false},
		{"no user", `{"expires":"2026-11-23T16:41:44Z"}`, nil, true},
		{"user not object", `{"user":"me","expires":"2026-11-23T16:41:44Z"}`, nil, true},
		{"empty id", `{"user":{"id":"","role":"user"},"expires":"2026-11-23T16:41:44Z"}`, nil, true},
		{"numeric id", `{"user":{"id":1,"role":"user"},"expires":"2026-11-23T16:41:44Z"}`, nil, true},
		{"no role", `{"user":{"id":"1"},"expires":"2026-11-23T16:41:44Z"}`, nil, true},
		{"no expires", `{"user":{"id":"1","role":"user"}}`, nil, true},
		{"bad expires", `{"user":{"id":"1","role":"user"},"expires":"tomorrow"}`, nil, true},
		{"not an object", `[1]`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := client.DecodeSession(mustValue(tt.json))
			if tt.bad {
				assert.ErrorIs(t, err, client.ErrBadSession)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		name string
		json string
		want wire.Config
		bad  bool
	}{
		{"full", `{"publicPaths":["/","/public"],"adminPaths":["/admin/*"],"signInPath":"/","maxAge":1800}`,
			wire.Config{PublicPaths: []string{"/", "/public"}, AdminPaths: []string{"/admin/*"}, SignInPath: "/", MaxAge: 1800}, false},
		{"empty lists", `{"publicPaths":[],"adminPaths":[]}`, wire.Config{PublicPaths: []string{}, AdminPaths: []string{}}, false},
		{"missing lists", `{}`, wire.Config{}, false},
		{"list of numbers", `{"publicPaths":[1]}`, wire.Config{}, true},
		{"string list", `{"publicPaths":"/"}`, wire.Config{}, true},
		{"null", `null`, wire.Config{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := client.DecodeConfig(mustValue(tt.json))
			if tt.bad {
				assert.ErrorIs(t, err, client.ErrBadConfig)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// runDevices checks that a session's device fields, ClientAddr and
// UserAgent, come back byte for byte from every read of the session
// (Session, and UserSessions of store.SessionLister) and stay through a
// touch. A user agent of store.MaxUserAgentLen bytes is kept whole.
func runDevices(t *testing.T, open func(t *testing.T) store.Store) {
	// A user agent of exactly MaxUserAgentLen bytes, with characters of two
	// and three bytes in UTF-8, so that a store that counts characters
	// instead of bytes, or keeps a byte fewer, shows it.
	longUA := "Mozilla/5.0 (Ünïcödé; “quoted”) "
	longUA += strings.Repeat("x", store.MaxUserAgentLen-len(longUA)-1) + "!"
	require.Len(t, longUA, store.MaxUserAgentLen, "the test's user agent")

	tests := []struct {
		name       string
		clientAddr string
		userAgent  string
	}{
		{"IPv4 and a browser", "203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"},
		{"IPv6", "2001:db8::7", "curl/8.5.0"},
		{"link-local IPv6 with a zone", "fe80::1%eth0", "Go-http-client/1.1"},
		{"empty", "", ""},
		{"user agent of MaxUserAgentLen bytes", "198.51.100.1", longUA},
		{"quotes, backslashes and punctuation", "192.0.2.1", `a "b" \c\ 'd' ; e=f, {g} <h> %i`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, open)
			t0 := epoch()
			want := newSession("alice", t0)
			want.ClientAddr, want.UserAgent = tt.clientAddr, tt.userAgent
			other := newSession("alice", t0.Add(-time.Minute))
			create(t, s, want, other)

			assertSession(t, want, mustFind(t, s, want.IDHash, t0))
			list, err := s.UserSessions(t.Context(), "alice", t0)
			require.NoError(t, err)
			require.Len(t, list, 2)
			assertSession(t, want, list[0])
			assertSession(t, other, list[1])

			// A touch changes the idle expiry and nothing else.
			want.Expires = t0.Add(2 * idle)
			touch(t, s, want.IDHash, want.Expires)
			got := mustFind(t, s, want.IDHash, t0)
			assertSession(t, want, got)
			assert.Len(t, got.UserAgent, len(tt.userAgent), "UserAgent: bytes")
			list, err = s.UserSessions(t.Context(), "alice", t0)
			require.NoError(t, err)
			require.Len(t, list, 2)
			assertSession(t, want, list[0])
		})
	}
}

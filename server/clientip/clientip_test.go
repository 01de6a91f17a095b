package clientip_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/clientip"
)

func TestAddr(t *testing.T) {
	r, err := clientip.New("10.0.0.0/8, 127.0.0.1, ::1")
	require.NoError(t, err)
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer, header ignored", "203.0.113.9:1", []string{"1.2.3.4"}, "203.0.113.9"},
		{"trusted proxy, one hop", "10.1.2.3:1", []string{"198.51.100.7"}, "198.51.100.7"},
		{"a client cannot choose its address", "10.1.2.3:1", []string{"6.6.6.6, 198.51.100.7"}, "198.51.100.7"},
		{"two trusted proxies", "127.0.0.1:1", []string{"198.51.100.7, 10.9.9.9"}, "198.51.100.7"},
		{"several header lines", "10.1.2.3:1", []string{"6.6.6.6", "198.51.100.7"}, "198.51.100.7"},
		{"only proxies", "10.1.2.3:1", []string{"10.4.4.4"}, "10.4.4.4"},
		{"no header", "10.1.2.3:1", nil, "10.1.2.3"},
		{"garbage stops the walk", "10.1.2.3:1", []string{"198.51.100.7, junk"}, "10.1.2.3"},
		{"ipv6 peer", "[::1]:1", []string{"2001:db8::5"}, "2001:db8::5"},
		{"mapped v4", "[::ffff:10.1.2.3]:1", []string{"198.51.100.7"}, "198.51.100.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			assert.Equal(t, tt.want, r.Addr(req))
		})
	}
	var zero *clientip.Resolver
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.1.2.3:9"
	req.Header.Set("X-Forwarded-For", "1.2.3.4")
	assert.Equal(t, "10.1.2.3", zero.Addr(req), "a nil Resolver trusts nobody")

	_, err = clientip.New("not-an-ip")
	assert.Error(t, err)
}

// TestAddrCanonical: an untrusted peer's address comes back in one
// spelling, the one netip gives, whatever RemoteAddr holds, and the
// common case (RemoteAddr already spelt so) costs no allocation.
func TestAddrCanonical(t *testing.T) {
	var r clientip.Resolver
	for peer, want := range map[string]string{
		"203.0.113.9:1":                     "203.0.113.9",
		"[2001:db8::5]:1":                   "2001:db8::5",
		"[2001:DB8:0:0::5]:1":               "2001:db8::5",
		"[::ffff:203.0.113.9]:1":            "203.0.113.9",
		"[fe80::1%eth0]:1":                  "fe80::1%eth0",
		"[2001:0db8:0000:0000:0000::5]:443": "2001:db8::5",
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = peer
		assert.Equal(t, want, r.Addr(req), peer)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "203.0.113.9:4711"
	assert.Zero(t, testing.AllocsPerRun(10, func() { r.Addr(req) }))
}

// Package clientip finds a request's client address for rate limits, device
// lists and security events. Behind a reverse proxy every request comes from
// the proxy, so the proxy's X-Forwarded-For header is believed — but only
// from peers listed as trusted proxies, and only the rightmost address that
// no trusted proxy added, so a client cannot choose its own address by
// sending the header itself.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds client addresses. The zero value trusts no proxy and
// returns the peer address. A Resolver is safe for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver trusting the proxies in list: comma-separated IP
// addresses or CIDR prefixes, such as "10.0.0.0/8, 127.0.0.1".
func New(list string) (*Resolver, error) {
	r := &Resolver{}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			r.trusted = append(r.trusted, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an IP address or a CIDR prefix", item)
		}
		r.trusted = append(r.trusted, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return r, nil
}

func (r *Resolver) isTrusted(a netip.Addr) bool {
	if r == nil {
		return false
	}
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr returns the client's IP address as text: the peer's, or when the
// peer is a trusted proxy, the rightmost X-Forwarded-For entry that is not
// a trusted proxy (a malformed entry stops the walk and the last good one
// is used).
func (r *Resolver) Addr(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !r.isTrusted(peer) {
		return text(peer, host)
	}
	client := peer
	hops := req.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return client.String()
			}
			client = a.Unmap()
			if !r.isTrusted(client) {
				return client.String()
			}
		}
	}
	return client.String()
}

// text returns a.String(), or host when that is the same text: every
// request asks for its client's address, and host (a part of RemoteAddr)
// then costs no allocation.
func text(a netip.Addr, host string) string {
	var buf [64]byte
	if string(a.AppendTo(buf[:0])) == host {
		return host
	}
	return a.String()
}

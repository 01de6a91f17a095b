package auth

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// ErrBadHost is returned by New for an AllowedHosts entry that is not a
// host name or address with an optional port.
var ErrBadHost = errors.New("bad allowed host")

// hostList is the parsed AllowedHosts: names (lower case, without a
// trailing dot) that match on any port, and name:port pairs that match
// that port only. An empty hostList allows every Host.
type hostList struct {
	anyPort  map[string]bool
	withPort map[string]bool
}

// parseHosts reads AllowedHosts entries such as "app.example.com",
// "app.example.com:8443", "127.0.0.1:8080" or "[::1]:8080".
func parseHosts(entries []string) (hostList, error) {
	var l hostList
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if strings.ContainsAny(e, "/@?#*, \t") {
			return hostList{}, fmt.Errorf("%w %q: want host or host:port", ErrBadHost, e)
		}
		host, port, ok := splitHost(e)
		if !ok || host == "" {
			return hostList{}, fmt.Errorf("%w %q: want host or host:port", ErrBadHost, e)
		}
		if port == "" {
			if l.anyPort == nil {
				l.anyPort = map[string]bool{}
			}
			l.anyPort[host] = true
			continue
		}
		if l.withPort == nil {
			l.withPort = map[string]bool{}
		}
		l.withPort[net.JoinHostPort(host, port)] = true
	}
	return l, nil
}

// splitHost splits a Host header value or an entry into its lower-case
// name (brackets and a trailing dot removed) and its port ("" without one).
// A bare IPv6 address (several colons, no brackets) has no port.
func splitHost(h string) (host, port string, ok bool) {
	hasPort := false
	switch {
	case strings.HasPrefix(h, "["):
		i := strings.IndexByte(h, ']')
		if i < 0 {
			return "", "", false
		}
		host, rest := h[1:i], h[i+1:]
		if rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return "", "", false
			}
			port, hasPort = rest[1:], true
		}
		h = host
	case strings.Count(h, ":") == 1:
		h, port, hasPort = strings.Cut(h, ":")
	}
	if hasPort && (port == "" || strings.Trim(port, "0123456789") != "") {
		return "", "", false
	}
	return strings.ToLower(strings.TrimSuffix(h, ".")), port, true
}

// allows reports whether a request for the Host header value h may be
// answered.
func (l hostList) allows(h string) bool {
	if len(l.anyPort) == 0 && len(l.withPort) == 0 {
		return true
	}
	host, port, ok := splitHost(h)
	if !ok || host == "" {
		return false
	}
	if l.anyPort[host] {
		return true
	}
	return port != "" && l.withPort[net.JoinHostPort(host, port)]
}

// checkHost answers 421 Misdirected Request, before anything else runs, to
// a request whose Host is not in AllowedHosts: a page of another name that
// resolves to this server (DNS rebinding) cannot talk to it with the
// browser's cookies for this one.
func (s *Server) checkHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hosts.allows(r.Host) {
			s.fail(w, r, errMisdirected)
			return
		}
		h.ServeHTTP(w, r)
	})
}

package testenv

import (
	"net"
	"net/url"
	"testing"

	"github.com/sessionguard/sessionguard/internal/faultproxy"
)

// Proxy is a TCP proxy on 127.0.0.1 in front of one server, for tests of what
// a client does when the server stops answering: a faultproxy.Proxy (Cut,
// Restore, Close) that closes when its test ends. Build one with NewProxy.
type Proxy struct {
	*faultproxy.Proxy
}

// NewProxy starts a proxy on 127.0.0.1:0 that forwards to target (host:port)
// and closes it when tb ends.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	p, err := faultproxy.New(target)
	if err != nil {
		tb.Fatalf("proxy: %v", err)
	}
	tb.Cleanup(p.Close)
	return &Proxy{p}
}

// URL returns rawURL with its host and port replaced by the proxy's, so that
// a client of the URL connects through the proxy. It fails tb when rawURL is
// not a URL with a host.
func (p *Proxy) URL(tb testing.TB, rawURL string) string {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		tb.Fatalf("proxy: %q is not a URL with a host (key=value DSNs are not supported here)", rawURL)
	}
	u.Host = p.Addr()
	return u.String()
}

// HostPort returns the host:port of the server that rawURL names, with the
// default port of its scheme (postgres, postgresql, redis, rediss) when it
// names none. It fails tb when rawURL is not a URL with a host.
func HostPort(tb testing.TB, rawURL string) string {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		tb.Fatalf("proxy: %q is not a URL with a host (key=value DSNs are not supported here)", rawURL)
	}
	if u.Port() != "" {
		return u.Host
	}
	port := map[string]string{"postgres": "5432", "postgresql": "5432", "redis": "6379", "rediss": "6379"}[u.Scheme]
	if port == "" {
		tb.Fatalf("proxy: %q names no port, and %q has no default", rawURL, u.Scheme)
	}
	return net.JoinHostPort(u.Hostname(), port)
}

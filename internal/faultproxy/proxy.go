// Package faultproxy is a TCP proxy in front of one server that can take
// the server away and bring it back: the store outages of the integration
// tests and of the soak (internal/soak). It has no test dependencies.
package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy is a TCP proxy on 127.0.0.1 in front of one server, for tests of what
// a client does when the server stops answering (the integration tests and
// the soak, internal/soak). While restored it forwards
// every connection; Cut closes the connections it forwards and holds new ones
// open without a byte of answer, as a server behind a dropped network does.
//
// A Proxy is safe for concurrent use. Build one with New.
type Proxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu     sync.Mutex
	cut    bool
	closed bool
	conns  map[net.Conn]struct{} // both ends of forwarded connections
	held   map[net.Conn]struct{} // accepted while cut, never answered
}

// dialTimeout bounds the proxy's connection to its target.
const dialTimeout = 5 * time.Second

// New starts a proxy on 127.0.0.1:0 that forwards to target (host:port).
// Close stops it.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		ln:     ln,
		target: target,
		conns:  make(map[net.Conn]struct{}),
		held:   make(map[net.Conn]struct{}),
	}
	p.wg.Go(p.accept)
	return p, nil
}

// Addr returns the address the proxy listens on, as host:port.
func (p *Proxy) Addr() string {
	return p.ln.Addr().String()
}

// Cut closes every forwarded connection and, until Restore, accepts new
// connections but neither forwards nor answers them.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Restore closes the connections held since Cut, so their clients give up
// on them, and forwards connections again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
	p.closeHeld()
}

// Close stops the proxy and closes every connection. It waits for the
// proxy's goroutines to end.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.ln.Close()
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
	p.closeHeld()
	p.mu.Unlock()
	p.wg.Wait()
}

// closeHeld closes the connections held while cut; p.mu is held.
func (p *Proxy) closeHeld() {
	for c := range p.held {
		c.Close()
		delete(p.held, c)
	}
}

// accept takes connections until the listener closes.
func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		p.mu.Lock()
		switch {
		case p.closed:
			c.Close()
		case p.cut:
			p.held[c] = struct{}{}
		default:
			p.wg.Go(func() { p.forward(c) })
		}
		p.mu.Unlock()
	}
}

// forward connects client to the target and copies both ways until either
// side closes or Cut closes both.
func (p *Proxy) forward(client net.Conn) {
	server, err := net.DialTimeout("tcp", p.target, dialTimeout)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.cut || p.closed {
		// Cut while dialing: this connection is one of those cut.
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client] = struct{}{}
	p.conns[server] = struct{}{}
	p.mu.Unlock()

	var wg sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		// One direction ended: end the other too.
		dst.Close()
		src.Close()
	}
	wg.Go(func() { pipe(server, client) })
	wg.Go(func() { pipe(client, server) })
	wg.Wait()

	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

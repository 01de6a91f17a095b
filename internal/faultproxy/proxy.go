// Package faultproxy is a TCP proxy in front of one server that can take
// the server away and bring it back: the store outages of the integration
// tests and of the soak (internal/soak). It has no test dependencies.
package faultproxy

import (
	"errors"
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
	hold   [2]bool               // by Direction: bytes that way wait (Hold)
	delay  time.Duration         // every chunk waits this long (Slow)
	change chan struct{}         // closed and replaced when hold changes
}

// Direction is one way through the proxy.
type Direction int

// The two ways.
const (
	ToServer Direction = iota // from the client to the server
	ToClient                  // from the server to the client
)

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
		change: make(chan struct{}),
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
	p.changed() // held bytes give up with their connections
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Hold stops forwarding bytes in one direction, without closing anything,
// as a link that drops the packets one way does: the bytes wait in the
// proxy until Restore, and the peer waiting for them times out.
func (p *Proxy) Hold(d Direction) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold[d] = true
	p.changed()
}

// Slow delays every chunk of bytes, either way, by delay, as a slow link
// does; Restore ends it.
func (p *Proxy) Slow(delay time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = delay
}

// Restore closes the connections held since Cut, so their clients give up
// on them, forwards connections again, and ends Hold and Slow.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
	p.closeHeld()
	p.hold = [2]bool{}
	p.delay = 0
	p.changed()
}

// changed wakes the pipes waiting for a change of hold; p.mu is held.
func (p *Proxy) changed() {
	close(p.change)
	p.change = make(chan struct{})
}

// pass waits until bytes may go in direction d (not held; after the delay
// of a slow link), and reports false when the proxy closed meanwhile.
func (p *Proxy) pass(d Direction) bool {
	for {
		p.mu.Lock()
		closed, held, delay, change := p.closed, p.hold[d], p.delay, p.change
		p.mu.Unlock()
		switch {
		case closed:
			return false
		case held:
			<-change
		default:
			if delay > 0 {
				time.Sleep(delay)
			}
			return true
		}
	}
}

// Close stops the proxy and closes every connection. It waits for the
// proxy's goroutines to end.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.changed()
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
	pipe := func(dst, src net.Conn, d Direction) {
		buf := make([]byte, 32*1024)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if !p.pass(d) {
					break
				}
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		// One direction ended: end the other too.
		dst.Close()
		src.Close()
	}
	wg.Go(func() { pipe(server, client, ToServer) })
	wg.Go(func() { pipe(client, server, ToClient) })
	wg.Wait()

	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

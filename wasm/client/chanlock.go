package client

import (
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"strconv"
	"sync"
)

// chanLock is the refresh lock of pages that have no navigator.locks (no
// secure context: plain http on a LAN address; see lock.go for why it is
// kept): an election over the BroadcastChannel among the tabs that want the
// lock.
// Each tab has a random id of fixed width. The rule:
//
//  1. A tab that wants the lock posts {lock:"claim", id} and listens for
//     claimWindow.
//  2. It loses when, within the window, it hears a claim with a smaller id or
//     a "held" (the answer of the tab that holds the lock to every claim).
//     A claim with a larger id it answers by repeating its own: the other
//     tab may have started after the first one went by. A loser waits for
//     a "release" from any tab (or holdTimeout, in case the holder went
//     away) and claims again.
//  3. A tab whose window passes without losing holds the lock, runs the
//     renewal (announcing the new session) and posts "release".
//
// BroadcastChannel delivers one sender's messages in order, so a waiting tab
// hears the holder's new session before its release and adopts it. Should a
// message take longer than the window, two tabs may renew at once; the
// server gives both the same new tokens (its grace window), so this too ends
// no session. Without a channel at all the lock admits every caller.
type chanLock struct {
	_  noCompare
	c  *Client
	id string

	// runs serializes the runs of this tab (renewals, password changes,
	// confirmations of the event stream).
	runs sync.Mutex

	mu       sync.Mutex
	held     bool // f runs
	claiming bool // a claim is under way and has not lost
	// busyUntil is when a tab that holds or won the lock is given up on,
	// unless a release comes first; zero when none is known.
	busyUntil lite.Time
	// wake is the channel of the run under way while it waits: true when
	// its claim lost or a release came, false when its time is up.
	wake chan bool
}

// Times of the fallback lock.
const (
	claimWindow = 150 * lite.Millisecond
	holdTimeout = defaultTimeout + 5*lite.Second
)

// Operations of the lock messages.
const (
	lockClaim   = "claim"
	lockHeld    = "held"
	lockRelease = "release"
)

// tabIDWidth is the length of a tab id: 16 hex digits, so ids compare as
// numbers do.
const tabIDWidth = 16

// formatTabID formats n as a tab id.
func formatTabID(n uint64) string {
	s := strconv.FormatUint(n, 16)
	for len(s) < tabIDWidth {
		s = "0" + s
	}
	return s
}

// post sends a lock message; it reports whether there is a channel.
func (l *chanLock) post(op string) bool {
	bc, ok := l.c.b.(Broadcaster)
	return ok && bc.Broadcast(Message{Lock: op, ID: l.id}.json())
}

// notify hands v to a waiter without blocking; the first value wins.
// (No select statement with several cases: it would cost the WebAssembly
// module 15 KB.)
func notify(ch chan bool, v bool) {
	select {
	case ch <- v:
	default:
	}
}

// run waits until this tab holds the lock, runs f and releases the lock; f
// learns whether another tab held or won the lock meanwhile. Runs of this
// tab wait for each other.
func (l *chanLock) run(f func(waited bool)) {
	l.runs.Lock()
	defer l.runs.Unlock()
	for waited := false; ; waited = true {
		wake := make(chan bool, 1)
		l.mu.Lock()
		now := l.c.now()
		busy := now.Before(l.busyUntil)
		d := claimWindow
		if busy {
			d = l.busyUntil.Sub(now)
		} else {
			l.busyUntil = lite.Time{}
			l.claiming = true
		}
		l.wake = wake
		l.mu.Unlock()
		t := l.c.clock.AfterFunc(d, func() { notify(wake, false) })
		if !busy && !l.post(lockClaim) {
			t.Stop()
			l.settle(false)
			f(false)
			return
		}
		<-wake
		t.Stop()
		if won := l.settle(!busy); won {
			f(waited)
			l.settle(false)
			l.post(lockRelease)
			return
		}
	}
}

// settle ends a wait; after a claim (claimed) it reports whether the claim
// won, and then the lock is held. Without a claim it lets the lock go.
func (l *chanLock) settle(claimed bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	won := claimed && l.claiming
	l.claiming, l.held, l.wake = false, won, nil
	return won
}

// handle takes a lock message from another tab.
func (l *chanLock) handle(op, from string) {
	if len(from) != tabIDWidth || from == l.id {
		return
	}
	l.mu.Lock()
	switch op {
	case lockClaim:
		if l.held {
			l.mu.Unlock()
			l.post(lockHeld)
			return
		}
		if l.claiming && from < l.id {
			l.loseLocked()
		} else if l.claiming {
			l.mu.Unlock()
			l.post(lockClaim)
			return
		}
	case lockHeld:
		l.loseLocked()
	case lockRelease:
		l.busyUntil = lite.Time{}
		if l.wake != nil && !l.claiming {
			notify(l.wake, true)
		}
	}
	l.mu.Unlock()
}

// loseLocked gives up the claim under way (if any) and waits for a release.
// l.mu must be held.
func (l *chanLock) loseLocked() {
	l.busyUntil = l.c.now().Add(holdTimeout)
	if l.claiming {
		l.claiming = false
		notify(l.wake, true)
	}
}

package client_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

// claimWindow is the fallback lock's claim window.
const claimWindow = 150 * time.Millisecond

// TestWebLocksLeaveTheFallbackIdle: in a secure context the Web Lock is the
// only refresh lock. No tab posts the fallback's messages, and one that
// arrives anyway holds nothing back.
func TestWebLocksLeaveTheFallbackIdle(t *testing.T) {
	ctx, clock, srv := newJWT(t)
	a, b := twoTabs(t, ctx, clock, srv)
	a.c.HandleBroadcast(mustValue(`{"lock":"held","id":"ffffffffffffffff"}`))
	clock.Advance(2 * time.Second)
	gate, arrived := make(chan struct{}), make(chan int, 4)
	srv.set(func(s *fakeServer) { s.gate, s.arrived = gate, arrived })
	done := make(chan struct{})
	go func() { refreshBoth(t, a, b); close(done) }()
	<-arrived
	eventually(t, func() bool { return ctx.waiters() == 1 }, "the other tab waits for the Web Lock")
	close(gate)
	<-done
	assert.Equal(t, 1, posts(srv), "one renewal, adopted by the other tab")
	assert.Equal(t, 1, ctx.maxHolders)
	assert.Empty(t, a.b.lockMessages())
	assert.Empty(t, b.b.lockMessages())
}

// TestPasswordChangeInAnotherTab: while one tab changes the password, the
// server ends the old session and another tab's event stream says so. That
// tab confirms under the refresh lock, so it reads the session only after
// the rotated one is in the cookie jar and stays signed in: with Web Locks,
// and, in a page that is no secure context, with the fallback election.
// The control shows what a page without any refresh lock would give up:
// the confirmation overtakes the change and the tab goes to sign-in.
func TestPasswordChangeInAnotherTab(t *testing.T) {
	rotated := &wire.Session{User: userSession.User, Expires: wireTime(t0.Add(31 * time.Minute))}
	tests := []struct {
		name               string
		noLocks, noChannel bool
		stays              bool
	}{
		{"web locks", false, false, true},
		{"fallback election, no secure context", true, false, true},
		{"control: no refresh lock at all", true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, clock := newFakeContext(t), &fakeClock{now: t0}
			ctx.noLocks, ctx.noChannel = tt.noLocks, tt.noChannel
			changer := start(t, at("/public"), as(userSession), inContext(ctx), onClock(clock))
			other, live := liveStart(t, "/dashboard", userSession, inContext(ctx), onClock(clock))
			var landed atomic.Bool // the rotated session is in the cookie jar
			other.b.handle(wire.PathSession, func(req client.Request) (*client.Response, error) {
				if landed.Load() {
					return sessionIs(rotated)(req)
				}
				return sessionIs(nil)(req)
			})
			arrived, gate := make(chan struct{}), make(chan struct{})
			changer.b.handle(wire.PathPassword, func(req client.Request) (*client.Response, error) {
				close(arrived)
				<-gate
				landed.Store(true)
				return answer(200, `{"session":`+mustJSON(rotated)+`}`)(req)
			})
			stream := live.next()
			stream.send(t, readyEvent)

			done := make(chan client.Result, 1)
			go func() { done <- changer.c.ChangePassword("old-password", "new-password") }()
			if tt.noLocks && !tt.noChannel {
				eventually(t, func() bool { return len(changer.b.lockMessages()) == 1 }, "the changer claimed")
				ctx.settle()
				clock.Advance(claimWindow)
			}
			<-arrived
			stream.endWith(t, client.ReasonRevoked)

			if !tt.stays {
				eventually(t, func() bool { return other.b.url() == "/?callbackUrl=%2Fdashboard" }, "the other tab goes to sign-in")
				close(gate)
				require.True(t, (<-done).OK)
				assert.Equal(t, []any{client.Ended{Reason: client.ReasonRevoked}}, other.b.eventsNamed(client.EventEnded))
				return
			}
			if tt.noLocks {
				eventually(t, func() bool { return len(changer.b.lockMessages()) == 2 }, "the holder answered the other tab's claim")
				ctx.settle()
				assert.Equal(t, []string{"claim", "held"}, changer.b.lockMessages())
			} else {
				eventually(t, func() bool { return ctx.waiters() == 1 }, "the other tab waits for the lock")
			}
			assert.Zero(t, other.b.count(wire.PathSession), "no confirmation while the change is under way")
			close(gate)
			require.True(t, (<-done).OK)
			if tt.noLocks {
				eventually(t, func() bool { return len(other.b.lockMessages()) == 2 }, "the other tab claimed again after the release")
				ctx.settle()
				clock.Advance(claimWindow)
			}
			eventually(t, func() bool { return other.b.count(wire.PathSession) == 1 }, "the other tab confirmed")
			live.next() // a stream for the rotated session
			assert.Equal(t, rotated, other.c.Session())
			assert.Equal(t, "/dashboard", other.b.url())
			assert.Empty(t, other.b.eventsNamed(client.EventEnded))
		})
	}
}

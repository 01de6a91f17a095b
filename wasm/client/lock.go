package client

import (
	"errors"

	"github.com/sessionguard/sessionguard/wasm/internal/lite"
)

// The refresh lock serialises, across the tabs of the origin, what must not
// overlap: renewals of the access token (one refresh token, one redeemer),
// a password change, and the confirmation of a session the event stream
// said ended (which must wait for a password change in another tab to land
// in the cookie jar, or it would take the rotation for a sign-out).
//
// There is one mechanism per kind of page, never two:
//
//   - A secure context (https, or http on localhost) has the Web Locks
//     API, in every current browser: the Browser's Locker. That is the
//     lock; the fallback below never runs there, and the lock messages it
//     would post are never sent (other tabs of the origin have Web Locks
//     too).
//   - Browsers hide navigator.locks from pages that are no secure context:
//     plain http on a LAN address, which the server serves with
//     -insecure-cookies. There chanLock, an election over the
//     BroadcastChannel (chanlock.go), is the lock. It is kept rather than
//     let such tabs renew without coordination: the server's grace window
//     would keep overlapping renewals signed in (the last-resort case
//     TestJWTRacingRenewalsWithoutLockStaySignedIn covers), but every tab
//     would ask the server, and a password change in one tab would send
//     the page's other tabs to sign-in (TestPasswordChangeInAnotherTab), so
//     the LAN mode would behave unlike the https one it is there to try.

// withLock runs f under the refresh lock: the Web Lock LockName where the
// page has navigator.locks, else chanLock.
func (c *Client) withLock(f func(waited bool)) error {
	if l, ok := c.b.(Locker); ok {
		err := l.WithLock(LockName, f)
		if !errors.Is(err, errors.ErrUnsupported) {
			if err != nil {
				return lite.Wrap(ErrLock, err.Error())
			}
			return nil
		}
	}
	c.chanLock.run(f)
	return nil
}

package store

import (
	"context"
	"time"
)

// Revocations ends signed (jwt-strategy) sessions before their tokens
// expire: a deny list of token and session ids, and a per-user "valid after"
// time that ends every older token of a user at once (sign out everywhere,
// password change, role change).
//
// Times are judged to the millisecond, like expiry everywhere in this
// package: an entry with time until holds while now is before until.
type Revocations interface {
	// Deny puts id (a token's jti, or "sid:" and a session id) on the deny
	// list until until; after that the token it names has expired anyway.
	// The id is denied while now is before until, and not from until on.
	// Denying an id again keeps the later of the two times. Ids are
	// compared exactly (case and all). It returns ErrInvalid for an empty
	// id.
	Deny(ctx context.Context, id string, until time.Time) error
	// SetUserValidAfter makes every token of the user issued before t
	// invalid. The time only ever moves forward: an earlier t is ignored.
	// It returns ErrInvalid for an empty user id.
	SetUserValidAfter(ctx context.Context, userID string, t time.Time) error
	// UserValidAfter returns the user's valid-after time in UTC, or the zero
	// time when none was set (as for an empty user id).
	UserValidAfter(ctx context.Context, userID string) (time.Time, error)
	// Revoked reports, in one round trip, whether any of ids is denied at now
	// or issuedAt is before the user's valid-after time. A token issued at
	// the valid-after time itself is not revoked by it. With no ids only the
	// valid-after time is checked. It is the hot path of the jwt strategy's
	// status check.
	Revoked(ctx context.Context, userID string, issuedAt, now time.Time, ids ...string) (bool, error)
	// DeleteExpiredDenials removes deny-list entries whose time has passed at
	// now (until is not after now) and returns how many. Valid-after times
	// stay.
	DeleteExpiredDenials(ctx context.Context, now time.Time) (int, error)
}

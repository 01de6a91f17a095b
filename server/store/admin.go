package store

import (
	"context"
	"time"
)

// RoleAdmin is the role of an administrator: UpdateUser never leaves a store
// without an enabled account that has it.
const RoleAdmin = "admin"

// SessionLister lists a user's sessions, for their list of devices and for
// administrators.
type SessionLister interface {
	// UserSessions returns the user's sessions live at now, newest
	// (CreatedAt) first; an empty list for a user without any.
	UserSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
}

// UserAdmin changes accounts after they are made.
type UserAdmin interface {
	// ListUsers returns every account, oldest first. (Deployments with very
	// many accounts want paging; this serves the admin view of small ones.)
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser replaces the Name, Role, PasswordHash and Disabled of the
	// account with u.ID; the e-mail and creation time stay. It returns
	// found=false for an unknown id and ErrInvalid for an empty id.
	//
	// It never leaves the store without an administrator: a change that
	// takes the role RoleAdmin from, or disables, the only enabled account
	// with that role (compared exactly) changes nothing and returns an
	// error wrapping ErrLastAdmin. Disabled administrators do not count,
	// and every other change of that account (its name, its password) is
	// made as usual. The check and the write are one atomic step, also
	// between instances that share the store: of two concurrent changes
	// that each demote or disable one of the last two administrators,
	// exactly one succeeds.
	UpdateUser(ctx context.Context, u User) (found bool, err error)
}

// SessionCounter counts live sessions, for the active-sessions metric.
type SessionCounter interface {
	// CountSessions returns how many sessions are live at now.
	CountSessions(ctx context.Context, now time.Time) (int64, error)
}

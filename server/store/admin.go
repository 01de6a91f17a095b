package store

import (
	"context"
	"time"

	"github.com/sessionguard/sessionguard/wire"
)

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
	// HasUsers reports whether the store holds any account, without reading
	// them all (the server's start-up says how to make the first one).
	HasUsers(ctx context.Context) (bool, error)
	// UpdateUser makes ch on the account id in one atomic step: the fields
	// ch sets are written, every other field stays as it is at that moment
	// (so two concurrent changes of different fields both hold), and the
	// e-mail and creation time never change. It returns the account as it
	// was just before the change, from the same step; ch.Apply(before) is
	// the account after it. It returns found=false for an unknown id and
	// ErrInvalid for an empty id.
	//
	// It never leaves the store without an administrator: a change that
	// takes the role wire.RoleAdmin from, or disables, the only enabled
	// account with that role (compared exactly) changes nothing and returns an
	// error wrapping ErrLastAdmin. Disabled administrators do not count,
	// and every other change of that account (its name, its password) is
	// made as usual. The check and the write are one atomic step, also
	// between instances that share the store: of two concurrent changes
	// that each demote or disable one of the last two administrators,
	// exactly one succeeds.
	UpdateUser(ctx context.Context, id string, ch UserChange) (before User, found bool, err error)
}

// LiveSessionCounter counts live sessions, for the active-sessions metric.
type LiveSessionCounter interface {
	// CountSessions returns how many sessions are live at now.
	CountSessions(ctx context.Context, now time.Time) (int64, error)
}

// UserChange is a change of an account for UserAdmin.UpdateUser: each field
// that is not nil is set to the value it points to; a nil field stays as it
// is. The zero value changes nothing.
type UserChange struct {
	Name         *string
	Role         *string
	PasswordHash *string
	Disabled     *bool
}

// Apply returns u with the change made.
func (c UserChange) Apply(u User) User {
	if c.Name != nil {
		u.Name = *c.Name
	}
	if c.Role != nil {
		u.Role = *c.Role
	}
	if c.PasswordHash != nil {
		u.PasswordHash = *c.PasswordHash
	}
	if c.Disabled != nil {
		u.Disabled = *c.Disabled
	}
	return u
}

// RemovesAdmin reports whether the change takes administration from
// before: before is an enabled administrator (IsEnabledAdmin) and the
// change demotes or disables it. UpdateUser refuses such a change when no
// other enabled administrator is left.
func (c UserChange) RemovesAdmin(before User) bool {
	return IsEnabledAdmin(before) && !IsEnabledAdmin(c.Apply(before))
}

// IsEnabledAdmin reports whether u is an enabled account with the role
// wire.RoleAdmin, compared exactly: one that counts as an administrator.
// UpdateUser never leaves a store without one.
func IsEnabledAdmin(u User) bool {
	return u.Role == wire.RoleAdmin && !u.Disabled
}

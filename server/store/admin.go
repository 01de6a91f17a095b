package store

import (
	"context"
	"time"
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
	// UpdateUser replaces the Name, Role, PasswordHash and Disabled of the
	// account with u.ID; the e-mail and creation time stay. It returns
	// found=false for an unknown id and ErrInvalid for an empty id.
	UpdateUser(ctx context.Context, u User) (found bool, err error)
}

// SessionCounter counts live sessions, for the active-sessions metric.
type SessionCounter interface {
	// CountSessions returns how many sessions are live at now.
	CountSessions(ctx context.Context, now time.Time) (int64, error)
}

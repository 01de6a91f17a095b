package session

import (
	"errors"
	"fmt"
)

var (
	// ErrUnavailable wraps every store failure: the session could not be read
	// or written. Callers fail closed (not signed in, or 503).
	ErrUnavailable = errors.New("session store unavailable")
	// ErrRefreshInvalid is returned by Refresh for a refresh token that is
	// unknown, expired, or whose session has ended.
	ErrRefreshInvalid = errors.New("refresh token invalid or expired")
	// ErrRefreshReused is returned by Refresh for a refresh token redeemed
	// before: a sign of theft, so the whole session has been ended.
	ErrRefreshReused = errors.New("refresh token reused; session ended")
	// ErrBadLifetime is returned by New for lifetimes that cannot work
	// together.
	ErrBadLifetime = errors.New("bad session lifetime")
)

func errorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadLifetime}, args...)...)
}

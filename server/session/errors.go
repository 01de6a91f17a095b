package session

import (
	"errors"
	"fmt"
)

var (
	// ErrUnavailable wraps every store failure: the session could not be read
	// or written. Callers fail closed (not signed in, or 503).
	ErrUnavailable = errors.New("session store unavailable")
	// ErrBadLifetime is returned by New for lifetimes that cannot work
	// together.
	ErrBadLifetime = errors.New("bad session lifetime")
)

func errorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadLifetime}, args...)...)
}

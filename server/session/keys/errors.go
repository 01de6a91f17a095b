package keys

import "errors"

// ErrKeys wraps every problem with signing keys.
var ErrKeys = errors.New("signing keys")

package client

import "errors"

// Errors of the Client. Each one is returned wrapped with a detail
// (lite.Wrap); test for them with errors.Is.
var (
	// ErrNetwork means the server could not be reached or did not answer
	// in time.
	ErrNetwork = errors.New("network error")
	// ErrBadResponse means the server answered with an unexpected status
	// or body.
	ErrBadResponse = errors.New("unexpected server response")
	// ErrBadSession means a session's JSON does not have the contract's
	// shape.
	ErrBadSession = errors.New("malformed session")
	// ErrLock means the refresh lock shared by the page's tabs could not
	// be taken.
	ErrLock = errors.New("refresh lock unavailable")
	// ErrBadConfig means the configuration's JSON does not have the
	// contract's shape.
	ErrBadConfig = errors.New("malformed configuration")
)

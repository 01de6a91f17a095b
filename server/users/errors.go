package users

import "errors"

var (
	// ErrInvalidCredentials is returned by Authenticate for an unknown e-mail
	// and a wrong password alike, so callers cannot tell the two apart.
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrInvalidAccount is returned by Create for an e-mail, name, role or
	// password that breaks the rules of this package.
	ErrInvalidAccount = errors.New("invalid account")
	// ErrEmailTaken is returned by Create when the e-mail is registered already.
	ErrEmailTaken = errors.New("e-mail already registered")
	// ErrBadHash is returned for a stored hash that is not an argon2id PHC
	// string this package can read.
	ErrBadHash = errors.New("unreadable password hash")
)

var (
	// ErrDisabled is returned by Authenticate for a disabled account whose
	// password was right (so the answer reveals nothing to a guesser), and
	// by ChangePassword when the account was disabled while it ran.
	ErrDisabled = errors.New("account disabled")
	// ErrNotFound is returned for an unknown account id.
	ErrNotFound = errors.New("no such account")
	// ErrLastAdmin is returned by SetRole and SetDisabled for a change that
	// would leave no enabled administrator; nothing is changed.
	ErrLastAdmin = errors.New("that would leave no administrator")
)

// Package store defines where sessionguard keeps accounts and database-strategy
// sessions. Each backend lives in its own subpackage (memory and sqlite for
// one instance, postgres and redis for several that share them) and passes
// the one conformance suite in storetest.
//
// The rules every backend follows:
//   - A record that is missing or expired is reported as found=false with a nil
//     error; err is for system errors only (the store is down, a query failed).
//   - Session ids are never stored: callers pass the SHA-256 of the id.
//   - Every method honours ctx's deadline and is safe for concurrent use; a
//     ctx that is done gives an error wrapping ctx.Err().
//   - Records are copied in and out: a caller may reuse or change the byte
//     slices it passes or gets back.
//   - Times come back in UTC, kept to the millisecond at least.
package store

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrDuplicate is returned by CreateUser when the e-mail is already taken,
	// and by CreateSession when the id hash exists.
	ErrDuplicate = errors.New("already exists")
	// ErrInvalid is returned for a record that breaks a rule of this package
	// (empty key, wrong hash length).
	ErrInvalid = errors.New("invalid record")
	// ErrLastAdmin is returned by UserAdmin.UpdateUser for a change that
	// would leave no enabled administrator.
	ErrLastAdmin = errors.New("that would leave no administrator")
)

// HashLen is the length of a session id hash (SHA-256).
const HashLen = 32

// Session is a database-strategy session record.
type Session struct {
	// IDHash is SHA-256 of the secret session id; the id itself never reaches
	// the store.
	IDHash []byte
	// UserID, Email, Name and Role are the account as it was when the session
	// was issued. A change of role or name rotates the session (issue of a new
	// record), so the record never needs a join on the hot path.
	UserID string
	Email  string
	Name   string
	Role   string
	// CreatedAt is the sign-in time.
	CreatedAt time.Time
	// Expires is the idle expiry, moved forward by rolling reads.
	Expires time.Time
	// AbsExpires is the hard cap: CreatedAt + the absolute max age. Expires
	// never passes it.
	AbsExpires time.Time
	// AAL is the authenticator assurance level the user proved the session
	// at: AAL1 (a password) or AAL2 (with a second factor).
	// AuthenticatedAt is when they last proved it: the sign-in, or the
	// latest re-authentication. Both are kept as given. A record written
	// before a backend kept them reads as AAL1 at its CreatedAt.
	AAL             string
	AuthenticatedAt time.Time
	// ClientAddr and UserAgent describe the device that signed in (for the
	// user's list of devices); the user agent is cut to MaxUserAgentLen
	// bytes by the caller. Neither is ever a secret.
	ClientAddr string
	UserAgent  string
}

// The authenticator assurance levels of a session (NIST SP 800-63B).
const (
	AAL1 = "aal1"
	AAL2 = "aal2"
)

// MaxUserAgentLen is the longest user agent a session record keeps.
const MaxUserAgentLen = 256

// Live reports whether the session is still valid at now.
func (s *Session) Live(now time.Time) bool {
	return now.Before(s.Expires) && now.Before(s.AbsExpires)
}

// Sessions keeps database-strategy sessions.
type Sessions interface {
	// CreateSession stores a new session. It returns ErrDuplicate when the hash
	// exists already and ErrInvalid when the hash is not HashLen bytes or the
	// user id is empty.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with that hash if it is live at now. It
	// returns ErrInvalid when the hash is not HashLen bytes.
	Session(ctx context.Context, idHash []byte, now time.Time) (s Session, found bool, err error)
	// TouchSession moves the idle expiry of a session to expires (callers cap it
	// at AbsExpires) and reports whether the record exists. A missing session
	// is found=false with a nil error, and is not created; a record that has
	// expired but is still held may be reported either way (callers that care
	// read it first). It returns ErrInvalid when the hash is not HashLen
	// bytes.
	TouchSession(ctx context.Context, idHash []byte, expires time.Time) (found bool, err error)
	// DeleteSession removes a session. A missing session is not an error. It
	// returns ErrInvalid when the hash is not HashLen bytes.
	DeleteSession(ctx context.Context, idHash []byte) error
	// DeleteUserSessions removes every session of the user and returns how many
	// there were. It returns ErrInvalid for an empty user id.
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
	// DeleteExpiredSessions removes sessions that are not live at now and
	// returns how many.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
}

// User is an account.
type User struct {
	ID    string
	Email string // normalised: trimmed and lower-case
	Name  string
	Role  string
	// PasswordHash is an argon2id PHC string.
	PasswordHash string
	CreatedAt    time.Time
	// Disabled accounts cannot sign in.
	Disabled bool
}

// Users keeps accounts.
type Users interface {
	// CreateUser stores a new account. It returns ErrDuplicate when the id or
	// the e-mail is taken and ErrInvalid when the id or e-mail is empty.
	CreateUser(ctx context.Context, u User) error
	// UserByEmail looks an account up by its normalised e-mail, compared
	// exactly: normalising is the caller's job. An empty e-mail is not found.
	UserByEmail(ctx context.Context, email string) (u User, found bool, err error)
	// UserByID looks an account up by id. An empty id is not found.
	UserByID(ctx context.Context, id string) (u User, found bool, err error)
}

// Store is a complete backend: everything every backend must do, whichever
// session strategy runs on it. Consumers take the narrow interface they use
// (session.JWTStore, the rate limiter's FailureCounters); nothing finds an
// ability by type assertion, and the conformance suite in storetest runs
// every part against every backend.
type Store interface {
	Sessions
	Users
	UserAdmin
	SessionLister
	LiveSessionCounter
	// The jwt strategy's records.
	Revocations
	RefreshTokens
	Keys
	// Accounts' second factors.
	SecondFactors
	// Shared between instances: sign-in failure counts and session events.
	FailureCounters
	Events
	// Ping reports an error when the backend does not answer.
	Ping(ctx context.Context) error
	// Close releases the backend's resources. The Store must not be used after.
	Close() error
}

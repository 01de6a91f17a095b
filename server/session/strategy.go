package session

import (
	"context"
	"time"

	"github.com/sessionguard/sessionguard/wire"
)

// Strategy is how sessions are represented: the database strategy keeps a
// record per session behind an opaque id; the jwt strategy signs the session
// into the cookie itself. A Strategy is safe for concurrent use.
type Strategy interface {
	// Issue creates a brand-new session for u on device d at now, proved
	// at assurance level aal (store.AAL1 or store.AAL2), and returns the
	// values for its cookies. It never reuses a value a client sent.
	Issue(ctx context.Context, u wire.User, d Device, aal string, now time.Time) (Issued, Session, error)
	// Reauthenticate replaces the live session whose Key is key, which the
	// user has just proved again at level aal on device d, by a new one
	// under a new id: the same account snapshot, sign-in time and absolute
	// expiry, authenticated at now. The old session ends. found is false,
	// and nothing is issued, when the old session is not live (also when
	// it ends while this runs).
	Reauthenticate(ctx context.Context, key []byte, aal string, d Device, now time.Time) (issued Issued, s Session, found bool, err error)
	// Load returns the session the token names as it stands after a read at
	// now (rolling expiry moves Expires forward). found is false, with a nil
	// error, for a token that is malformed, unknown, expired or revoked.
	// renewed is non-empty when the cookie must be replaced.
	Load(ctx context.Context, token string, now time.Time) (s Session, renewed string, found bool, err error)
	// Revoke ends the session the token names. An unknown token is not an error.
	Revoke(ctx context.Context, token string, now time.Time) error
	// RevokeUser ends every session of the user.
	RevokeUser(ctx context.Context, userID string, now time.Time) error
}

// Device describes where a session was signed in, for the user's list of
// devices. Neither field is trusted for any decision.
type Device struct {
	// Addr is the client address.
	Addr string
	// UserAgent is the browser's User-Agent header (cut to
	// store.MaxUserAgentLen).
	UserAgent string
}

// Issued holds the cookie values of a new session.
type Issued struct {
	// Token is the session cookie's value.
	Token string
	// Refresh is the refresh cookie's value; empty for strategies without
	// refresh tokens.
	Refresh string
}

// Refresher is implemented by strategies with refresh tokens (jwt).
type Refresher interface {
	// Refresh redeems a refresh token: a new access token and a new refresh
	// token for the same session, the old refresh token spent. It returns
	// ErrRefreshInvalid for an unknown, expired or ended one, and
	// ErrRefreshReused (after ending the whole session) for one that was
	// redeemed before, outside the grace window.
	Refresh(ctx context.Context, refresh string, now time.Time) (Issued, Session, error)
}

// Peeker is implemented by strategies that can read a session without
// extending it: background traffic (the live event stream) must not keep an
// idle session alive.
type Peeker interface {
	// Peek is Load without the rolling extension and without renewal.
	Peek(ctx context.Context, token string, now time.Time) (s Session, found bool, err error)
}

// BearerLoader is implemented by strategies whose Load renews the token
// itself (jwt). LoadBearer is Load for a bearer-mode client, which takes no
// renewed token: the read's rolling extension is held in this process, and
// the client's next refresh writes it out.
type BearerLoader interface {
	LoadBearer(ctx context.Context, token string, now time.Time) (s Session, found bool, err error)
}

// Lister is implemented by strategies whose sessions can be listed and ended
// one by one (the user's devices).
type Lister interface {
	// UserSessions returns the user's live sessions, newest first.
	UserSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
	// RevokeKey ends the session whose Key is key.
	RevokeKey(ctx context.Context, key []byte, now time.Time) error
}

// KeyPublisher is implemented by strategies whose tokens other services
// can verify with published public keys (jwt).
type KeyPublisher interface {
	// JWKS returns the public keys as a JSON Web Key Set (RFC 7517); an
	// empty set when the keys are secret (HS256).
	JWKS() []byte
}

// AccessTokens is implemented by strategies whose session cookie holds a
// short-lived access token that the client renews before it ends (jwt).
type AccessTokens interface {
	// AccessMaxAge returns an access token's lifetime.
	AccessMaxAge() time.Duration
}

// Cleaner is implemented by strategies that keep state which needs pruning.
type Cleaner interface {
	// Cleanup removes what expired before now and returns how many records.
	Cleanup(ctx context.Context, now time.Time) (int, error)
}

// Session is a live session as the server sees it.
type Session struct {
	User wire.User
	// Expires is the idle expiry after this read.
	Expires time.Time
	// AbsExpires is the hard cap from sign-in.
	AbsExpires time.Time
	// CreatedAt is the sign-in time.
	CreatedAt time.Time
	// AAL is the assurance level the user proved: store.AAL1 (password)
	// or store.AAL2 (with a second factor). AuthenticatedAt is when they
	// last proved it: the sign-in or the latest re-authentication.
	AAL             string
	AuthenticatedAt time.Time
	// AccessExpires is when the access token in the session cookie expires
	// and must be refreshed (jwt strategy); zero for the database strategy.
	AccessExpires time.Time
	// Key is the store key of the session's record (SHA-256 of the id for
	// the database strategy, the session id for jwt); never a secret. Events
	// about one session name it. Read it only: it may be shared with the
	// strategy's caches.
	Key []byte
	// ClientAddr is the address the session was signed in from, when the
	// strategy read its record (database Load and listings, jwt refresh).
	ClientAddr string
	// UserAgent and LastSeen (its last activity as far as the store knows;
	// it lags by less than the update age) are filled in by listings.
	UserAgent string
	LastSeen  time.Time
	// Issued holds the credentials of a session just issued to a
	// bearer-mode request (Manager.SignIn, Reauthenticate, Refresh,
	// RefreshBearer), for the answer's body; nil otherwise. Secret: it is
	// never logged.
	Issued *Issued
}

// Wire returns the JSON shape of the API: UTC, whole seconds (rounded down,
// so a client never believes in a second the server will not give).
func (s *Session) Wire() *wire.Session {
	if s == nil {
		return nil
	}
	return &wire.Session{
		User:            s.User,
		Expires:         wire.UnixTime(s.Expires.Unix()),
		AAL:             s.AAL,
		AuthenticatedAt: wire.UnixTime(s.AuthenticatedAt.Unix()),
	}
}

// Lifetime holds the three durations of the server flags -max-age,
// -absolute-max-age and -update-age (docs/SERVER.md).
type Lifetime struct {
	// MaxAge is the idle lifetime: every read moves Expires to now+MaxAge.
	MaxAge time.Duration
	// AbsoluteMaxAge is the hard cap from sign-in.
	AbsoluteMaxAge time.Duration
	// UpdateAge is how often, at most, a rolling read writes the store per
	// session; 0 writes on every read. Reads in between keep the newer expiry
	// in memory, so this process stays exact; the store (and other instances)
	// lag by less than UpdateAge. Values above MaxAge/2 are lowered to
	// MaxAge/2, so a session never depends on an unwritten extension for
	// more than half its life.
	UpdateAge time.Duration
}

// DefaultLifetime is the flags' defaults (docs/SERVER.md): 30 min idle, 12 h
// absolute, a one-minute update age.
var DefaultLifetime = Lifetime{MaxAge: 30 * time.Minute, AbsoluteMaxAge: 12 * time.Hour, UpdateAge: time.Minute}

func (l Lifetime) validate() (Lifetime, error) {
	switch {
	case l.MaxAge < time.Second:
		return l, errorf("max age %v is below one second", l.MaxAge)
	case l.AbsoluteMaxAge < l.MaxAge:
		return l, errorf("absolute max age %v is below max age %v", l.AbsoluteMaxAge, l.MaxAge)
	case l.UpdateAge < 0:
		return l, errorf("update age %v is negative", l.UpdateAge)
	}
	if l.UpdateAge > l.MaxAge/2 {
		l.UpdateAge = l.MaxAge / 2
	}
	return l, nil
}

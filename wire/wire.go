// Package wire is the contract of sessionguard's HTTP API (docs/API.md) that
// the server and the browser module share: every API path, the headers and
// roles both read, and every JSON shape they exchange, as plain data types.
// It imports no package at all, so the WebAssembly build stays small: its
// times are its own Time, not time.Time. The browser module parses JSON
// with the browser's JSON.parse, not encoding/json, and reads these types'
// members by their JSON names.
package wire

// User is the public projection of an account that a session carries.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	// Role is RoleUser or RoleAdmin.
	Role string `json:"role"`
}

// The roles an account can have.
const (
	RoleUser = "user"
	// RoleAdmin is the role of an administrator: the role the admin path
	// patterns require, the one the admin API needs, and the one the store
	// never leaves without an enabled account.
	RoleAdmin = "admin"
)

// Session is what GET /api/session answers for a signed-in visitor.
type Session struct {
	User User `json:"user"`
	// Expires is when the session ends without further activity, in UTC with
	// whole seconds.
	Expires Time `json:"expires"`
	// AAL is how the user proved the session: AAL1 (a password) or AAL2
	// (with a second factor).
	AAL string `json:"aal"`
	// AuthenticatedAt is when the user last proved themselves (the sign-in
	// or the latest re-authentication), in UTC with whole seconds.
	AuthenticatedAt Time `json:"authenticatedAt"`
	// EnrollmentRequired is true (GET /api/session, sign-in) when the
	// account's role must have a second factor and it has none yet: the
	// session can only enrol and sign out.
	EnrollmentRequired bool `json:"enrollmentRequired,omitempty"`
}

// The assurance levels of a session (NIST SP 800-63B).
const (
	AAL1 = "aal1"
	AAL2 = "aal2"
)

// Status is the body of GET /api/get-session-status: 200 signed in, 401 not.
type Status struct {
	Status int `json:"status"`
}

// Config is the body of GET /api/auth/config: the one source of truth for the
// path rules that the browser module also applies.
type Config struct {
	PublicPaths []string `json:"publicPaths"`
	AdminPaths  []string `json:"adminPaths"`
	SignInPath  string   `json:"signInPath"`
	// MaxAge is the idle lifetime in seconds.
	MaxAge int `json:"maxAge"`
	// AAL2Paths are the path patterns that need an aal2 session, and
	// FreshAge how long after the user last proved themselves (seconds) a
	// session may make sensitive requests.
	AAL2Paths []string `json:"aal2Paths"`
	FreshAge  int      `json:"freshAge"`
	// Strategy, RefreshPath and AccessMaxAge are sent by the jwt strategy
	// only (the database strategy's answer is exactly docs/API.md's):
	// "jwt", the refresh endpoint, and an access token's lifetime in seconds.
	Strategy     string `json:"strategy,omitempty"`
	RefreshPath  string `json:"refreshPath,omitempty"`
	AccessMaxAge int    `json:"accessMaxAge,omitempty"`
}

// SignInRequest is the body of POST /api/auth/signin.
type SignInRequest struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	RedirectURL string `json:"redirectUrl"`
}

// SignInResponse is the 200 answer of POST /api/auth/signin, of the second
// step PathTwoFactorCheck, and in bearer mode of PathToken and
// PathTokenTwoFactor.
type SignInResponse struct {
	Session     *Session `json:"session"`
	RedirectURL string   `json:"redirectUrl"`
	// Tokens are the new session's credentials in bearer mode; absent for
	// a cookie request, whose credentials are cookies.
	Tokens *Tokens `json:"tokens,omitempty"`
}

// Tokens are the credentials of a session issued to a bearer-mode client,
// in the answer's body instead of cookies. The client sends AccessToken as
// `Authorization: Bearer <accessToken>`; under the jwt strategy it redeems
// RefreshToken at PathTokenRefresh before AccessExpires, for new tokens
// (each refresh token works once). Under the database strategy the access
// token is the session id: it lasts as long as the session, and there is
// no refresh token.
type Tokens struct {
	// TokenType is always "Bearer".
	TokenType   string `json:"tokenType"`
	AccessToken string `json:"accessToken"`
	// AccessExpires is when AccessToken expires (jwt strategy), in UTC
	// with whole seconds; absent under the database strategy.
	AccessExpires Time `json:"accessExpires,omitzero"`
	// RefreshToken is the jwt strategy's; absent under the database
	// strategy.
	RefreshToken string `json:"refreshToken,omitempty"`
}

// TokenTypeBearer is Tokens.TokenType.
const TokenTypeBearer = "Bearer"

// TokenRefreshRequest is the body of POST PathTokenRefresh; the answer is
// a RefreshResponse with Tokens.
type TokenRefreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

// SignOutRequest is the optional body of POST /api/auth/signout.
type SignOutRequest struct {
	RedirectURL string `json:"redirectUrl"`
}

// SignOutResponse is the 200 answer of POST /api/auth/signout.
type SignOutResponse struct {
	RedirectURL string `json:"redirectUrl"`
}

// Error is the body of every error answer.
type Error struct {
	Error string `json:"error"`
	// Code names a refusal the client can act on: CodeReauthRequired,
	// CodeAAL2Required, CodeEnrollmentRequired. Absent otherwise.
	Code string `json:"code,omitempty"`
}

// The codes of Error.
const (
	// CodeReauthRequired: a sensitive request from a session whose user
	// last proved themselves longer ago than the fresh age; re-authenticate
	// (PathReauth) and try again.
	CodeReauthRequired = "reauth_required"
	// CodeAAL2Required: a path that needs a session proved with a second
	// factor, asked by an aal1 session.
	CodeAAL2Required = "aal2_required"
	// CodeEnrollmentRequired: the account's role needs a second factor, and
	// it has none yet; the session can only enrol (and sign out).
	CodeEnrollmentRequired = "enrollment_required"
)

// ExpiresHeader carries the session's new expiry on a signed-in answer of
// GET /api/get-session-status, so the browser module can follow the rolling
// expiry without a second request. The body stays exactly {"status":200}.
const ExpiresHeader = "Sg-Session-Expires"

// AccessExpiresHeader carries, under the jwt strategy, when the access
// token in the session cookie expires, on every answer that reads or issues
// a session: the browser module refreshes before then.
const AccessExpiresHeader = "Sg-Access-Expires"

// RefreshResponse is the 200 answer of POST /api/auth/refresh (jwt
// strategy).
//
// It is also the answer of PathPassword and PathReauth, which give the
// session a new id, and of PathTokenRefresh; in bearer mode Tokens carries
// the new credentials.
type RefreshResponse struct {
	Session *Session `json:"session"`
	Tokens  *Tokens  `json:"tokens,omitempty"`
}

// TimeFormat is the layout of every time in the API: RFC 3339, UTC, seconds.
const TimeFormat = "2006-01-02T15:04:05Z07:00"

package wire

// Paths of the HTTP API. The server routes them and the browser module
// calls them; the sub-paths with an escaped handle or account id are
// PathSessions/{handle}, PathAdminUsers/{id}, PathAdminUsers/{id}/sessions
// and PathAdminUsers/{id}/sessions/{handle}.
const (
	PathSession      = "/api/session"
	PathStatus       = "/api/get-session-status"
	PathConfig       = "/api/auth/config"
	PathSignIn       = "/api/auth/signin"
	PathSignOut      = "/api/auth/signout"
	PathRefresh      = "/api/auth/refresh" // jwt strategy only; also the refresh cookie's Path
	PathEvents       = "/api/auth/events"
	PathSessions     = "/api/auth/sessions"
	PathRevokeOthers = "/api/auth/sessions/revoke-others"
	PathPassword     = "/api/auth/password"
	PathAdminUsers   = "/api/admin/users"

	PathTOTPSetup      = "/api/auth/2fa/totp/setup"
	PathTOTPConfirm    = "/api/auth/2fa/totp/confirm"
	PathTOTPDisable    = "/api/auth/2fa/totp/disable"
	PathTwoFactorCheck = "/api/auth/2fa/verify"
	PathReauth         = "/api/auth/reauth"

	// The token endpoints of bearer mode (the server's -bearer flag), for
	// clients without cookies: a sign-in, its second step and (jwt
	// strategy) the refresh, each answering the tokens in the body (Tokens).
	PathToken          = "/api/auth/token"
	PathTokenTwoFactor = "/api/auth/token/2fa"
	PathTokenRefresh   = "/api/auth/token/refresh"
)

// APIPrefix starts every API path. Nothing under it is a page: the server
// answers JSON there (404 for an unknown path), and the browser module
// leaves links there to the browser.
const APIPrefix = "/api/"

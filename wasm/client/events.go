package client

// Names of the events the Client dispatches on window.
const (
	// EventChange carries the new session (or null) after every change.
	EventChange = "sessionguard:change"
	// EventBlocked carries a Blocked after each cancelled navigation.
	EventBlocked = "sessionguard:blocked"
	// EventNavigate carries a Navigated after each navigation that the
	// module carried out in the page (an extension of the contract).
	EventNavigate = "sessionguard:navigate"
	// EventEnded carries an Ended when the live event stream ended the
	// session (an extension of the contract), just before the session
	// becomes null and a protected view goes to sign-in.
	EventEnded = "sessionguard:ended"
	// EventReauth carries a Reauth when the server refused an API call
	// until the user proves the session again (reauth), so the page can
	// ask and retry.
	EventReauth = "sessionguard:reauth"
	// EventTwoFactorChanged tells the page that the user's second factor
	// was turned on or off (here or on another device), so an account page
	// can show it; its detail is {}.
	EventTwoFactorChanged = "sessionguard:two-factor-changed"
)

// The codes of refusals the page can act on (wire.Error's code).
const (
	CodeReauthRequired     = "reauth_required"
	CodeAAL2Required       = "aal2_required"
	CodeEnrollmentRequired = "enrollment_required"
)

// Reauth is the detail of EventReauth.
type Reauth struct {
	// Code is CodeReauthRequired (prove it again: the password, and a code
	// when the account has a second factor) or CodeAAL2Required (prove it
	// with the second factor).
	Code string
	// Path is the API path that was refused.
	Path string
}

// Reasons in Ended: the live stream's event that ended the session.
const (
	ReasonRevoked     = "revoked"      // signed out here or elsewhere, or ended from a device list
	ReasonExpired     = "expired"      // the idle or absolute lifetime passed
	ReasonRoleChanged = "role-changed" // an administrator changed the role: sign in again
)

// Ended is the detail of EventEnded.
type Ended struct {
	// Reason is ReasonRevoked, ReasonExpired or ReasonRoleChanged.
	Reason string
}

// Reasons in Blocked. They equal policy.Decision's String: ReasonError is
// both a path that cannot be cleaned (policy.Invalid) and a status check
// that failed.
const (
	ReasonUnauthenticated = "unauthenticated"
	ReasonForbidden       = "forbidden"
	ReasonError           = "error"
	// ReasonStepUp: the destination is an -aal2-paths path and the session
	// was proved with a password only; the page should ask for the second
	// factor (reauth) and try again.
	ReasonStepUp = "step-up"
)

// Blocked is the detail of EventBlocked.
type Blocked struct {
	// To is the destination that was refused (path, search and hash).
	To string
	// Reason is ReasonUnauthenticated, ReasonForbidden, ReasonStepUp or
	// ReasonError.
	Reason string
}

// Navigated is the detail of EventNavigate.
type Navigated struct {
	// URL is the new same-origin target (path, search and hash).
	URL string
	// Path is its path.
	Path string
	// SignIn reports whether this is the module's own move to the sign-in
	// page after a refusal or an expiry.
	SignIn bool
}

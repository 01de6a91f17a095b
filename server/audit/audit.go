// Package audit names sessionguard's security events. Each is a log record
// (log/slog) whose Key attribute holds one of the names below; log searches
// and the webhook alerts of server/alert select records by that name, so
// it never changes once released. Every package that logs an event, and
// every one that reads them, takes its name from here.
package audit

import "log/slog"

// Key is the attribute that holds the event's name.
const Key = "event"

// The security events.
const (
	// SignInSuccess: a correct password, and a session issued.
	SignInSuccess = "signin_success"
	// SignInFailure: an unknown e-mail or a wrong password.
	SignInFailure = "signin_failure"
	// SignInRateLimited: a sign-in or password change refused by the
	// failure limits (429).
	SignInRateLimited = "signin_rate_limited"
	// SignInDisabled: a correct password for a disabled account.
	SignInDisabled = "signin_disabled"
	// NewDevice: a sign-in from a device that had not signed in to the
	// account before.
	NewDevice = "new_device"
	// NewAddress: a session used from another client address than the one
	// it was signed in from.
	NewAddress = "new_address"
	// RefreshTokenReuse: a spent refresh token redeemed again (jwt): taken
	// for theft, so its whole session was ended.
	RefreshTokenReuse = "refresh_token_reuse"
	// PasswordChanged: a user changed their password.
	PasswordChanged = "password_changed"
	// RoleChanged: an administrator changed a user's role.
	RoleChanged = "role_changed"
	// AccountDisabled: an administrator disabled or enabled an account.
	AccountDisabled = "account_disabled"
	// SessionsRevoked: sessions ended by their user or an administrator.
	SessionsRevoked = "sessions_revoked"
	// TwoFactorEnabled: a user turned two-factor authentication on.
	TwoFactorEnabled = "two_factor_enabled"
	// TwoFactorDisabled: a user turned two-factor authentication off.
	TwoFactorDisabled = "two_factor_disabled"
	// RecoveryCodeUsed: a sign-in completed with a recovery code instead
	// of the authenticator app.
	RecoveryCodeUsed = "recovery_code_used"
	// TwoFactorFailure: a wrong, replayed or used code at a second-factor
	// step.
	TwoFactorFailure = "two_factor_failure"
)

// Event returns the attribute that names a record's event.
func Event(name string) slog.Attr { return slog.String(Key, name) }

package wire

// Device is one session in a device list: a public handle, never the
// session id or token. Times are in TimeFormat.
type Device struct {
	Handle     string `json:"handle"`
	Device     string `json:"device"`
	UserAgent  string `json:"userAgent"`
	ClientAddr string `json:"clientAddr"`
	CreatedAt  string `json:"createdAt"`
	LastSeen   string `json:"lastSeen"`
	Expires    string `json:"expires"`
	// Current reports whether this is the session of the request.
	Current bool `json:"current"`
}

// DevicesResponse is the 200 answer of GET PathSessions (the user's
// sessions) and GET PathAdminUsers/{id}/sessions, newest first.
type DevicesResponse struct {
	Sessions []Device `json:"sessions"`
}

// Account is an account as the admin API shows it (never the password
// hash). CreatedAt is in TimeFormat.
type Account struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	Disabled  bool   `json:"disabled"`
	CreatedAt string `json:"createdAt"`
}

// AccountsResponse is the 200 answer of GET PathAdminUsers.
type AccountsResponse struct {
	Users []Account `json:"users"`
}

// UpdateUserRequest is the body of PATCH PathAdminUsers/{id}: the members
// present are changed (at least one). The 200 answer is the Account.
type UpdateUserRequest struct {
	Role     *string `json:"role,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// ChangePasswordRequest is the body of POST PathPassword; the 200 answer is
// a RefreshResponse with the rotated session.
type ChangePasswordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// RevokeResponse is the 200 answer of the requests that end sessions.
type RevokeResponse struct {
	// Current is sent by DELETE PathSessions/{handle} only: whether the
	// session ended was the one of the request.
	Current *bool `json:"current,omitempty"`
	// Revoked is how many sessions ended: a number, or the string "all"
	// from DELETE PathAdminUsers/{id}/sessions.
	Revoked any `json:"revoked"`
}

// TwoFactorRequired is the 200 answer of POST PathSignIn for an account
// with a second factor: the right password, no session yet. The second
// step (PathTwoFactorCheck) completes it.
//
// In bearer mode (PathToken) Challenge carries the step's credential,
// which a cookie carries otherwise: the client sends it back with the code
// to PathTokenTwoFactor. It works once and for five minutes.
type TwoFactorRequired struct {
	TwoFactorRequired bool     `json:"twoFactorRequired"`
	Methods           []string `json:"methods"`
	Challenge         string   `json:"challenge,omitempty"`
}

// The methods of TwoFactorRequired.
const (
	MethodTOTP     = "totp"
	MethodRecovery = "recovery"
)

// TOTPSetupResponse is the 200 answer of POST PathTOTPSetup: the secret
// in base32, the otpauth:// URI, and a QR code of the URI as a data: URL
// of a PNG image. The second factor is on only once confirmed.
type TOTPSetupResponse struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
	QR     string `json:"qr"`
}

// CodeRequest is the body of POST PathTOTPConfirm and PathTOTPDisable.
type CodeRequest struct {
	Code string `json:"code"`
}

// RecoveryCodesResponse is the 200 answer of POST PathTOTPConfirm: the
// recovery codes, shown once.
type RecoveryCodesResponse struct {
	RecoveryCodes []string `json:"recoveryCodes"`
}

// TwoFactorVerifyRequest is the body of POST PathTwoFactorCheck: a TOTP
// code or a recovery code. The answer is a SignInResponse.
//
// PathTokenTwoFactor takes the same body with Challenge, the value
// PathToken answered.
type TwoFactorVerifyRequest struct {
	Code         string `json:"code,omitempty"`
	RecoveryCode string `json:"recoveryCode,omitempty"`
	Challenge    string `json:"challenge,omitempty"`
}

// ReauthRequest is the body of POST PathReauth; Code is needed when the
// account has a second factor. The answer is a RefreshResponse.
type ReauthRequest struct {
	Password string `json:"password"`
	Code     string `json:"code,omitempty"`
}

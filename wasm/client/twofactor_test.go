package client_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

// capture answers with a and keeps the requests' bodies.
func capture(a func(client.Request) (*client.Response, error), bodies *[]any) func(client.Request) (*client.Response, error) {
	return func(r client.Request) (*client.Response, error) {
		if r.Body != nil {
			*bodies = append(*bodies, r.Body)
		} else {
			*bodies = append(*bodies, r.JSON)
		}
		return a(r)
	}
}

// TestSignInWithSecondFactor: the right password of an enrolled account
// resolves twoFactorRequired (no session, the page stays); the second
// step with a code signs in (aal2) and goes to the redirect the server
// kept; a wrong code and the limits answer as a sign-in's.
func TestSignInWithSecondFactor(t *testing.T) {
	h := start(t, as(nil))
	h.b.handle(wire.PathSignIn, answer(200, `{"twoFactorRequired":true,"methods":["totp","recovery"]}`))
	r := h.c.SignIn("user@example.com", "user-password", "/dashboard")
	assert.Equal(t, client.Result{Error: client.MsgTwoFactor, TwoFactorRequired: true, Methods: []string{"totp", "recovery"}, Status: 200}, r)
	assert.JSONEq(t, `{"ok":false,"error":"`+client.MsgTwoFactor+`","twoFactorRequired":true,"methods":["totp","recovery"],"status":200}`, r.JSON())
	assert.Nil(t, h.c.Session())
	assert.Equal(t, "/public?from=test", h.b.url())

	h.b.handle(wire.PathTwoFactorCheck, answer(401, `{"error":"wrong code"}`))
	assert.Equal(t, client.Result{Error: client.MsgWrongCode, Status: 401}, h.c.VerifyTwoFactor("000000", false))
	h.b.handle(wire.PathTwoFactorCheck, answer(429, `{"error":"too many"}`, "Retry-After", "30"))
	assert.Equal(t, 30, h.c.VerifyTwoFactor("000000", false).RetryAfter)

	aal2 := *userSession
	aal2.AAL, aal2.AuthenticatedAt = wire.AAL2, wireTime(t0)
	var bodies []any
	h.b.handle(wire.PathTwoFactorCheck, capture(signInOK(&aal2, "/dashboard"), &bodies))
	assert.Equal(t, client.Result{OK: true, RedirectURL: "/dashboard", Status: 200}, h.c.VerifyTwoFactor("123456", false))
	assert.Equal(t, &aal2, h.c.Session())
	assert.Equal(t, "/dashboard", h.b.url())
	h.c.SignOut("/")
	require.True(t, h.c.VerifyTwoFactor("abcd-efgh", true).OK)
	assert.Equal(t, []any{map[string]string{"code": "123456"}, map[string]string{"recoveryCode": "abcd-efgh"}}, bodies)
}

// TestReauthRotatesTheSession: reauth posts the password (and a code),
// and the rotated session the server answers becomes the Client's; a
// wrong password leaves the session as it is.
func TestReauthRotatesTheSession(t *testing.T) {
	h := start(t, as(userSession))
	h.b.handle(wire.PathReauth, answer(401, `{"error":"the current password is wrong"}`))
	assert.Equal(t, client.Result{Error: "The current password is wrong.", Status: 401}, h.c.Reauth("nope", ""))
	assert.Equal(t, userSession, h.c.Session())

	proved := *userSession
	proved.AAL, proved.AuthenticatedAt = wire.AAL2, wireTime(t0)
	var bodies []any
	h.b.handle(wire.PathReauth, capture(answer(200, `{"session":`+mustJSON(&proved)+`}`), &bodies))
	assert.Equal(t, client.Result{OK: true, Status: 200}, h.c.Reauth("user-password", "123456"))
	assert.Equal(t, &proved, h.c.Session())
	assert.Equal(t, []any{map[string]string{"password": "user-password", "code": "123456"}}, bodies)
}

// TestTOTPEnrolment: setup hands the page the secret, URI and QR code;
// confirm the recovery codes; disable a plain result; answers without what
// they promise are bad answers.
func TestTOTPEnrolment(t *testing.T) {
	h := start(t, as(userSession))
	h.b.handle(wire.PathTOTPSetup, answer(200, `{"secret":"JBSWY3DPEHPK3PXP","uri":"otpauth://totp/sessionguard:user@example.com?secret=JBSWY3DPEHPK3PXP","qr":"data:image/png;base64,AA=="}`))
	r := h.c.TOTPSetup()
	assert.Equal(t, client.Result{OK: true, Status: 200, Secret: "JBSWY3DPEHPK3PXP", URI: "otpauth://totp/sessionguard:user@example.com?secret=JBSWY3DPEHPK3PXP", QR: "data:image/png;base64,AA=="}, r)
	assert.JSONEq(t, `{"ok":true,"status":200,"secret":"JBSWY3DPEHPK3PXP","uri":"otpauth://totp/sessionguard:user@example.com?secret=JBSWY3DPEHPK3PXP","qr":"data:image/png;base64,AA=="}`, r.JSON())

	var bodies []any
	h.b.handle(wire.PathTOTPConfirm, capture(answer(200, `{"recoveryCodes":["a-1","b-2"]}`), &bodies))
	assert.Equal(t, []string{"a-1", "b-2"}, h.c.TOTPConfirm(`12"3456`).RecoveryCodes)
	assert.Equal(t, []any{`{"code":"12\"3456"}`}, bodies, "the code is JSON-escaped")
	h.b.handle(wire.PathTOTPConfirm, answer(400, `{"error":"wrong code; enter the code your app shows now"}`))
	assert.Equal(t, client.Result{Error: "Wrong code; enter the code your app shows now.", Status: 400}, h.c.TOTPConfirm("000000"))

	h.b.handle(wire.PathTOTPDisable, answer(200, `{}`))
	assert.Equal(t, client.Result{OK: true, Status: 200}, h.c.TOTPDisable("123456"))

	h.b.handle(wire.PathTOTPSetup, answer(200, `{}`))
	assert.Equal(t, client.Result{Error: client.MsgBadAnswer, Status: 200}, h.c.TOTPSetup())
	h.b.handle(wire.PathTOTPConfirm, answer(200, `{"recoveryCodes":[]}`))
	assert.Equal(t, client.Result{Error: client.MsgBadAnswer, Status: 200}, h.c.TOTPConfirm("123456"))
}

// TestReauthRequiredIsAnnounced: an API call the server refuses until the
// session is proved again dispatches sessionguard:reauth with the code and
// path, and the result carries the code, so the page can ask and retry;
// other refusals do not.
func TestReauthRequiredIsAnnounced(t *testing.T) {
	h := start(t, as(userSession))
	h.b.handle(wire.PathRevokeOthers, answer(403, `{"error":"sign in again to do this","code":"reauth_required"}`))
	r := h.c.EndOtherSessions()
	assert.Equal(t, client.CodeReauthRequired, r.Code)
	assert.Equal(t, 403, r.Status)
	assert.Equal(t, []any{client.Reauth{Code: client.CodeReauthRequired, Path: wire.PathRevokeOthers}}, h.b.eventsNamed(client.EventReauth))

	h.b.handle(wire.PathTOTPDisable, answer(403, `{"error":"this needs a session proved with a second factor","code":"aal2_required"}`))
	assert.Equal(t, client.CodeAAL2Required, h.c.TOTPDisable("123456").Code)
	assert.Len(t, h.b.eventsNamed(client.EventReauth), 2)

	h.b.handle(wire.PathRevokeOthers, answer(403, `{"error":"cross-origin request refused"}`))
	assert.Empty(t, h.c.EndOtherSessions().Code)
	assert.Len(t, h.b.eventsNamed(client.EventReauth), 2, "another refusal is not a reauth")
}

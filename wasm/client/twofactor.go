package client

import (
	"errors"

	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"github.com/sessionguard/sessionguard/wire"
)

// The second factor and step-up (docs/API.md): the second step of a sign-in
// whose password was right (VerifyTwoFactor), proving the session again
// (Reauth), and enrolling and removing an authenticator app (TOTPSetup,
// TOTPConfirm, TOTPDisable). A sensitive call refused until the session is
// proved again dispatches EventReauth (see fetch); the page asks, calls
// Reauth and tries again.

// VerifyTwoFactor completes a sign-in that answered TwoFactorRequired, with
// a code of the authenticator app or, when recovery is true, a recovery
// code (POST wire.PathTwoFactorCheck; the server's short-lived challenge
// cookie ties it to the password step). On success it is a sign-in: the
// session (aal2) becomes the Client's and the page navigates to the redirect
// URL of the first step. A wrong, replayed or used code is a 401; too many
// are 429 with RetryAfter. It blocks.
func (c *Client) VerifyTwoFactor(code string, recovery bool) Result {
	if !c.Ready() {
		return Result{Error: MsgServer}
	}
	c.pauseStream()
	defer c.resumeStream()
	body := map[string]string{"code": code}
	if recovery {
		body = map[string]string{"recoveryCode": code}
	}
	resp, err := c.fetch(Request{Method: "POST", URL: wire.PathTwoFactorCheck, Body: body})
	switch {
	case errors.Is(err, ErrNetwork):
		return Result{Error: MsgNetwork}
	case resp.Status == 200 && err == nil:
		return c.signedIn(resp)
	case resp.Status == 401:
		r := failure(resp, err)
		if r.Error == "Wrong code." {
			r.Error = MsgWrongCode
		}
		return r
	case resp.Status == 429:
		secs := retryAfter(resp.Header[headerRetryAfter], c.now())
		return Result{Error: tooMany(secs), RetryAfter: secs, Status: 429}
	}
	return failure(resp, err)
}

// Reauth proves the session again (POST wire.PathReauth): the password,
// and code when the account has a second factor. The server rotates the
// session (a new id, authenticatedAt now, aal2 with a code, the absolute
// cap unchanged); on success it is the Client's and the other tabs adopt
// it. It runs under the refresh lock with the stream paused, as a password
// change does. It blocks.
func (c *Client) Reauth(password, code string) Result {
	body := map[string]string{"password": password}
	if code != "" {
		body["code"] = code
	}
	return c.rotate(Request{Method: "POST", URL: wire.PathReauth, Body: body})
}

// TOTPSetup starts enrolling an authenticator app (POST wire.PathTOTPSetup;
// a session proved recently): Result.Secret, URI and QR to show. The
// second factor is on only once TOTPConfirm takes a first code.
func (c *Client) TOTPSetup() Result {
	r, body := c.act("POST", wire.PathTOTPSetup, "{}")
	if r.OK {
		r.Secret, _ = str(body, "secret")
		r.URI, _ = str(body, "uri")
		r.QR, _ = str(body, "qr")
		if r.Secret == "" || r.URI == "" {
			return Result{Error: MsgBadAnswer, Status: 200}
		}
	}
	return r
}

// TOTPConfirm turns the second factor on with a first code of the app
// (POST wire.PathTOTPConfirm): Result.RecoveryCodes are shown once.
func (c *Client) TOTPConfirm(code string) Result {
	r, body := c.act("POST", wire.PathTOTPConfirm, codeJSON(code))
	if r.OK {
		codes, ok := strs(get(body, "recoveryCodes"))
		if !ok || len(codes) == 0 {
			return Result{Error: MsgBadAnswer, Status: 200}
		}
		r.RecoveryCodes = codes
	}
	return r
}

// TOTPDisable turns the second factor off (POST wire.PathTOTPDisable; a
// session proved recently with the second factor), with a code of the app.
func (c *Client) TOTPDisable(code string) Result {
	r, _ := c.act("POST", wire.PathTOTPDisable, codeJSON(code))
	return r
}

// codeJSON is the body {"code": code}.
func codeJSON(code string) string {
	return string(lite.AppendJSONString([]byte(`{"code":`), code)) + "}"
}

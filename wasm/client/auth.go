package client

import (
	"errors"
	"strconv"
	"strings"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"github.com/sessionguard/sessionguard/wire"
)

// Result is the outcome of SignIn and SignOut, as the page sees it.
type Result struct {
	// OK reports whether the server signed the visitor in (or out).
	OK bool
	// Error is a message for a person when OK is false.
	Error string
	// RedirectURL is where the page went (a safe same-origin path).
	RedirectURL string
	// RetryAfter is how many seconds to wait before the next attempt when
	// sign-in attempts are rate limited (HTTP 429); 0 otherwise.
	RetryAfter int
	// Status is the HTTP status of the answer; 0 when there was none.
	Status int
	// Revoked is how many sessions EndOtherSessions ended.
	Revoked int
	// Code is the server's code for a refusal the page can act on
	// (CodeReauthRequired, CodeAAL2Required, CodeEnrollmentRequired).
	Code string
	// TwoFactorRequired: the password was right and the account has a
	// second factor; VerifyTwoFactor completes the sign-in. Methods are
	// the ways it takes (wire.MethodTOTP, wire.MethodRecovery).
	TwoFactorRequired bool
	Methods           []string
	// Secret, URI and QR are TOTPSetup's: the secret in base32, the
	// otpauth:// URI and its QR code as a data: URL.
	Secret, URI, QR string
	// RecoveryCodes are TOTPConfirm's, shown once.
	RecoveryCodes []string
}

// Messages of failed sign-ins, for a person.
const (
	MsgInvalidCredentials = "The e-mail address or password is wrong."
	MsgNetwork            = "Could not reach the server. Check your connection and try again."
	MsgServer             = "The server could not complete the request. Please try again in a moment."
	MsgBadAnswer          = "The server sent an unexpected answer. Please try again."
	MsgTooLarge           = "The request is too large."
	MsgRefused            = "The request was refused."
	MsgTwoFactor          = "Enter the code from your authenticator app, or a recovery code."
	MsgWrongCode          = "The code is wrong, or was used already."
)

// SignIn posts the credentials to POST /api/auth/signin. On success the
// session is the one the server issued, the other tabs are told, and the
// page navigates to the redirect URL the server answered (made safe again
// with policy.SafeRedirect) before SignIn returns. It blocks.
func (c *Client) SignIn(email, password, redirectURL string) Result {
	if !c.Ready() {
		return Result{Error: MsgServer}
	}
	c.pauseStream() // the old session's ending is no news
	defer c.resumeStream()
	resp, err := c.fetch(Request{Method: "POST", URL: wire.PathSignIn, Body: map[string]string{
		"email": email, "password": password, "redirectUrl": redirectURL,
	}})
	if errors.Is(err, ErrNetwork) {
		return Result{Error: MsgNetwork}
	}
	switch resp.Status {
	case 200:
		if err != nil {
			return Result{Error: MsgBadAnswer, Status: 200}
		}
	case 401:
		return Result{Error: MsgInvalidCredentials, Status: 401}
	case 429:
		secs := retryAfter(resp.Header[headerRetryAfter], c.now())
		return Result{Error: tooMany(secs), RetryAfter: secs, Status: 429}
	default:
		return failure(resp, nil)
	}
	if v := get(resp.Body, "twoFactorRequired"); v != nil {
		if on, _ := v.AsBool(); on {
			methods, _ := strs(resp.Body.Get("methods"))
			return Result{Error: MsgTwoFactor, TwoFactorRequired: true, Methods: methods, Status: 200}
		}
	}
	return c.signedIn(resp)
}

// signedIn takes the 200 answer of a sign-in (or of its second step): the
// session it issued becomes the Client's, the other tabs are told, and
// the page navigates to the redirect URL (made safe again).
func (c *Client) signedIn(resp *Response) Result {
	s, err := DecodeSession(get(resp.Body, "session"))
	if err != nil || s == nil {
		return Result{Error: MsgBadAnswer, Status: resp.Status}
	}
	dest, _ := str(resp.Body, "redirectUrl")
	dest = policy.SafeRedirect(dest)
	c.effects.Lock()
	c.setSession(s, accessHeader(resp), true)
	c.effects.Unlock()
	<-c.navigate(navPush, dest, -1, true).done
	return Result{OK: true, RedirectURL: dest, Status: 200}
}

// SignOut posts to POST /api/auth/signout. On success the session is gone,
// the other tabs are told, and the page navigates to the redirect URL the
// server answered (made safe again) before SignOut returns. On failure the
// session is left as it is, since the server may still hold it. It blocks.
func (c *Client) SignOut(redirectURL string) Result {
	if !c.Ready() {
		return Result{Error: MsgServer}
	}
	c.pauseStream() // this tab's own sign-out is no news to its stream
	defer c.resumeStream()
	body := map[string]string{}
	if redirectURL != "" {
		body["redirectUrl"] = redirectURL
	}
	resp, err := c.fetch(Request{Method: "POST", URL: wire.PathSignOut, Body: body})
	if errors.Is(err, ErrNetwork) || resp.Status != 200 {
		return failure(resp, err)
	}
	dest, _ := str(resp.Body, "redirectUrl")
	if dest == "" {
		dest = redirectURL
	}
	dest = policy.SafeRedirect(dest)
	c.effects.Lock()
	c.setSession(nil, lite.Time{}, true)
	c.effects.Unlock()
	<-c.navigate(navPush, dest, -1, true).done
	return Result{OK: true, RedirectURL: dest, Status: 200}
}

// failure turns a failed request into a Result with a message for a person.
func failure(resp *Response, err error) Result {
	switch {
	case errors.Is(err, ErrNetwork):
		return Result{Error: MsgNetwork}
	case resp == nil:
		return Result{Error: MsgBadAnswer}
	}
	r := Result{Status: resp.Status}
	r.Code, _ = str(resp.Body, "code")
	msg := decodeError(resp.Body)
	switch {
	case resp.Status == 413:
		r.Error = MsgTooLarge
	case resp.Status >= 500:
		r.Error = MsgServer
	case msg != "":
		r.Error = sentence(msg)
	case resp.Status == 403:
		r.Error = MsgRefused
	default:
		r.Error = MsgBadAnswer
	}
	return r
}

// sentence makes a server's lower-case message read as a sentence.
func sentence(msg string) string {
	msg = lite.TrimSpace(msg)
	if msg == "" {
		return msg
	}
	if c := msg[0]; 'a' <= c && c <= 'z' {
		msg = string(c-'a'+'A') + msg[1:]
	}
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now lite.Time) int {
	v = lite.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, ok := lite.Atoi(v); ok {
		return n
	}
	if t, err := lite.ParseHTTPDate(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return int((d + lite.Second - 1) / lite.Second)
		}
	}
	return 0
}

func tooMany(secs int) string {
	const msg = "Too many sign-in attempts."
	switch {
	case secs <= 0:
		return msg + " Please wait a moment and try again."
	case secs == 1:
		return msg + " Try again in 1 second."
	}
	return msg + " Try again in " + strconv.Itoa(secs) + " seconds."
}

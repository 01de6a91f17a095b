package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"time"

	"github.com/sessionguard/sessionguard/server/users"
	"github.com/sessionguard/sessionguard/wire"
)

// Sentinel errors: every refusal the HTTP layer answers. A handler returns
// one (or wraps one, with a detail for the client: "malformed JSON body:
// email must be a string"), and fail answers it with the status code
// statusOf maps it to. The client reads the error's own message for a 4xx,
// which is only ever about its request, and the sentinel's alone for a
// 5xx, whose cause goes to the log.
var (
	// 400
	errMalformedPath        = errors.New("malformed path")
	errMalformedContentType = errors.New("malformed Content-Type header")
	errMalformedJSON        = errors.New("malformed JSON body")
	errMalformedForm        = errors.New("malformed form body")
	errMalformedMultipart   = errors.New("malformed multipart form")
	errUnreadableBody       = errors.New("could not read request body")
	errMissingCredentials   = errors.New("email and password are required")
	errMissingPasswords     = errors.New("currentPassword and newPassword are required")
	errNothingToChange      = errors.New("nothing to change: send role and/or disabled")
	errMissingCode          = errors.New("a code is required")
	errMissingPassword      = errors.New("password is required")
	errWrongConfirmCode     = errors.New("wrong code; enter the code your app shows now")
	errNotPending           = errors.New("no two-factor enrolment to confirm; set it up first")
	errTwoFactorOff         = errors.New("two-factor authentication is off")
	// errMixedCredentials (bearer.go) is a 400 too.
	// 401
	errNotSignedIn         = errors.New("not signed in")
	errInvalidCredentials  = errors.New("invalid credentials")
	errWrongPassword       = errors.New("the current password is wrong")
	errRefreshReused       = errors.New("refresh token reused; the session has been ended")
	errRefreshInvalid      = errors.New("no valid refresh token; sign in again")
	errNoServiceCredential = errors.New("a service credential is required (Authorization: Bearer)")
	errWrongCode           = errors.New("wrong code")
	errNoChallenge         = errors.New("no sign-in waits for a second factor; sign in again")
	// 403
	errCrossOrigin     = errors.New("cross-origin request refused")
	errNeedsRole       = errors.New("this needs another role") // answered as roleRequired says
	errDisabled        = errors.New("this account is disabled")
	errAccountDisabled = errors.New("account disabled")
	// The refusals with a code (wire.Error.Code): see codes.
	errReauthRequired     = errors.New("this needs a recent sign-in; confirm your password")
	errAAL2Required       = errors.New("this needs a sign-in with a second factor")
	errEnrollmentRequired = errors.New("set up two-factor authentication first")
	// 404
	errNotFound = errors.New("not found")
	// 409
	errTwoFactorOn   = errors.New("two-factor authentication is on already; disable it first")
	errNoSuchSession = errors.New("no such session")
	errNoSuchUser    = errors.New("no such user")
	// 405
	errMethodNotAllowed = errors.New("method not allowed")
	// 413
	errTooLarge = errors.New("request body over 64 KiB")
	// 415
	errUnsupportedType = errors.New("unsupported Content-Type")
	// 421
	errMisdirected = errors.New("this server does not answer for that host name")
	// 429 (with Retry-After: see retryAfter)
	errSignInLimited  = errors.New("too many failed sign-in attempts")
	errTooManyStreams = errors.New("too many open event streams")
	// 500
	errInternal = errors.New("internal error")
	// 503
	errStoreUnavailable   = errors.New("session store unavailable; try again shortly")
	errSignInUnavailable  = errors.New("sign-in is unavailable; try again shortly")
	errSignOutUnavailable = errors.New("could not end the session; try again shortly")
	errHealth             = errors.New("store unavailable")
	errEventsUnavailable  = errors.New("live events unavailable; try again shortly")
	// errAccessChanged: the account's role changed while its session was
	// being issued, and again while it was issued once more; no session is
	// left (issueSession).
	errAccessChanged = errors.New("the account's access changed while signing in; try again")
)

// statuses maps each sentinel to its status code. Server-side failures come
// first, so a cause they wrap never decides the answer. The users package's
// errors that are answered as they are (their messages are written for
// people) are here too.
var statuses = []struct {
	code int
	errs []error
}{
	{http.StatusServiceUnavailable, []error{errStoreUnavailable, errSignInUnavailable, errSignOutUnavailable,
		errHealth, errEventsUnavailable, errAccessChanged}},
	{http.StatusInternalServerError, []error{errInternal}},
	{http.StatusBadRequest, []error{errMalformedPath, errMalformedContentType, errMalformedJSON, errMalformedForm,
		errMalformedMultipart, errUnreadableBody, errMissingCredentials, errMissingPasswords, errNothingToChange,
		errMissingCode, errMissingPassword, errWrongConfirmCode, errNotPending, errTwoFactorOff,
		errMixedCredentials, users.ErrInvalidAccount}},
	{http.StatusUnauthorized, []error{errNotSignedIn, errNoServiceCredential, errInvalidCredentials, errWrongPassword, errRefreshReused,
		errRefreshInvalid, errWrongCode, errNoChallenge}},
	{http.StatusForbidden, []error{errCrossOrigin, errNeedsRole, errDisabled, errAccountDisabled,
		errReauthRequired, errAAL2Required, errEnrollmentRequired}},
	{http.StatusNotFound, []error{errNotFound, errNoSuchSession, errNoSuchUser}},
	{http.StatusMethodNotAllowed, []error{errMethodNotAllowed}},
	{http.StatusConflict, []error{users.ErrLastAdmin, errTwoFactorOn}},
	{http.StatusRequestEntityTooLarge, []error{errTooLarge}},
	{http.StatusUnsupportedMediaType, []error{errUnsupportedType}},
	{http.StatusMisdirectedRequest, []error{errMisdirected}},
	{http.StatusTooManyRequests, []error{errSignInLimited, errTooManyStreams}},
}

// codes are the refusals a client can act on, with the code of their
// answer (wire.Error.Code).
var codes = []struct {
	err  error
	code string
}{
	{errReauthRequired, wire.CodeReauthRequired},
	{errAAL2Required, wire.CodeAAL2Required},
	{errEnrollmentRequired, wire.CodeEnrollmentRequired},
}

// codeOf returns the code of err's answer; "" for most.
func codeOf(err error) string {
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return ""
}

// statusOf returns the status code that answers err and the sentinel that
// decided it: 500 and errInternal for an error it does not know (a bug).
func statusOf(err error) (int, error) {
	for _, row := range statuses {
		for _, sentinel := range row.errs {
			if errors.Is(err, sentinel) {
				return row.code, sentinel
			}
		}
	}
	return http.StatusInternalServerError, errInternal
}

// failure is a failure on the server's side: answered as kind (a 5xx
// sentinel), logged as msg with its cause by fail.
type failure struct {
	kind  error
	msg   string
	cause error
}

// failed returns a failure: kind answers it, msg and cause are logged.
func failed(kind error, msg string, cause error) error {
	return &failure{kind: kind, msg: msg, cause: cause}
}

// storeFailed is a store failure while the request tried to do what ("list
// sessions"): 503.
func storeFailed(what string, cause error) error {
	return failed(errStoreUnavailable, "could not "+what, cause)
}

func (f *failure) Error() string { return f.msg + ": " + f.cause.Error() }

func (f *failure) Unwrap() []error { return []error{f.kind, f.cause} }

// retryAfter is a 429 that tells the client when to try again: after wait,
// which Retry-After says in whole seconds.
type retryAfter struct {
	err  error
	wait time.Duration
}

func (e *retryAfter) Error() string { return e.err.Error() }

func (e *retryAfter) Unwrap() error { return e.err }

// seconds is the wait in whole seconds, at least one.
func (e *retryAfter) seconds() int { return max(1, int(math.Ceil(e.wait.Seconds()))) }

// signInLimited refuses a sign-in or password change over the failure
// limits: try again after wait.
func signInLimited(wait time.Duration) error {
	e := &retryAfter{wait: wait}
	e.err = fmt.Errorf("%w; try again in %d seconds", errSignInLimited, e.seconds())
	return e
}

// roleRequired refuses a signed-in visitor without the role: 403.
type roleRequired string

func (e roleRequired) Error() string { return "this needs the " + string(e) + " role" }

func (e roleRequired) Unwrap() error { return errNeedsRole }

func errAttr(err error) slog.Attr { return slog.String("error", err.Error()) }

package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/server/audit"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/users"
	"github.com/sessionguard/sessionguard/wire"
)

// hashQueueTimeout bounds how long a sign-in waits for a free hashing slot
// before it is answered 503.
const hashQueueTimeout = 10 * time.Second

// signIn answers POST /api/auth/signin. Every attempt is counted by the
// outcome its answer tells; a plain HTML form submission's refusal goes back
// to the form's page with ?error=<code> (backToForm).
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	pending, err := s.trySignIn(w, r)
	code := http.StatusOK
	if err != nil {
		code, _ = statusOf(err)
	}
	if pending {
		s.cfg.Metrics.SignIn("second_factor") // the code step counts the outcome
	} else {
		s.cfg.Metrics.SignIn(signInOutcome(code))
	}
	if err != nil && isFormNavigation(r) {
		s.backToForm(w, r, err)
		return nil
	}
	return err
}

// signInOutcome is the sign-in metric's outcome of an answer with code.
func signInOutcome(code int) string {
	switch {
	case code < 400:
		return "success"
	case code == http.StatusUnauthorized:
		return "failure"
	case code == http.StatusForbidden:
		return "disabled"
	case code == http.StatusTooManyRequests:
		return "rate_limited"
	case code >= 500:
		return "error"
	}
	return "bad_request"
}

// trySignIn checks the credentials under the limits and issues the session;
// pending is true when the right password only started the second-factor
// step.
func (s *Server) trySignIn(w http.ResponseWriter, r *http.Request) (pending bool, err error) {
	form, err := readForm(w, r, "email", "password", "redirectUrl")
	if err != nil {
		return false, err
	}
	email, password := form["email"], form["password"]
	if email == "" || password == "" {
		return false, errMissingCredentials
	}
	normalized := users.NormalizeEmail(email)
	account, knownDevice := s.accountKey(r, normalized)
	address := s.limitAddress(r)
	gate := s.limitGate(r, account, address)
	if err := gate(); errors.Is(err, errSignInLimited) { // refuse before queueing for a hashing slot
		return false, s.limited(r, err)
	} else if err != nil {
		return false, failed(errSignInUnavailable, "sign-in could not read its limits", err)
	}
	ctx, cancel := context.WithTimeout(r.Context(), hashQueueTimeout)
	defer cancel()
	// The gate runs again once a hashing slot is free, so guesses that queued
	// in parallel see the failures recorded meanwhile.
	u, err := s.cfg.Users.AuthenticateGated(ctx, email, password, gate)
	switch {
	case errors.Is(err, errSignInLimited):
		return false, s.limited(r, err)
	case errors.Is(err, users.ErrInvalidCredentials):
		s.recordFailure(r, account, address)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "sign-in failed", audit.Event(audit.SignInFailure),
			slog.String("email", normalized), slog.String("client", address), slog.Bool("known_device", knownDevice))
		return false, errInvalidCredentials
	case errors.Is(err, users.ErrDisabled):
		return false, s.signInDisabled(r, normalized, address)
	case err != nil:
		return false, failed(errSignInUnavailable, "sign-in could not check credentials", err)
	}
	redirect := policy.SafeRedirect(form["redirectUrl"])
	on, err := s.twoFactorOn(r.Context(), u.ID)
	if err != nil {
		return false, failed(errSignInUnavailable, "sign-in could not read the second factor", err)
	}
	if on {
		// The password was right; the code completes the sign-in. The
		// account's failure count stays until it does: a known password
		// must not reset the limits on guessing codes.
		resp := wire.TwoFactorRequired{TwoFactorRequired: true, Methods: []string{wire.MethodTOTP, wire.MethodRecovery}}
		if s.sessions.IsBearer(r) {
			resp.Challenge = s.newChallenge(u.ID, redirect, true)
		} else {
			s.setChallenge(w, u.ID, redirect)
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "second factor required",
			slog.String("user_id", u.ID), slog.String("client", address))
		if isFormNavigation(r) {
			s.toForm(w, r, FormTwoFactorRequired)
			return true, nil
		}
		writeJSON(w, http.StatusOK, resp)
		return true, nil
	}
	if err := s.accounts.Reset(r.Context(), account); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "sign-in could not reset its limit", errAttr(err))
	}
	sess, err := s.issueSession(w, r, u, store.AAL1)
	switch {
	case errors.Is(err, errIssueDisabled):
		return false, s.signInDisabled(r, normalized, address)
	case errors.Is(err, errAccessChanged):
		return false, err
	case err != nil:
		return false, fmt.Errorf("%w: %w", errSignInUnavailable, err)
	}
	s.signedIn(w, r, u, address)
	if isFormNavigation(r) {
		seeOther(w, redirect)
		return false, nil
	}
	out, err := s.wireSession(r.Context(), sess)
	if err != nil {
		out = sess.Wire() // signed in all the same; every request checks again
	}
	setAccessExpires(w, sess)
	writeJSON(w, http.StatusOK, wire.SignInResponse{Session: out, RedirectURL: redirect, Tokens: tokensOf(sess)})
	return false, nil
}

// signedIn remembers the device of a completed sign-in of u and logs it.
// A bearer-mode client gets no device cookie: each of its sign-ins counts
// as one from a new device.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, u store.User, address string) {
	newDevice := true
	if !s.sessions.IsBearer(r) {
		newDevice = s.device.remember(w, r, u.Email, s.cfg.Now())
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "signed in", audit.Event(audit.SignInSuccess),
		slog.String("user_id", u.ID), slog.String("client", address), slog.Bool("new_device", newDevice))
	if newDevice {
		s.security(r.Context(), audit.NewDevice, u.ID, r, slog.String("device", deviceLabel(r.UserAgent())))
	}
}

// signInDisabled logs a correct password for a disabled account and
// returns its refusal.
func (s *Server) signInDisabled(r *http.Request, email, address string) error {
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "sign-in to a disabled account", audit.Event(audit.SignInDisabled),
		slog.String("email", email), slog.String("client", address))
	return errDisabled
}

// refresh answers POST /api/auth/refresh (jwt strategy): the refresh cookie
// buys a new access token and a new refresh token. A reused refresh token
// ends its whole session.
func (s *Server) refresh(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.sessions.Refresh(w, r)
	if err != nil {
		return refreshError(err)
	}
	s.noteAddress(r.Context(), r, sess)
	setAccessExpires(w, sess)
	writeJSON(w, http.StatusOK, wire.RefreshResponse{Session: sess.Wire()})
	return nil
}

// refreshError is the refusal that answers a failed refresh.
func refreshError(err error) error {
	switch {
	case errors.Is(err, session.ErrRefreshReused):
		return errRefreshReused
	case errors.Is(err, session.ErrRefreshInvalid):
		return errRefreshInvalid
	}
	return failed(errStoreUnavailable, "refresh failed", err)
}

// signOut answers POST /api/auth/signout; a plain HTML form submission's
// refusal goes back to the form's page, as sign-in's does.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	err := s.trySignOut(w, r)
	if err != nil && isFormNavigation(r) {
		s.backToForm(w, r, err)
		return nil
	}
	return err
}

// trySignOut ends the request's session.
func (s *Server) trySignOut(w http.ResponseWriter, r *http.Request) error {
	form, err := readForm(w, r, "redirectUrl")
	if err != nil {
		return err
	}
	if err := s.sessions.SignOut(w, r); err != nil {
		return failed(errSignOutUnavailable, "sign-out could not end the session", err)
	}
	redirect := policy.SafeRedirect(form["redirectUrl"])
	if isFormNavigation(r) {
		seeOther(w, redirect)
		return nil
	}
	writeJSON(w, http.StatusOK, wire.SignOutResponse{RedirectURL: redirect})
	return nil
}

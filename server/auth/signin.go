package auth

import (
	"context"
	"errors"
	"html"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/users"
	"github.com/sessionguard/sessionguard/wire"
)

// hashQueueTimeout bounds how long a sign-in waits for a free hashing slot
// before it is answered 503.
const hashQueueTimeout = 10 * time.Second

// rateLimited is the gate's error: wait this long.
type rateLimited struct{ wait time.Duration }

func (e *rateLimited) Error() string { return "rate limited" }

// signIn answers POST /api/auth/signin.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(w, r, "email", "password", "redirectUrl")
	if err != nil {
		s.cfg.Metrics.SignIn("bad_request")
		s.failSignIn(w, r, err.(*errBody).code, err.Error())
		return
	}
	email, password := form["email"], form["password"]
	if email == "" || password == "" {
		s.cfg.Metrics.SignIn("bad_request")
		s.failSignIn(w, r, http.StatusBadRequest, "email and password are required")
		return
	}
	normalized := users.NormalizeEmail(email)
	account, knownDevice := s.accountKey(r, normalized)
	address := s.limitAddress(r)
	gate := s.limitGate(r, account, address)
	var rl *rateLimited
	if err := gate(); errors.As(err, &rl) { // refuse before queueing for a hashing slot
		s.rateLimited(w, r, rl.wait)
		return
	} else if err != nil {
		s.unavailable(w, r, "sign-in could not read its limits", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), hashQueueTimeout)
	defer cancel()
	// The gate runs again once a hashing slot is free, so guesses that queued
	// in parallel see the failures recorded meanwhile.
	u, err := s.cfg.Users.AuthenticateGated(ctx, email, password, gate)
	switch {
	case errors.As(err, &rl):
		s.rateLimited(w, r, rl.wait)
		return
	case errors.Is(err, users.ErrInvalidCredentials):
		s.cfg.Metrics.SignIn("failure")
		s.recordFailure(r, account, address)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "sign-in failed", slog.String("event", "signin_failure"),
			slog.String("email", normalized), slog.String("client", address), slog.Bool("known_device", knownDevice))
		s.failSignIn(w, r, http.StatusUnauthorized, "invalid credentials")
		return
	case errors.Is(err, users.ErrDisabled):
		s.cfg.Metrics.SignIn("disabled")
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "sign-in to a disabled account", slog.String("event", "signin_disabled"),
			slog.String("email", normalized), slog.String("client", address))
		s.failSignIn(w, r, http.StatusForbidden, "this account is disabled")
		return
	case err != nil:
		s.unavailable(w, r, "sign-in could not check credentials", err)
		return
	}
	if err := s.accounts.Reset(r.Context(), account); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "sign-in could not reset its limit", errAttr(err))
	}
	start := time.Now()
	sess, err := s.issueSession(w, r, u)
	s.cfg.Metrics.Since("issue", start)
	switch {
	case errors.Is(err, errIssueDisabled):
		s.cfg.Metrics.SignIn("disabled")
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "sign-in to a disabled account", slog.String("event", "signin_disabled"),
			slog.String("email", normalized), slog.String("client", address))
		s.failSignIn(w, r, http.StatusForbidden, "this account is disabled")
		return
	case errors.Is(err, errIssueChanged):
		s.cfg.Metrics.SignIn("error")
		s.failSignIn(w, r, http.StatusServiceUnavailable, accessChangedMsg)
		return
	case err != nil:
		s.cfg.Metrics.SignIn("error")
		s.failSignIn(w, r, http.StatusServiceUnavailable, "sign-in is unavailable; try again shortly")
		return
	}
	s.cfg.Metrics.SignIn("success")
	newDevice := s.device.remember(w, r, normalized, s.cfg.Now())
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "signed in", slog.String("event", "signin_success"),
		slog.String("user_id", u.ID), slog.String("client", address), slog.Bool("new_device", newDevice))
	if newDevice {
		s.security(r.Context(), "new_device", u.ID, r, slog.String("device", deviceLabel(r.UserAgent())))
	}
	redirect := policy.SafeRedirect(form["redirectUrl"])
	if isFormNavigation(r) {
		seeOther(w, redirect)
		return
	}
	setAccessExpires(w, sess)
	writeJSON(w, http.StatusOK, wire.SignInResponse{Session: sess.Wire(), RedirectURL: redirect})
}

// refresh answers POST /api/auth/refresh (jwt strategy): the refresh cookie
// buys a new access token and a new refresh token. A reused refresh token
// ends its whole session.
func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sess, err := s.cfg.Sessions.Refresh(w, r)
	s.cfg.Metrics.Since("refresh", start)
	switch {
	case errors.Is(err, session.ErrRefreshReused):
		writeError(w, http.StatusUnauthorized, "refresh token reused; the session has been ended")
	case errors.Is(err, session.ErrRefreshInvalid):
		writeError(w, http.StatusUnauthorized, "no valid refresh token; sign in again")
	case err != nil:
		s.log.LogAttrs(r.Context(), slog.LevelError, "refresh failed", errAttr(err))
		writeError(w, http.StatusServiceUnavailable, "session store unavailable; try again shortly")
	default:
		s.noteAddress(r.Context(), r, sess)
		setAccessExpires(w, sess)
		writeJSON(w, http.StatusOK, wire.RefreshResponse{Session: sess.Wire()})
	}
}

// accountKey is the rate-limit key of a sign-in to email: the account, or
// the account on this device when the device proves it signed in to it
// before (device.go), so failures elsewhere cannot lock its owner out.
func (s *Server) accountKey(r *http.Request, email string) (key string, knownDevice bool) {
	if nonce := s.device.known(r, email); nonce != "" {
		return email + " device:" + nonce, true
	}
	return email, false
}

// limitGate returns the check of both limits, for before and after the
// wait for a hashing slot: a *rateLimited error, a store error, or nil.
func (s *Server) limitGate(r *http.Request, account, address string) func() error {
	return func() error {
		wa, err := s.accounts.Check(r.Context(), account)
		if err != nil {
			return err
		}
		wb, err := s.addresses.Check(r.Context(), address)
		if err != nil {
			return err
		}
		if wait := max(wa, wb); wait > 0 {
			return &rateLimited{wait}
		}
		return nil
	}
}

// recordFailure counts a wrong password against both limits.
func (s *Server) recordFailure(r *http.Request, account, address string) {
	err1 := s.accounts.Fail(r.Context(), account)
	err2 := s.addresses.Fail(r.Context(), address)
	if err := errors.Join(err1, err2); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "could not record a sign-in failure", errAttr(err))
	}
}

// unavailable logs err and answers 503.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request, msg string, err error) {
	s.cfg.Metrics.SignIn("error")
	s.log.LogAttrs(r.Context(), slog.LevelError, msg, errAttr(err))
	s.failSignIn(w, r, http.StatusServiceUnavailable, "sign-in is unavailable; try again shortly")
}

// rateLimited answers 429 with Retry-After in whole seconds.
func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.cfg.Metrics.RateLimited(r.URL.Path)
	if r.URL.Path == wire.PathSignIn {
		s.cfg.Metrics.SignIn("rate_limited")
	}
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "sign-in rate limited", slog.String("event", "signin_rate_limited"),
		slog.String("client", s.cfg.ClientIP.Addr(r)), slog.Int("retry_after", secs))
	s.failSignIn(w, r, http.StatusTooManyRequests, "too many failed sign-in attempts; try again in "+strconv.Itoa(secs)+" seconds")
}

// failSignIn answers an error as JSON, or as a small page for a plain HTML
// form submission.
func (s *Server) failSignIn(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if isFormNavigation(r) {
		errorPage(w, code, "Sign-in failed", msg)
		return
	}
	writeError(w, code, msg)
}

// signOut answers POST /api/auth/signout.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(w, r, "redirectUrl")
	if err != nil {
		writeError(w, err.(*errBody).code, err.Error())
		return
	}
	start := time.Now()
	err = s.cfg.Sessions.SignOut(w, r)
	s.cfg.Metrics.Since("revoke", start)
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "sign-out could not end the session", errAttr(err))
		writeError(w, http.StatusServiceUnavailable, "could not end the session; try again shortly")
		return
	}
	redirect := policy.SafeRedirect(form["redirectUrl"])
	if isFormNavigation(r) {
		seeOther(w, redirect)
		return
	}
	writeJSON(w, http.StatusOK, wire.SignOutResponse{RedirectURL: redirect})
}

// seeOther redirects a form submission to a same-origin path.
func seeOther(w http.ResponseWriter, to string) {
	w.Header().Set("Location", to)
	w.Header()["Cache-Control"] = noStore
	w.WriteHeader(http.StatusSeeOther)
}

// errorPage answers a minimal HTML page (for browsers without script).
func errorPage(w http.ResponseWriter, code int, title, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h["Cache-Control"] = noStore
	setPageHeaders(h)
	w.WriteHeader(code)
	_, _ = w.Write([]byte("<!doctype html><meta charset=utf-8><title>" + html.EscapeString(title) +
		"</title><link rel=stylesheet href=/app.css><main class=error-page><h1>" + html.EscapeString(title) +
		"</h1><p>" + html.EscapeString(msg) + "</p><p><a href=\"/\">Back to the start page</a></p></main>\n"))
}

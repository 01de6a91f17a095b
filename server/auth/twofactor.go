package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/sessionguard/sessionguard/server/audit"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/twofactor"
	"github.com/sessionguard/sessionguard/server/users"
	"github.com/sessionguard/sessionguard/wire"
)

// qrSize is the side of the setup answer's QR code in pixels.
const qrSize = 256

// twoFactorOn reports whether the account's second factor is on; a store
// failure is an error (callers fail closed).
func (s *Server) twoFactorOn(ctx context.Context, userID string) (bool, error) {
	st, err := s.cfg.TwoFactor.State(ctx, userID)
	return st.Enabled, err
}

// setupTOTP answers POST /api/auth/2fa/totp/setup: a new secret, pending
// until confirmed, with its otpauth:// URI and a QR code of it rendered
// here (no third party ever sees the secret).
func (s *Server) setupTOTP(w http.ResponseWriter, r *http.Request) error {
	sess := FromContext(r.Context())
	e, err := s.cfg.TwoFactor.Setup(r.Context(), sess.User.ID, sess.User.Email)
	switch {
	case errors.Is(err, twofactor.ErrEnabled):
		return errTwoFactorOn
	case err != nil:
		return storeFailed("set up two-factor authentication", err)
	}
	png, err := qrcode.Encode(e.URI, qrcode.Medium, qrSize)
	if err != nil {
		return failed(errInternal, "could not render the QR code", err)
	}
	writeJSON(w, http.StatusOK, wire.TOTPSetupResponse{
		Secret: e.Secret, URI: e.URI,
		QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png),
	})
	return nil
}

// codeGate checks the sign-in limits of the session's account before a
// code is checked, and returns how to count a wrong one.
func (s *Server) codeGate(r *http.Request, email string) (fail func(), err error) {
	account, _ := s.accountKey(r, email)
	address := s.limitAddress(r)
	if err := s.limitGate(r, account, address)(); errors.Is(err, errSignInLimited) {
		return nil, s.limited(r, err)
	} else if err != nil {
		return nil, failed(errSignInUnavailable, "could not read the sign-in limits", err)
	}
	return func() {
		s.recordFailure(r, account, address)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "wrong second-factor code", audit.Event(audit.TwoFactorFailure),
			slog.String("email", email), slog.String("client", address))
	}, nil
}

// confirmTOTP answers POST /api/auth/2fa/totp/confirm {code}: the pending
// enrolment turns on and the recovery codes are shown, once. A wrong code
// is 400 and counts toward the sign-in limits.
func (s *Server) confirmTOTP(w http.ResponseWriter, r *http.Request) error {
	sess := FromContext(r.Context())
	var in wire.CodeRequest
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if in.Code == "" {
		return errMissingCode
	}
	fail, err := s.codeGate(r, sess.User.Email)
	if err != nil {
		return err
	}
	codes, err := s.cfg.TwoFactor.Confirm(r.Context(), sess.User.ID, in.Code)
	switch {
	case errors.Is(err, twofactor.ErrWrongCode):
		fail()
		return errWrongConfirmCode
	case errors.Is(err, twofactor.ErrNotPending):
		return errNotPending
	case err != nil:
		return storeFailed("confirm two-factor authentication", err)
	}
	s.security(r.Context(), audit.TwoFactorEnabled, sess.User.ID, r)
	s.publishTwoFactor(r.Context(), sess.User.ID)
	writeJSON(w, http.StatusOK, wire.RecoveryCodesResponse{RecoveryCodes: codes})
	return nil
}

// disableTOTP answers POST /api/auth/2fa/totp/disable {code}, from a fresh
// aal2 session: the second factor is off and forgotten. A wrong code is
// 401 and counts toward the sign-in limits.
func (s *Server) disableTOTP(w http.ResponseWriter, r *http.Request) error {
	sess := FromContext(r.Context())
	var in wire.CodeRequest
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if in.Code == "" {
		return errMissingCode
	}
	fail, err := s.codeGate(r, sess.User.Email)
	if err != nil {
		return err
	}
	err = s.cfg.TwoFactor.Disable(r.Context(), sess.User.ID, in.Code)
	switch {
	case errors.Is(err, twofactor.ErrWrongCode):
		fail()
		return errWrongCode
	case errors.Is(err, twofactor.ErrNotEnabled):
		return errTwoFactorOff
	case err != nil:
		return storeFailed("disable two-factor authentication", err)
	}
	s.security(r.Context(), audit.TwoFactorDisabled, sess.User.ID, r)
	s.publishTwoFactor(r.Context(), sess.User.ID)
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// checkCode checks a TOTP code, or else a recovery code, of the account:
// errWrongCode for a wrong, replayed or used one (and for an account whose
// second factor went off meanwhile), other errors from the store. It logs
// the use of a recovery code as a security event.
func (s *Server) checkCode(r *http.Request, userID, code, recovery string) error {
	var err error
	if code != "" {
		err = s.cfg.TwoFactor.Verify(r.Context(), userID, code)
	} else {
		err = s.cfg.TwoFactor.VerifyRecoveryCode(r.Context(), userID, recovery)
	}
	switch {
	case errors.Is(err, twofactor.ErrWrongCode), errors.Is(err, twofactor.ErrNotEnabled):
		return errWrongCode
	case err != nil:
		return failed(errSignInUnavailable, "could not check a second-factor code", err)
	}
	if code == "" {
		left, _ := s.cfg.TwoFactor.State(r.Context(), userID)
		s.security(r.Context(), audit.RecoveryCodeUsed, userID, r, slog.Int("left", left.RecoveryCodes))
	}
	return nil
}

// verifyTwoFactor answers POST /api/auth/2fa/verify {code} or
// {recoveryCode}: the second step of a sign-in whose password was right,
// with its challenge cookie. The right code gives an aal2 session under a
// new id, as a sign-in does; a wrong, replayed or used one is 401 and
// counts toward the sign-in limits of the account, which only a completed
// sign-in resets.
func (s *Server) verifyTwoFactor(w http.ResponseWriter, r *http.Request) error {
	err := s.tryVerifyTwoFactor(w, r)
	code := http.StatusOK
	if err != nil {
		code, _ = statusOf(err)
	}
	s.cfg.Metrics.SignIn(signInOutcome(code))
	if err != nil && isFormNavigation(r) {
		s.backToForm(w, r, err)
		return nil
	}
	return err
}

func (s *Server) tryVerifyTwoFactor(w http.ResponseWriter, r *http.Request) error {
	form, err := readForm(w, r, "code", "recoveryCode", "challenge")
	if err != nil {
		return err
	}
	if form["code"] == "" && form["recoveryCode"] == "" {
		return errMissingCode
	}
	bearer := s.sessions.IsBearer(r)
	c, ok := s.challengeOf(r, bearer, form["challenge"])
	if !ok {
		return errNoChallenge
	}
	dropChallenge := func() {
		if !bearer {
			s.clearChallenge(w)
		}
	}
	if spent, err := s.challengeSpent(r, c); err != nil {
		return failed(errSignInUnavailable, "could not read the sign-in challenge", err)
	} else if spent {
		dropChallenge()
		return errNoChallenge
	}
	u, err := s.cfg.Users.ByID(r.Context(), c.UserID)
	switch {
	case errors.Is(err, users.ErrNotFound):
		return errNoChallenge
	case err != nil:
		return failed(errSignInUnavailable, "could not read the account", err)
	}
	account, _ := s.accountKey(r, u.Email)
	address := s.limitAddress(r)
	if err := s.limitGate(r, account, address)(); errors.Is(err, errSignInLimited) {
		return s.limited(r, err)
	} else if err != nil {
		return failed(errSignInUnavailable, "could not read the sign-in limits", err)
	}
	if err := s.checkCode(r, u.ID, form["code"], form["recoveryCode"]); err != nil {
		if errors.Is(err, errWrongCode) {
			s.recordFailure(r, account, address)
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "wrong second-factor code", audit.Event(audit.TwoFactorFailure),
				slog.String("email", u.Email), slog.String("client", address))
		}
		return err
	}
	first, err := s.useChallenge(r, c)
	switch {
	case err != nil:
		return failed(errSignInUnavailable, "could not spend the sign-in challenge", err)
	case !first:
		dropChallenge()
		return errNoChallenge
	}
	if u.Disabled {
		dropChallenge()
		return s.signInDisabled(r, u.Email, address)
	}
	if err := s.accounts.Reset(r.Context(), account); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "sign-in could not reset its limit", errAttr(err))
	}
	sess, err := s.issueSession(w, r, u, store.AAL2)
	switch {
	case errors.Is(err, errIssueDisabled):
		dropChallenge()
		return s.signInDisabled(r, u.Email, address)
	case errors.Is(err, errAccessChanged):
		return err
	case err != nil:
		return failed(errSignInUnavailable, "could not issue the session", err)
	}
	dropChallenge()
	s.signedIn(w, r, u, address)
	if isFormNavigation(r) {
		seeOther(w, c.Redirect)
		return nil
	}
	setAccessExpires(w, sess)
	writeJSON(w, http.StatusOK, wire.SignInResponse{Session: sess.Wire(), RedirectURL: c.Redirect, Tokens: tokensOf(sess)})
	return nil
}

// reauth answers POST /api/auth/reauth {password, code?}: the user proves
// the session again (with a code when the account has a second factor) and
// it is rotated to a new id, authenticated now, aal2 with a code. Wrong
// proofs are 401 and count toward the sign-in limits.
func (s *Server) reauth(w http.ResponseWriter, r *http.Request) error {
	sess := FromContext(r.Context())
	var in wire.ReauthRequest
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if in.Password == "" {
		return errMissingPassword
	}
	account, _ := s.accountKey(r, sess.User.Email)
	address := s.limitAddress(r)
	gate := s.limitGate(r, account, address)
	if err := gate(); errors.Is(err, errSignInLimited) {
		return s.limited(r, err)
	} else if err != nil {
		return failed(errSignInUnavailable, "could not read the sign-in limits", err)
	}
	ctx, cancel := context.WithTimeout(r.Context(), hashQueueTimeout)
	defer cancel()
	u, err := s.cfg.Users.AuthenticateGated(ctx, sess.User.Email, in.Password, gate)
	switch {
	case errors.Is(err, errSignInLimited):
		return s.limited(r, err)
	case errors.Is(err, users.ErrInvalidCredentials):
		s.recordFailure(r, account, address)
		return errWrongPassword
	case errors.Is(err, users.ErrDisabled):
		return errAccountDisabled
	case err != nil:
		return failed(errSignInUnavailable, "could not check the password", err)
	}
	if u.ID != sess.User.ID { // the e-mail moved to another account: not this user
		return errNotSignedIn
	}
	aal := store.AAL1
	on, err := s.twoFactorOn(r.Context(), u.ID)
	if err != nil {
		return failed(errSignInUnavailable, "could not read the second factor", err)
	}
	if on {
		if in.Code == "" {
			return errMissingCode
		}
		if err := s.checkCode(r, u.ID, in.Code, ""); err != nil {
			if errors.Is(err, errWrongCode) {
				s.recordFailure(r, account, address)
			}
			return err
		}
		aal = store.AAL2
	}
	if err := s.accounts.Reset(r.Context(), account); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "re-authentication could not reset its limit", errAttr(err))
	}
	next, err := s.sessions.Reauthenticate(w, r, sess, aal)
	switch {
	case err != nil:
		return storeFailed("rotate the session", err)
	case next == nil:
		return errNotSignedIn
	}
	setAccessExpires(w, next)
	writeJSON(w, http.StatusOK, wire.RefreshResponse{Session: next.Wire(), Tokens: tokensOf(next)})
	return nil
}

// publishTwoFactor tells the user's open pages that their second factor
// changed (live events; a failure is logged by the Manager's bus).
func (s *Server) publishTwoFactor(ctx context.Context, userID string) {
	ev := s.cfg.Sessions.Events()
	if ev == nil {
		return
	}
	if err := ev.Publish(ctx, store.Event{Type: store.EventTwoFactorChanged, UserID: userID, At: s.cfg.Now()}); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "event publish failed", errAttr(err))
	}
}

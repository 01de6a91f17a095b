package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/sessionguard/sessionguard/server/audit"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/users"
	"github.com/sessionguard/sessionguard/wire"
)

// devicesJSON returns the device list of sessions; current is the key of
// the request's session.
func devicesJSON(list []session.Session, current []byte) wire.DevicesResponse {
	out := make([]wire.Device, 0, len(list))
	for _, s := range list {
		out = append(out, wire.Device{
			Handle:     session.Handle(s.Key),
			Device:     deviceLabel(s.UserAgent),
			UserAgent:  s.UserAgent,
			ClientAddr: s.ClientAddr,
			CreatedAt:  s.CreatedAt.UTC().Truncate(time.Second).Format(wire.TimeFormat),
			LastSeen:   s.LastSeen.UTC().Truncate(time.Second).Format(wire.TimeFormat),
			Expires:    s.Expires.UTC().Truncate(time.Second).Format(wire.TimeFormat),
			Current:    current != nil && session.Handle(s.Key) == session.Handle(current),
		})
	}
	return wire.DevicesResponse{Sessions: out}
}

// listSessions answers GET /api/auth/sessions: the user's sessions, newest
// first, with the current one marked.
func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) error {
	sess := FromContext(r.Context())
	list, err := s.sessions.UserSessions(r.Context(), sess.User.ID)
	if err != nil {
		return storeFailed("list sessions", err)
	}
	writeJSON(w, http.StatusOK, devicesJSON(list, sess.Key))
	return nil
}

// deleteSession answers DELETE /api/auth/sessions/{handle}: ends one of the
// user's sessions (another user's handle is 404, like an unknown one).
func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) error {
	sess := FromContext(r.Context())
	handle := mux.Vars(r)["handle"]
	if err := s.endSession(r, sess.User.ID, handle, "user"); err != nil {
		return err
	}
	current := handle == session.Handle(sess.Key)
	writeJSON(w, http.StatusOK, wire.RevokeResponse{Revoked: 1, Current: &current})
	return nil
}

// endSession ends the session with handle of the user userID, for by (the
// user, or an administrator's id): errNoSuchSession when the user has
// none such.
func (s *Server) endSession(r *http.Request, userID, handle, by string) error {
	found, err := s.sessions.RevokeHandle(r.Context(), userID, handle)
	switch {
	case err != nil:
		return storeFailed("end a session", err)
	case !found:
		return errNoSuchSession
	}
	s.security(r.Context(), audit.SessionsRevoked, userID, r, slog.Int("count", 1), slog.String("by", by))
	return nil
}

// revokeOthers answers POST /api/auth/sessions/revoke-others: ends every
// session of the user but this one.
func (s *Server) revokeOthers(w http.ResponseWriter, r *http.Request) error {
	sess := FromContext(r.Context())
	n, err := s.sessions.RevokeOthers(r.Context(), sess.User.ID, sess.Key)
	if err != nil {
		return storeFailed("end sessions", err)
	}
	s.security(r.Context(), audit.SessionsRevoked, sess.User.ID, r, slog.Int("count", n), slog.String("by", "user"))
	writeJSON(w, http.StatusOK, wire.RevokeResponse{Revoked: n})
	return nil
}

// changePassword answers POST /api/auth/password {currentPassword,
// newPassword}: a new argon2id hash, every other session ended, and this
// one rotated to a new id (its cookie replaced). A wrong current password
// counts against the sign-in limits.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	sess := FromContext(r.Context())
	var in wire.ChangePasswordRequest
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if in.CurrentPassword == "" || in.NewPassword == "" {
		return errMissingPasswords
	}
	account, _ := s.accountKey(r, sess.User.Email)
	address := s.limitAddress(r)
	gate := s.limitGate(r, account, address)
	if err := gate(); errors.Is(err, errSignInLimited) {
		return s.limited(r, err)
	} else if err != nil {
		return storeFailed("read limits", err)
	}
	ctx, cancel := context.WithTimeout(r.Context(), hashQueueTimeout)
	defer cancel()
	u, err := s.cfg.Users.ChangePassword(ctx, sess.User.ID, in.CurrentPassword, in.NewPassword, gate)
	switch {
	case errors.Is(err, errSignInLimited):
		return s.limited(r, err)
	case errors.Is(err, users.ErrInvalidAccount):
		return err
	case errors.Is(err, users.ErrInvalidCredentials):
		s.recordFailure(r, account, address)
		return errWrongPassword
	case errors.Is(err, users.ErrDisabled), errors.Is(err, users.ErrNotFound):
		return errAccountDisabled
	case err != nil:
		return storeFailed("change password", err)
	}
	// Every other session ends (and hears "revoked"); this one is rotated
	// to a new id by SignIn, which ends the one the request carried.
	if _, err := s.sessions.RevokeOthers(r.Context(), u.ID, sess.Key); err != nil {
		return storeFailed("end sessions after a password change", err)
	}
	// The new session is proved as strongly as the one that changed it.
	next, err := s.issueSession(w, r, u, sess.AAL)
	switch {
	case errors.Is(err, errIssueDisabled):
		return errAccountDisabled
	case errors.Is(err, errAccessChanged):
		return err
	case err != nil:
		return storeFailed("rotate the session after a password change", err)
	}
	s.security(r.Context(), audit.PasswordChanged, u.ID, r)
	setAccessExpires(w, next)
	writeJSON(w, http.StatusOK, wire.RefreshResponse{Session: next.Wire(), Tokens: tokensOf(next)})
	return nil
}

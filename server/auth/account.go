package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"

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

// signedIn answers 401 (or 503) and returns nil when the request has no
// session; API routes use it instead of the page guard.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request) *session.Session {
	sess, err := s.session(w, r)
	switch {
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, "session store unavailable; try again shortly")
	case sess == nil:
		writeError(w, http.StatusUnauthorized, "not signed in")
	default:
		return sess
	}
	return nil
}

// listSessions answers GET /api/auth/sessions: the user's sessions, newest
// first, with the current one marked.
func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	sess := s.signedIn(w, r)
	if sess == nil {
		return
	}
	list, err := s.cfg.Sessions.UserSessions(r.Context(), sess.User.ID)
	if err != nil {
		s.storeFailure(w, r, "list sessions", err)
		return
	}
	writeJSON(w, http.StatusOK, devicesJSON(list, sess.Key))
}

// deleteSession answers DELETE /api/auth/sessions/{handle}: ends one of the
// user's sessions (another user's handle is 404, like an unknown one).
func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) {
	sess := s.signedIn(w, r)
	if sess == nil {
		return
	}
	handle := mux.Vars(r)["handle"]
	found, err := s.cfg.Sessions.RevokeHandle(r.Context(), sess.User.ID, handle)
	switch {
	case err != nil:
		s.storeFailure(w, r, "end a session", err)
	case !found:
		writeError(w, http.StatusNotFound, "no such session")
	default:
		s.security(r.Context(), "sessions_revoked", sess.User.ID, r, slog.Int("count", 1), slog.String("by", "user"))
		current := handle == session.Handle(sess.Key)
		writeJSON(w, http.StatusOK, wire.RevokeResponse{Revoked: 1, Current: &current})
	}
}

// revokeOthers answers POST /api/auth/sessions/revoke-others: ends every
// session of the user but this one.
func (s *Server) revokeOthers(w http.ResponseWriter, r *http.Request) {
	sess := s.signedIn(w, r)
	if sess == nil {
		return
	}
	n, err := s.cfg.Sessions.RevokeOthers(r.Context(), sess.User.ID, sess.Key)
	if err != nil {
		s.storeFailure(w, r, "end sessions", err)
		return
	}
	s.security(r.Context(), "sessions_revoked", sess.User.ID, r, slog.Int("count", n), slog.String("by", "user"))
	writeJSON(w, http.StatusOK, wire.RevokeResponse{Revoked: n})
}

// changePassword answers POST /api/auth/password {currentPassword,
// newPassword}: a new argon2id hash, every other session ended, and this
// one rotated to a new id (its cookie replaced). A wrong current password
// counts against the sign-in limits.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	sess := s.signedIn(w, r)
	if sess == nil {
		return
	}
	var in wire.ChangePasswordRequest
	if err := readJSON(w, r, &in); err != nil {
		writeBodyError(w, err)
		return
	}
	if in.CurrentPassword == "" || in.NewPassword == "" {
		writeError(w, http.StatusBadRequest, "currentPassword and newPassword are required")
		return
	}
	account, _ := s.accountKey(r, sess.User.Email)
	address := s.limitAddress(r)
	gate := s.limitGate(r, account, address)
	var rl *rateLimited
	if err := gate(); errors.As(err, &rl) {
		s.rateLimited(w, r, rl.wait)
		return
	} else if err != nil {
		s.storeFailure(w, r, "read limits", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), hashQueueTimeout)
	defer cancel()
	u, err := s.cfg.Users.ChangePassword(ctx, sess.User.ID, in.CurrentPassword, in.NewPassword, gate)
	switch {
	case errors.As(err, &rl):
		s.rateLimited(w, r, rl.wait)
		return
	case errors.Is(err, users.ErrInvalidAccount):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case errors.Is(err, users.ErrInvalidCredentials):
		s.recordFailure(r, account, address)
		writeError(w, http.StatusUnauthorized, "the current password is wrong")
		return
	case errors.Is(err, users.ErrDisabled), errors.Is(err, users.ErrNotFound):
		writeError(w, http.StatusForbidden, "account disabled")
		return
	case err != nil:
		s.storeFailure(w, r, "change password", err)
		return
	}
	// Every other session ends (and hears "revoked"); this one is rotated
	// to a new id by SignIn, which ends the one the request carried.
	if _, err := s.cfg.Sessions.RevokeOthers(r.Context(), u.ID, sess.Key); err != nil {
		s.storeFailure(w, r, "end sessions after a password change", err)
		return
	}
	next, err := s.issueSession(w, r, u)
	switch {
	case errors.Is(err, errIssueDisabled):
		writeError(w, http.StatusForbidden, "account disabled")
		return
	case errors.Is(err, errIssueChanged):
		writeError(w, http.StatusServiceUnavailable, accessChangedMsg)
		return
	case err != nil:
		s.storeFailure(w, r, "rotate the session after a password change", err)
		return
	}
	s.security(r.Context(), "password_changed", u.ID, r)
	setAccessExpires(w, next)
	writeJSON(w, http.StatusOK, wire.RefreshResponse{Session: next.Wire()})
}

// storeFailure logs err and answers 503.
func (s *Server) storeFailure(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.LogAttrs(r.Context(), slog.LevelError, "could not "+what, errAttr(err))
	writeError(w, http.StatusServiceUnavailable, "session store unavailable; try again shortly")
}

// security logs a security event: a structured record with a stable
// "event" field (see README), the user and the client address.
func (s *Server) security(ctx context.Context, event, userID string, r *http.Request, attrs ...slog.Attr) {
	base := []slog.Attr{slog.String("event", event), slog.String("user_id", userID)}
	if r != nil {
		base = append(base, slog.String("client", s.cfg.ClientIP.Addr(r)))
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, "security event", append(base, attrs...)...)
}

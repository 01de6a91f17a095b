package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/users"
	"github.com/sessionguard/sessionguard/wire"
)

// errIssueDisabled: the account was disabled (or removed) while its
// session was being issued; no session is left. (Sign-in and a password
// change each answer it in their own words.)
var errIssueDisabled = errors.New("the account is disabled")

// issueSession starts a session for u, an account whose password (and, for
// aal2, second factor) the request has just proven, and returns it once no change of the account's
// access can have missed it. The account is read again after the session
// exists: disabled (or gone), the session is ended and errIssueDisabled
// returned; with another role than the session's, the session is ended
// and one is issued from the fresh account, once (errAccessChanged when
// the role moved again meanwhile). Other errors wrap session.ErrUnavailable
// or the store's; the session, if any, is ended then too when possible.
//
// Why the re-check closes the race with an administrator's change C (a
// disable or a change of role: the store write W, then RevokeUser or
// RoleChanged R, which ends every session that exists when it runs):
//   - The re-check read the account after W: it sees the change, and the
//     session is ended (or replaced by one of the new role) here.
//   - The re-check read it before W: the session was created before the
//     re-check began, so before W and before R started; R lists and ends
//     the sessions that exist when it runs (the jwt strategy denies each
//     one it lists, so its tokens die with its record), and this one is
//     among them.
//
// The answer's cookies are those of the session returned; a session ended
// here takes its cookies back (session.Manager.Abandon).
func (s *Server) issueSession(w http.ResponseWriter, r *http.Request, u store.User, aal string) (*session.Session, error) {
	for attempt := 0; ; attempt++ {
		sess, err := s.sessions.SignIn(w, r, wire.User{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role}, aal)
		if err != nil {
			return nil, err
		}
		fresh, err := s.cfg.Users.ByID(r.Context(), u.ID)
		switch {
		case errors.Is(err, users.ErrNotFound):
			return nil, s.abandon(w, r, sess, errIssueDisabled)
		case err != nil:
			return nil, s.abandon(w, r, sess, fmt.Errorf("%w: re-read the account: %w", session.ErrUnavailable, err))
		case fresh.Disabled:
			return nil, s.abandon(w, r, sess, errIssueDisabled)
		case fresh.Role == sess.User.Role:
			return sess, nil
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "the role changed while a session was issued",
			slog.String("user_id", u.ID), slog.String("role", fresh.Role))
		if attempt > 0 {
			return nil, s.abandon(w, r, sess, errAccessChanged)
		}
		if err := s.abandon(w, r, sess, nil); err != nil {
			return nil, err
		}
		u = fresh
	}
}

// abandon ends the just-issued session sess and returns why, or the error
// of ending it.
func (s *Server) abandon(w http.ResponseWriter, r *http.Request, sess *session.Session, why error) error {
	if err := s.sessions.Abandon(r.Context(), w, sess); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "could not end a session issued during an access change", errAttr(err))
		return errors.Join(why, err)
	}
	return why
}

package auth

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/users"
	"github.com/sessionguard/sessionguard/wire"
)

// toUserJSON returns u as the admin API shows it (never the hash).
func toUserJSON(u store.User) wire.Account {
	return wire.Account{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Disabled: u.Disabled,
		CreatedAt: u.CreatedAt.UTC().Truncate(time.Second).Format(wire.TimeFormat)}
}

// admin returns the signed-in administrator, or answers 401/403/503 and
// returns nil.
func (s *Server) admin(w http.ResponseWriter, r *http.Request) *session.Session {
	sess := s.signedIn(w, r)
	if sess != nil && sess.User.Role != wire.RoleAdmin {
		writeError(w, http.StatusForbidden, "this needs the admin role")
		return nil
	}
	return sess
}

// listUsers answers GET /api/admin/users.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	if s.admin(w, r) == nil {
		return
	}
	list, err := s.cfg.Users.List(r.Context())
	if err != nil {
		s.storeFailure(w, r, "list accounts", err)
		return
	}
	out := make([]wire.Account, 0, len(list))
	for _, u := range list {
		out = append(out, toUserJSON(u))
	}
	writeJSON(w, http.StatusOK, wire.AccountsResponse{Users: out})
}

// patchUser answers PATCH /api/admin/users/{id} {"role"?, "disabled"?}. A
// change takes effect at once: the user's sessions end (their snapshots
// carry the old role) and open pages hear "role-changed" or "revoked". The
// last enabled administrator cannot be demoted or disabled (409).
func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) {
	me := s.admin(w, r)
	if me == nil {
		return
	}
	var in wire.UpdateUserRequest
	if err := readJSON(w, r, &in); err != nil {
		writeBodyError(w, err)
		return
	}
	if in.Role == nil && in.Disabled == nil {
		writeError(w, http.StatusBadRequest, "nothing to change: send role and/or disabled")
		return
	}
	id := mux.Vars(r)["id"]
	// One write: the store checks for the last administrator in the same
	// step, so two admins demoting each other cannot both succeed.
	before, u, err := s.cfg.Users.SetAccess(r.Context(), id, users.Access{Role: in.Role, Disabled: in.Disabled})
	if err != nil {
		s.userChangeFailed(w, r, err)
		return
	}
	if u.Role != before.Role {
		if err := s.cfg.Sessions.RoleChanged(r.Context(), id); err != nil {
			s.storeFailure(w, r, "end sessions after a role change", err)
			return
		}
		s.security(r.Context(), "role_changed", id, r, slog.String("role", u.Role), slog.String("by", me.User.ID))
	}
	if u.Disabled != before.Disabled {
		if u.Disabled {
			if err := s.cfg.Sessions.RevokeUser(r.Context(), id); err != nil {
				s.storeFailure(w, r, "end sessions of a disabled account", err)
				return
			}
		}
		s.security(r.Context(), "account_disabled", id, r, slog.Bool("disabled", u.Disabled), slog.String("by", me.User.ID))
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
}

func (s *Server) userChangeFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, users.ErrInvalidAccount):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, users.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such user")
	case errors.Is(err, users.ErrLastAdmin):
		writeError(w, http.StatusConflict, "that would leave no administrator")
	default:
		s.storeFailure(w, r, "change an account", err)
	}
}

// userSessions answers GET /api/admin/users/{id}/sessions.
func (s *Server) userSessions(w http.ResponseWriter, r *http.Request) {
	me := s.admin(w, r)
	if me == nil {
		return
	}
	id := mux.Vars(r)["id"]
	if _, err := s.cfg.Users.ByID(r.Context(), id); errors.Is(err, users.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such user")
		return
	} else if err != nil {
		s.storeFailure(w, r, "read an account", err)
		return
	}
	list, err := s.cfg.Sessions.UserSessions(r.Context(), id)
	if err != nil {
		s.storeFailure(w, r, "list sessions", err)
		return
	}
	writeJSON(w, http.StatusOK, devicesJSON(list, me.Key))
}

// deleteUserSession answers DELETE /api/admin/users/{id}/sessions/{handle}.
func (s *Server) deleteUserSession(w http.ResponseWriter, r *http.Request) {
	me := s.admin(w, r)
	if me == nil {
		return
	}
	v := mux.Vars(r)
	found, err := s.cfg.Sessions.RevokeHandle(r.Context(), v["id"], v["handle"])
	switch {
	case err != nil:
		s.storeFailure(w, r, "end a session", err)
	case !found:
		writeError(w, http.StatusNotFound, "no such session")
	default:
		s.security(r.Context(), "sessions_revoked", v["id"], r, slog.Int("count", 1), slog.String("by", me.User.ID))
		writeJSON(w, http.StatusOK, wire.RevokeResponse{Revoked: 1})
	}
}

// deleteUserSessions answers DELETE /api/admin/users/{id}/sessions: ends
// every session of the user at once ("sign out everywhere" for them).
func (s *Server) deleteUserSessions(w http.ResponseWriter, r *http.Request) {
	me := s.admin(w, r)
	if me == nil {
		return
	}
	id := mux.Vars(r)["id"]
	if _, err := s.cfg.Users.ByID(r.Context(), id); errors.Is(err, users.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such user")
		return
	} else if err != nil {
		s.storeFailure(w, r, "read an account", err)
		return
	}
	if err := s.cfg.Sessions.RevokeUser(r.Context(), id); err != nil {
		s.storeFailure(w, r, "end sessions", err)
		return
	}
	s.security(r.Context(), "sessions_revoked", id, r, slog.String("count", "all"), slog.String("by", me.User.ID))
	writeJSON(w, http.StatusOK, wire.RevokeResponse{Revoked: "all"})
}

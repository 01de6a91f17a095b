package auth

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/sessionguard/sessionguard/server/audit"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/users"
	"github.com/sessionguard/sessionguard/wire"
)

// toUserJSON returns u as the admin API shows it (never the hash).
func toUserJSON(u store.User) wire.Account {
	return wire.Account{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Disabled: u.Disabled,
		CreatedAt: u.CreatedAt.UTC().Truncate(time.Second).Format(wire.TimeFormat)}
}

// listUsers answers GET /api/admin/users.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	list, err := s.cfg.Users.List(r.Context())
	if err != nil {
		return storeFailed("list accounts", err)
	}
	out := make([]wire.Account, 0, len(list))
	for _, u := range list {
		out = append(out, toUserJSON(u))
	}
	writeJSON(w, http.StatusOK, wire.AccountsResponse{Users: out})
	return nil
}

// patchUser answers PATCH /api/admin/users/{id} {"role"?, "disabled"?}. A
// change takes effect at once: the user's sessions end (their snapshots
// carry the old role) and open pages hear "role-changed" or "revoked". The
// last enabled administrator cannot be demoted or disabled (409).
func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) error {
	me := FromContext(r.Context())
	var in wire.UpdateUserRequest
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if in.Role == nil && in.Disabled == nil {
		return errNothingToChange
	}
	id := mux.Vars(r)["id"]
	// One write: the store checks for the last administrator in the same
	// step, so two admins demoting each other cannot both succeed.
	before, u, err := s.cfg.Users.SetAccess(r.Context(), id, users.Access{Role: in.Role, Disabled: in.Disabled})
	switch {
	case errors.Is(err, users.ErrInvalidAccount), errors.Is(err, users.ErrLastAdmin):
		return err
	case errors.Is(err, users.ErrNotFound):
		return errNoSuchUser
	case err != nil:
		return storeFailed("change an account", err)
	}
	if u.Role != before.Role {
		if err := s.sessions.RoleChanged(r.Context(), id); err != nil {
			return storeFailed("end sessions after a role change", err)
		}
		s.security(r.Context(), audit.RoleChanged, id, r, slog.String("role", u.Role), slog.String("by", me.User.ID))
	}
	if u.Disabled != before.Disabled {
		if u.Disabled {
			if err := s.sessions.RevokeUser(r.Context(), id); err != nil {
				return storeFailed("end sessions of a disabled account", err)
			}
		}
		s.security(r.Context(), audit.AccountDisabled, id, r, slog.Bool("disabled", u.Disabled), slog.String("by", me.User.ID))
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
	return nil
}

// userExists returns nil when the account id exists, errNoSuchUser when it
// does not.
func (s *Server) userExists(r *http.Request, id string) error {
	if _, err := s.cfg.Users.ByID(r.Context(), id); errors.Is(err, users.ErrNotFound) {
		return errNoSuchUser
	} else if err != nil {
		return storeFailed("read an account", err)
	}
	return nil
}

// userSessions answers GET /api/admin/users/{id}/sessions.
func (s *Server) userSessions(w http.ResponseWriter, r *http.Request) error {
	me := FromContext(r.Context())
	id := mux.Vars(r)["id"]
	if err := s.userExists(r, id); err != nil {
		return err
	}
	list, err := s.sessions.UserSessions(r.Context(), id)
	if err != nil {
		return storeFailed("list sessions", err)
	}
	writeJSON(w, http.StatusOK, devicesJSON(list, me.Key))
	return nil
}

// deleteUserSession answers DELETE /api/admin/users/{id}/sessions/{handle}.
func (s *Server) deleteUserSession(w http.ResponseWriter, r *http.Request) error {
	me := FromContext(r.Context())
	v := mux.Vars(r)
	if err := s.endSession(r, v["id"], v["handle"], me.User.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.RevokeResponse{Revoked: 1})
	return nil
}

// deleteUserSessions answers DELETE /api/admin/users/{id}/sessions: ends
// every session of the user at once ("sign out everywhere" for them).
func (s *Server) deleteUserSessions(w http.ResponseWriter, r *http.Request) error {
	me := FromContext(r.Context())
	id := mux.Vars(r)["id"]
	if err := s.userExists(r, id); err != nil {
		return err
	}
	if err := s.sessions.RevokeUser(r.Context(), id); err != nil {
		return storeFailed("end sessions", err)
	}
	s.security(r.Context(), audit.SessionsRevoked, id, r, slog.String("count", "all"), slog.String("by", me.User.ID))
	writeJSON(w, http.StatusOK, wire.RevokeResponse{Revoked: "all"})
	return nil
}

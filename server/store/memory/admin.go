package memory

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// UserSessions implements store.SessionLister.
func (s *Store) UserSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	out := []store.Session{}
	for _, sess := range s.sessions {
		if sess.UserID == userID && sess.Live(now) {
			sess.IDHash = bytes.Clone(sess.IDHash)
			out = append(out, sess)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return bytes.Compare(out[i].IDHash, out[j].IDHash) < 0
	})
	return out, nil
}

// ListUsers implements store.UserAdmin.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	out := make([]store.User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// UpdateUser implements store.UserAdmin: the check for the last
// administrator and the write happen under one lock.
func (s *Store) UpdateUser(ctx context.Context, u store.User) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if u.ID == "" {
		return false, fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.users[u.ID]
	if !ok {
		return false, nil
	}
	if enabledAdmin(cur) && !enabledAdmin(u) && !s.otherEnabledAdmin(u.ID) {
		return false, fmt.Errorf("memory: update user %s: %w", u.ID, store.ErrLastAdmin)
	}
	cur.Name, cur.Role, cur.PasswordHash, cur.Disabled = u.Name, u.Role, u.PasswordHash, u.Disabled
	s.users[u.ID] = cur
	return true, nil
}

// enabledAdmin reports whether u is an enabled administrator.
func enabledAdmin(u store.User) bool {
	return u.Role == store.RoleAdmin && !u.Disabled
}

// otherEnabledAdmin reports whether an account other than id is an enabled
// administrator. The caller holds s.mu.
func (s *Store) otherEnabledAdmin(id string) bool {
	for _, u := range s.users {
		if u.ID != id && enabledAdmin(u) {
			return true
		}
	}
	return false
}

// CountSessions implements store.SessionCounter.
func (s *Store) CountSessions(ctx context.Context, now time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var n int64
	for _, sess := range s.sessions {
		if sess.Live(now) {
			n++
		}
	}
	return n, nil
}

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

// HasUsers implements store.UserAdmin.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.users) > 0, nil
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

// UpdateUser implements store.UserAdmin: the read of the account, the
// check for the last administrator and the write happen under one lock.
func (s *Store) UpdateUser(ctx context.Context, id string, ch store.UserChange) (store.User, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.User{}, false, err
	}
	if id == "" {
		return store.User{}, false, fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	before, ok := s.users[id]
	if !ok {
		return store.User{}, false, nil
	}
	if ch.RemovesAdmin(before) && !s.otherEnabledAdmin(id) {
		return store.User{}, false, fmt.Errorf("memory: update user %s: %w", id, store.ErrLastAdmin)
	}
	s.users[id] = ch.Apply(before)
	return before, true, nil
}

// otherEnabledAdmin reports whether an account other than id is an enabled
// administrator. The caller holds s.mu.
func (s *Store) otherEnabledAdmin(id string) bool {
	for _, u := range s.users {
		if u.ID != id && store.IsEnabledAdmin(u) {
			return true
		}
	}
	return false
}

// CountSessions implements store.LiveSessionCounter.
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

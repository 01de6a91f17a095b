package memory

import (
	"context"
	"fmt"

	"github.com/sessionguard/sessionguard/server/store"
)

// CreateUser implements store.Users.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if u.ID == "" || u.Email == "" {
		return fmt.Errorf("%w: empty user id or e-mail", store.ErrInvalid)
	}
	u.CreatedAt = u.CreatedAt.UTC()

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.ID]; ok {
		return fmt.Errorf("%w: user id", store.ErrDuplicate)
	}
	if _, ok := s.emails[u.Email]; ok {
		return fmt.Errorf("%w: e-mail", store.ErrDuplicate)
	}
	s.users[u.ID] = u
	s.emails[u.Email] = u.ID
	return nil
}

// UserByEmail implements store.Users.
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.User{}, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.emails[email]
	if !ok {
		return store.User{}, false, nil
	}
	return s.users[id], true, nil
}

// UserByID implements store.Users.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.User{}, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[id]
	return u, ok, nil
}

package users

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/sessionguard/sessionguard/server/store"
)

func (s *Service) admin() (store.UserAdmin, error) {
	a, ok := s.users.(store.UserAdmin)
	if !ok {
		return nil, ErrUnsupported
	}
	return a, nil
}

// List returns every account, oldest first.
func (s *Service) List(ctx context.Context) ([]store.User, error) {
	a, err := s.admin()
	if err != nil {
		return nil, err
	}
	return a.ListUsers(ctx)
}

// ByID returns the account with that id, or ErrNotFound.
func (s *Service) ByID(ctx context.Context, id string) (store.User, error) {
	u, found, err := s.users.UserByID(ctx, id)
	if err != nil {
		return store.User{}, fmt.Errorf("users: look up account: %w", err)
	}
	if !found {
		return store.User{}, ErrNotFound
	}
	return u, nil
}

// update applies edit to the account with id and stores it. The store
// refuses, in the same step as the write, a change that would leave no
// enabled administrator: ErrLastAdmin.
func (s *Service) update(ctx context.Context, id string, edit func(*store.User) error) (store.User, error) {
	a, err := s.admin()
	if err != nil {
		return store.User{}, err
	}
	u, err := s.ByID(ctx, id)
	if err != nil {
		return store.User{}, err
	}
	if err := edit(&u); err != nil {
		return store.User{}, err
	}
	found, err := a.UpdateUser(ctx, u)
	if errors.Is(err, store.ErrLastAdmin) {
		return store.User{}, ErrLastAdmin
	} else if err != nil {
		return store.User{}, fmt.Errorf("users: store account: %w", err)
	}
	if !found {
		return store.User{}, ErrNotFound
	}
	return u, nil
}

// SetRole changes the account's role. It returns ErrLastAdmin, changing
// nothing, when that would take the role from the last enabled
// administrator, also when another change races it. Callers end the
// account's sessions, whose snapshots carry the old role.
func (s *Service) SetRole(ctx context.Context, id, role string) (store.User, error) {
	if role != RoleUser && role != RoleAdmin {
		return store.User{}, fmt.Errorf("%w: role must be user or admin", ErrInvalidAccount)
	}
	return s.update(ctx, id, func(u *store.User) error { u.Role = role; return nil })
}

// SetDisabled disables or enables the account. It returns ErrLastAdmin,
// changing nothing, for the last enabled administrator. Callers end the
// sessions of a disabled account.
func (s *Service) SetDisabled(ctx context.Context, id string, disabled bool) (store.User, error) {
	return s.update(ctx, id, func(u *store.User) error { u.Disabled = disabled; return nil })
}

// ChangePassword sets a new password after checking the current one:
// ErrInvalidCredentials when it is wrong, ErrInvalidAccount when the new
// one breaks the rules (8 to MaxPasswordLen bytes). Callers end the other
// sessions and rotate the current one.
func (s *Service) ChangePassword(ctx context.Context, id, current, next string, gate func() error) (store.User, error) {
	if utf8.RuneCountInString(next) < 8 || len(next) > MaxPasswordLen {
		return store.User{}, fmt.Errorf("%w: password must be 8 to %d bytes long", ErrInvalidAccount, MaxPasswordLen)
	}
	u, err := s.ByID(ctx, id)
	if err != nil {
		return store.User{}, err
	}
	if _, err := s.AuthenticateGated(ctx, u.Email, current, gate); err != nil {
		return store.User{}, err
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return store.User{}, fmt.Errorf("users: hash password: %w", err)
	}
	return s.update(ctx, id, func(u *store.User) error { u.PasswordHash = hash; return nil })
}

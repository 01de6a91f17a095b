package users

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/sessionguard/sessionguard/server/store"
)

// List returns every account, oldest first.
func (s *Service) List(ctx context.Context) ([]store.User, error) {
	return s.users.ListUsers(ctx)
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

// update makes ch on the account id in one step of the store, which
// writes only the fields ch sets, and returns the account just before and
// after. The store refuses, in the same step, a change that would leave no
// enabled administrator: ErrLastAdmin.
func (s *Service) update(ctx context.Context, id string, ch store.UserChange) (before, after store.User, err error) {
	before, found, err := s.users.UpdateUser(ctx, id, ch)
	if errors.Is(err, store.ErrLastAdmin) {
		return store.User{}, store.User{}, ErrLastAdmin
	} else if err != nil {
		return store.User{}, store.User{}, fmt.Errorf("users: store account: %w", err)
	}
	if !found {
		return store.User{}, store.User{}, ErrNotFound
	}
	return before, ch.Apply(before), nil
}

// Access is what an administrator sets on an account; a nil field stays as
// it is.
type Access struct {
	Role     *string // RoleUser or RoleAdmin
	Disabled *bool
}

// SetAccess sets the account's role and whether it is disabled in one
// write, leaving its other fields as they are at that moment, and returns
// the account just before and after that write (so a change that raced
// another shows in before). It returns
// ErrLastAdmin, changing nothing, when the change would take the last
// enabled administrator away, also when another change races it, and
// ErrInvalidAccount for an unknown role. Callers end the account's
// sessions when its role changed (their snapshots carry the old one) or
// it was disabled.
func (s *Service) SetAccess(ctx context.Context, id string, a Access) (before, after store.User, err error) {
	if a.Role != nil && *a.Role != RoleUser && *a.Role != RoleAdmin {
		return store.User{}, store.User{}, fmt.Errorf("%w: role must be user or admin", ErrInvalidAccount)
	}
	return s.update(ctx, id, store.UserChange{Role: a.Role, Disabled: a.Disabled})
}

// SetRole changes the account's role, as SetAccess does.
func (s *Service) SetRole(ctx context.Context, id, role string) (store.User, error) {
	_, u, err := s.SetAccess(ctx, id, Access{Role: &role})
	return u, err
}

// SetDisabled disables or enables the account, as SetAccess does.
func (s *Service) SetDisabled(ctx context.Context, id string, disabled bool) (store.User, error) {
	_, u, err := s.SetAccess(ctx, id, Access{Disabled: &disabled})
	return u, err
}

// ChangePassword sets a new password after checking the current one:
// ErrInvalidCredentials when it is wrong, ErrInvalidAccount when the new
// one breaks the rules (8 to MaxPasswordLen bytes). It writes the password
// hash alone, so a change of the account's role or disabled flag made
// meanwhile stays, and returns the account after the write: ErrDisabled,
// the new password stored, when the account was disabled meanwhile.
// Callers end the other sessions and rotate the current one, with the
// role returned.
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
	_, u, err = s.update(ctx, id, store.UserChange{PasswordHash: &hash})
	if err != nil {
		return store.User{}, err
	}
	if u.Disabled {
		return store.User{}, ErrDisabled
	}
	return u, nil
}

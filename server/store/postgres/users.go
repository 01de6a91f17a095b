package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sessionguard/sessionguard/server/store"
)

// CreateUser implements store.Users.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	if u.ID == "" || u.Email == "" {
		return fmt.Errorf("%w: empty user id or e-mail", store.ErrInvalid)
	}
	var inserted int64
	err := s.do(ctx, "create user", false, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, s.q.createUser, u.ID, u.Email, u.Name, u.Role, u.PasswordHash, u.CreatedAt, u.Disabled)
		inserted = tag.RowsAffected()
		return err
	})
	if err != nil {
		return err
	}
	if inserted == 0 {
		return fmt.Errorf("postgres: create user: %w", store.ErrDuplicate)
	}
	return nil
}

// UserByEmail implements store.Users.
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, bool, error) {
	return s.user(ctx, s.q.userByEmail, email)
}

// UserByID implements store.Users.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, bool, error) {
	return s.user(ctx, s.q.userByID, id)
}

// user reads the account that query selects by key.
func (s *Store) user(ctx context.Context, query, key string) (store.User, bool, error) {
	var (
		u     store.User
		found bool
	)
	err := s.do(ctx, "read user", true, func(ctx context.Context) error {
		var err error
		u, err = scanUser(s.pool.QueryRow(ctx, query, key))
		found = err == nil
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil || !found {
		return store.User{}, false, err
	}
	return u, true, nil
}

// scanUser reads a row of userColumns.
func scanUser(row pgx.Row) (store.User, error) {
	var u store.User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.CreatedAt, &u.Disabled)
	u.CreatedAt = u.CreatedAt.UTC()
	return u, err
}

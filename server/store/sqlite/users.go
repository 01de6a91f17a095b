package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sessionguard/sessionguard/server/store"
)

// CreateUser implements store.Users.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	if u.ID == "" || u.Email == "" {
		return fmt.Errorf("%w: empty user id or e-mail", store.ErrInvalid)
	}
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.Name, u.Role, u.PasswordHash, millis(u.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create user: %w", insertError(err))
	}
	return nil
}

// UserByEmail implements store.Users.
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, bool, error) {
	return s.user(ctx, `SELECT id, email, name, role, password_hash, created_at FROM users WHERE email = ?`, email)
}

// UserByID implements store.Users.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, bool, error) {
	return s.user(ctx, `SELECT id, email, name, role, password_hash, created_at FROM users WHERE id = ?`, id)
}

// user reads the account that query selects by key.
func (s *Store) user(ctx context.Context, query, key string) (store.User, bool, error) {
	var (
		u       store.User
		created int64
	)
	err := s.read.QueryRowContext(ctx, query, key).Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, false, nil
	}
	if err != nil {
		return store.User{}, false, fmt.Errorf("sqlite: read user: %w", err)
	}
	u.CreatedAt = fromMillis(created)
	return u, true, nil
}

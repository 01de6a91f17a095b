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
		`INSERT INTO users (id, email, name, role, password_hash, created_at, disabled) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.Name, u.Role, u.PasswordHash, millis(u.CreatedAt), u.Disabled)
	if err != nil {
		return fmt.Errorf("sqlite: create user: %w", insertError(err))
	}
	return nil
}

// userColumns are the columns scanUser reads, in its order.
const userColumns = `id, email, name, role, password_hash, created_at, disabled`

// sqlUserByID reads an account by its primary key.
const sqlUserByID = `SELECT ` + userColumns + ` FROM users WHERE id = ?`

// UserByEmail implements store.Users.
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, bool, error) {
	return s.user(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`, email)
}

// UserByID implements store.Users.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, bool, error) {
	return s.user(ctx, sqlUserByID, id)
}

// user reads the account that query selects by key.
func (s *Store) user(ctx context.Context, query, key string) (store.User, bool, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, query, key))
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, false, nil
	}
	if err != nil {
		return store.User{}, false, fmt.Errorf("sqlite: read user: %w", err)
	}
	return u, true, nil
}

// scanUser reads a row of userColumns.
func scanUser(row scanner) (store.User, error) {
	var (
		u       store.User
		created int64
	)
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &created, &u.Disabled); err != nil {
		return store.User{}, err
	}
	u.CreatedAt = fromMillis(created)
	return u, nil
}

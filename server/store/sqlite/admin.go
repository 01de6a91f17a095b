package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

var (
	_ store.SessionLister = (*Store)(nil)
	_ store.UserAdmin     = (*Store)(nil)
)

// sqlUserSessions lists a user's live sessions through the index on user_id;
// sessions made in the same millisecond come in order of their hash (BLOBs
// compare as bytes).
const sqlUserSessions = `SELECT user_id, email, name, role, created_at, expires, abs_expires, client_addr, user_agent,
	aal, authenticated_at, id_hash
	FROM sessions WHERE user_id = ? AND min(expires, abs_expires) > ?
	ORDER BY created_at DESC, id_hash`

// sqlListUsers lists every account, oldest first; accounts made in the same
// millisecond come in order of their id, byte by byte (the BINARY collation).
const sqlListUsers = `SELECT ` + userColumns + ` FROM users ORDER BY created_at, id`

// sqlUpdateUser sets the fields of a UserChange, by the primary key: a NULL
// leaves its column as it is.
const sqlUpdateUser = `UPDATE users SET name = coalesce(?, name), role = coalesce(?, role),
	password_hash = coalesce(?, password_hash), disabled = coalesce(?, disabled) WHERE id = ?`

// sqlOtherAdmin reads whether an account other than the one given is an
// enabled administrator (the role compared byte by byte, BINARY).
const sqlOtherAdmin = `SELECT EXISTS (SELECT 1 FROM users WHERE id <> ? AND role = ? AND disabled = 0)`

// UserSessions implements store.SessionLister with a prepared statement on
// the readers.
func (s *Store) UserSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error) {
	rows, err := s.userSessions.QueryContext(ctx, userID, millis(now))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list user sessions: %w", err)
	}
	defer rows.Close()
	list := []store.Session{}
	for rows.Next() {
		var h []byte
		sess, err := scanSession(rows, &h)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list user sessions: %w", err)
		}
		sess.IDHash = h // Scan copies a []byte destination
		list = append(list, sess)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list user sessions: %w", err)
	}
	return list, nil
}

// HasUsers implements store.UserAdmin: one index probe.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	var any bool
	if err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&any); err != nil {
		return false, fmt.Errorf("sqlite: has users: %w", err)
	}
	return any, nil
}

// ListUsers implements store.UserAdmin.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := s.read.QueryContext(ctx, sqlListUsers)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	defer rows.Close()
	list := []store.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list users: %w", err)
		}
		list = append(list, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	return list, nil
}

// UpdateUser implements store.UserAdmin in one transaction on the writer:
// IMMEDIATE, so it holds the write lock from the read of the account and
// the check for the last administrator to the write, against every other
// connection to the file.
func (s *Store) UpdateUser(ctx context.Context, id string, ch store.UserChange) (store.User, bool, error) {
	if id == "" {
		return store.User{}, false, fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return store.User{}, false, fmt.Errorf("sqlite: update user: %w", err)
	}
	defer tx.Rollback() // after Commit, a no-op
	before, err := scanUser(tx.QueryRowContext(ctx, sqlUserByID, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.User{}, false, nil
	case err != nil:
		return store.User{}, false, fmt.Errorf("sqlite: update user: %w", err)
	}
	if ch.RemovesAdmin(before) {
		var other bool
		if err := tx.QueryRowContext(ctx, sqlOtherAdmin, id, wire.RoleAdmin).Scan(&other); err != nil {
			return store.User{}, false, fmt.Errorf("sqlite: update user: %w", err)
		}
		if !other {
			return store.User{}, false, fmt.Errorf("sqlite: update user %s: %w", id, store.ErrLastAdmin)
		}
	}
	if _, err := tx.ExecContext(ctx, sqlUpdateUser, ch.Name, ch.Role, ch.PasswordHash, ch.Disabled, id); err != nil {
		return store.User{}, false, fmt.Errorf("sqlite: update user: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return store.User{}, false, fmt.Errorf("sqlite: update user: %w", err)
	}
	return before, true, nil
}

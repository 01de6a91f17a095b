package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// A session is live strictly before min(expires, abs_expires); the same
// expression is indexed for DeleteExpiredSessions and CountSessions.
const (
	sqlSessionByHash = `SELECT user_id, email, name, role, created_at, expires, abs_expires, client_addr, user_agent,
		aal, authenticated_at FROM sessions WHERE id_hash = ? AND min(expires, abs_expires) > ?`
	sqlTouch = `UPDATE sessions SET expires = ? WHERE id_hash = ?`
)

// CreateSession implements store.Sessions.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	if err := checkHash(sess.IDHash); err != nil {
		return err
	}
	if sess.UserID == "" {
		return fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO sessions (id_hash, user_id, email, name, role, created_at, expires, abs_expires, client_addr, user_agent,
		aal, authenticated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sess.IDHash, sess.UserID, sess.Email, sess.Name, sess.Role,
		millis(sess.CreatedAt), millis(sess.Expires), millis(sess.AbsExpires), sess.ClientAddr, sess.UserAgent,
		sess.AAL, millis(sess.AuthenticatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create session: %w", insertError(err))
	}
	return nil
}

// Session implements store.Sessions. Times are compared in milliseconds.
func (s *Store) Session(ctx context.Context, idHash []byte, now time.Time) (store.Session, bool, error) {
	if err := checkHash(idHash); err != nil {
		return store.Session{}, false, err
	}
	sess, err := scanSession(s.sessionByHash.QueryRowContext(ctx, idHash, millis(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, false, nil
	}
	if err != nil {
		return store.Session{}, false, fmt.Errorf("sqlite: read session: %w", err)
	}
	sess.IDHash = bytes.Clone(idHash)
	return sess, true, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanSession reads a session's columns but its hash, in the order of
// sqlSessionByHash, followed by the columns in extra.
func scanSession(row scanner, extra ...any) (store.Session, error) {
	var (
		sess                                store.Session
		created, expires, absExpires, authn int64
	)
	dest := append([]any{&sess.UserID, &sess.Email, &sess.Name, &sess.Role, &created, &expires, &absExpires,
		&sess.ClientAddr, &sess.UserAgent, &sess.AAL, &authn}, extra...)
	if err := row.Scan(dest...); err != nil {
		return store.Session{}, err
	}
	sess.CreatedAt = fromMillis(created)
	sess.Expires = fromMillis(expires)
	sess.AbsExpires = fromMillis(absExpires)
	sess.AuthenticatedAt = fromMillis(authn)
	return sess, nil
}

// TouchSession implements store.Sessions.
func (s *Store) TouchSession(ctx context.Context, idHash []byte, expires time.Time) (bool, error) {
	if err := checkHash(idHash); err != nil {
		return false, err
	}
	res, err := s.touch.ExecContext(ctx, millis(expires), idHash)
	if err != nil {
		return false, fmt.Errorf("sqlite: touch session: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: touch session: %w", err)
	}
	return n > 0, nil
}

// DeleteSession implements store.Sessions.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if err := checkHash(idHash); err != nil {
		return err
	}
	if _, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions implements store.Sessions.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	if userID == "" {
		return 0, fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	n, err := s.delete(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete user sessions: %w", err)
	}
	return n, nil
}

// DeleteExpiredSessions implements store.Sessions.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	n, err := s.delete(ctx, `DELETE FROM sessions WHERE min(expires, abs_expires) <= ?`, millis(now))
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired sessions: %w", err)
	}
	return n, nil
}

// delete runs a DELETE and returns how many rows it removed.
func (s *Store) delete(ctx context.Context, query string, args ...any) (int, error) {
	res, err := s.write.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// checkHash reports store.ErrInvalid unless h has the length of a hash.
func checkHash(h []byte) error {
	if len(h) != store.HashLen {
		return fmt.Errorf("%w: session id hash of %d bytes, want %d", store.ErrInvalid, len(h), store.HashLen)
	}
	return nil
}

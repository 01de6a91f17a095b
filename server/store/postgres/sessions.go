package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sessionguard/sessionguard/server/store"
)

// CreateSession implements store.Sessions.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	if err := checkHash(sess.IDHash); err != nil {
		return err
	}
	if sess.UserID == "" {
		return fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	// Not repeated on a broken connection: the first attempt may have
	// stored the session, and the second would report a duplicate.
	var inserted int64
	err := s.do(ctx, "create session", false, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, s.q.createSession,
			sess.IDHash, sess.UserID, sess.Email, sess.Name, sess.Role,
			sess.CreatedAt, sess.Expires, sess.AbsExpires, sess.ClientAddr, sess.UserAgent,
			sess.AAL, sess.AuthenticatedAt)
		inserted = tag.RowsAffected()
		return err
	})
	if err != nil {
		return err
	}
	if inserted == 0 {
		return fmt.Errorf("postgres: create session: %w", store.ErrDuplicate)
	}
	return nil
}

// Session implements store.Sessions.
func (s *Store) Session(ctx context.Context, idHash []byte, now time.Time) (store.Session, bool, error) {
	if err := checkHash(idHash); err != nil {
		return store.Session{}, false, err
	}
	var (
		sess  store.Session
		found bool
	)
	err := s.do(ctx, "read session", true, func(ctx context.Context) error {
		var err error
		sess, err = scanSession(s.pool.QueryRow(ctx, s.q.session, idHash, now))
		found = err == nil
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil || !found {
		return store.Session{}, false, err
	}
	return sess, true, nil
}

// scanSession reads a row of sessionColumns.
func scanSession(row pgx.Row) (store.Session, error) {
	var sess store.Session
	err := row.Scan(&sess.IDHash, &sess.UserID, &sess.Email, &sess.Name, &sess.Role,
		&sess.CreatedAt, &sess.Expires, &sess.AbsExpires, &sess.ClientAddr, &sess.UserAgent,
		&sess.AAL, &sess.AuthenticatedAt)
	sess.CreatedAt = sess.CreatedAt.UTC()
	sess.AuthenticatedAt = sess.AuthenticatedAt.UTC()
	sess.Expires = sess.Expires.UTC()
	sess.AbsExpires = sess.AbsExpires.UTC()
	return sess, err
}

// TouchSession implements store.Sessions. The update commits
// asynchronously (synchronous_commit off, for its transaction only, set in
// the same round trip): it does not wait for the write-ahead log to reach
// the disk, which makes it several times faster. A crash of the database
// can lose the touches of its last moments, so a session's stored expiry
// may come back a little older, never newer; the session layer already
// tolerates a stored expiry that lags by up to its update age.
func (s *Store) TouchSession(ctx context.Context, idHash []byte, expires time.Time) (bool, error) {
	if err := checkHash(idHash); err != nil {
		return false, err
	}
	var found bool
	err := s.do(ctx, "touch session", true, func(ctx context.Context) error {
		var b pgx.Batch
		b.Queue(s.q.asyncCommit)
		touch := b.Queue(s.q.touch, idHash, expires)
		touch.Exec(func(tag pgconn.CommandTag) error {
			found = tag.RowsAffected() > 0
			return nil
		})
		return s.pool.SendBatch(ctx, &b).Close()
	})
	return found, err
}

// DeleteSession implements store.Sessions.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if err := checkHash(idHash); err != nil {
		return err
	}
	return s.do(ctx, "delete session", true, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, s.q.deleteSession, idHash)
		return err
	})
}

// DeleteUserSessions implements store.Sessions.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	if userID == "" {
		return 0, fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	return s.delete(ctx, "delete user sessions", s.q.deleteUserSessions, userID)
}

// DeleteExpiredSessions implements store.Sessions.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	return s.delete(ctx, "delete expired sessions", s.q.deleteExpired, now)
}

// delete runs a DELETE and returns how many rows it removed. It is not
// repeated on a broken connection, so that the count is not lost.
func (s *Store) delete(ctx context.Context, op, query string, arg any) (int, error) {
	var n int64
	err := s.do(ctx, op, false, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, query, arg)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// checkHash reports store.ErrInvalid unless h has the length of a hash.
func checkHash(h []byte) error {
	if len(h) != store.HashLen {
		return fmt.Errorf("%w: session id hash of %d bytes, want %d", store.ErrInvalid, len(h), store.HashLen)
	}
	return nil
}

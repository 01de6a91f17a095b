package memory

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// CreateSession implements store.Sessions.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkHash(sess.IDHash); err != nil {
		return err
	}
	if sess.UserID == "" {
		return fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	sess.IDHash = bytes.Clone(sess.IDHash)
	sess.CreatedAt = sess.CreatedAt.UTC()
	sess.Expires = sess.Expires.UTC()
	sess.AbsExpires = sess.AbsExpires.UTC()
	sess.AuthenticatedAt = sess.AuthenticatedAt.UTC()

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sessions[string(sess.IDHash)]; ok {
		return fmt.Errorf("%w: session", store.ErrDuplicate)
	}
	s.sessions[string(sess.IDHash)] = sess
	return nil
}

// Session implements store.Sessions.
func (s *Store) Session(ctx context.Context, idHash []byte, now time.Time) (store.Session, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.Session{}, false, err
	}
	if err := checkHash(idHash); err != nil {
		return store.Session{}, false, err
	}
	s.mu.RLock()
	sess, ok := s.sessions[string(idHash)]
	s.mu.RUnlock()
	if !ok || !sess.Live(now) {
		return store.Session{}, false, nil
	}
	sess.IDHash = bytes.Clone(sess.IDHash)
	return sess, true, nil
}

// TouchSession implements store.Sessions.
func (s *Store) TouchSession(ctx context.Context, idHash []byte, expires time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := checkHash(idHash); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[string(idHash)]
	if !ok {
		return false, nil
	}
	sess.Expires = expires.UTC()
	s.sessions[string(idHash)] = sess
	return true, nil
}

// DeleteSession implements store.Sessions.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkHash(idHash); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, string(idHash))
	return nil
}

// DeleteUserSessions implements store.Sessions.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if userID == "" {
		return 0, fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	return s.deleteSessions(func(sess *store.Session) bool { return sess.UserID == userID }), nil
}

// DeleteExpiredSessions implements store.Sessions.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return s.deleteSessions(func(sess *store.Session) bool { return !sess.Live(now) }), nil
}

// deleteSessions removes the sessions for which del reports true and returns
// how many.
func (s *Store) deleteSessions(del func(*store.Session) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for key, sess := range s.sessions {
		if del(&sess) {
			delete(s.sessions, key)
			n++
		}
	}
	return n
}

// checkHash reports store.ErrInvalid unless h has the length of a hash.
func checkHash(h []byte) error {
	if len(h) != store.HashLen {
		return fmt.Errorf("%w: session id hash of %d bytes, want %d", store.ErrInvalid, len(h), store.HashLen)
	}
	return nil
}

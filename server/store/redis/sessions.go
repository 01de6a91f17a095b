package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sessionguard/sessionguard/server/store"
)

// sessionFields are the fields Session reads, in the order it parses them.
var sessionFields = []string{"u", "m", "n", "r", "c", "e", "a", "ip", "ua", "l", "au"}

// CreateSession implements store.Sessions. The key expires at
// min(Expires + grace, AbsExpires) on the server's clock.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	if err := checkHash(sess.IDHash); err != nil {
		return err
	}
	if sess.UserID == "" {
		return fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	m := member(sess.IDHash)
	e, a := millis(sess.Expires), millis(sess.AbsExpires)
	var created int64
	err := s.do(ctx, "create session", func(ctx context.Context) error {
		var err error
		created, err = s.sc.create.Run(ctx, s.client,
			[]string{s.k.session + m, s.k.userSessions + sess.UserID, s.k.sessionDeaths},
			m, min(e+s.grace.Milliseconds(), a), min(e, a), millis(time.Now()),
			"u", sess.UserID, "m", sess.Email, "n", sess.Name, "r", sess.Role,
			"c", millis(sess.CreatedAt), "e", e, "a", a, "ip", sess.ClientAddr, "ua", sess.UserAgent,
			"l", sess.AAL, "au", millis(sess.AuthenticatedAt),
		).Int64()
		return err
	})
	if err != nil {
		return err
	}
	if created == 0 {
		return fmt.Errorf("redis: create session: %w", store.ErrDuplicate)
	}
	return nil
}

// Session implements store.Sessions with one HMGET; expiry is judged against
// now, whatever the key's TTL.
func (s *Store) Session(ctx context.Context, idHash []byte, now time.Time) (store.Session, bool, error) {
	if err := checkHash(idHash); err != nil {
		return store.Session{}, false, err
	}
	var v []any
	err := s.do(ctx, "read session", func(ctx context.Context) error {
		var err error
		v, err = s.client.HMGet(ctx, s.k.session+member(idHash), sessionFields...).Result()
		return err
	})
	if err != nil {
		return store.Session{}, false, err
	}
	if len(v) != len(sessionFields) || v[0] == nil {
		return store.Session{}, false, nil
	}
	sess, err := s.parseSession(bytes.Clone(idHash), v)
	if err != nil {
		return store.Session{}, false, fmt.Errorf("redis: read session: %w", err)
	}
	if !sess.Live(now) {
		return store.Session{}, false, nil
	}
	return sess, true, nil
}

// parseSession reads the values of sessionFields of the session idHash.
func (s *Store) parseSession(idHash []byte, v []any) (store.Session, error) {
	if len(v) != len(sessionFields) {
		return store.Session{}, fmt.Errorf("malformed record %s%s", s.k.session, member(idHash))
	}
	sess := store.Session{IDHash: idHash}
	var ok [4]bool
	sess.UserID, ok[0] = v[0].(string)
	sess.Email, _ = v[1].(string)
	sess.Name, _ = v[2].(string)
	sess.Role, _ = v[3].(string)
	sess.CreatedAt, ok[1] = parseMillis(v[4])
	sess.Expires, ok[2] = parseMillis(v[5])
	sess.AbsExpires, ok[3] = parseMillis(v[6])
	sess.ClientAddr, _ = v[7].(string)
	sess.UserAgent, _ = v[8].(string)
	if ok != [4]bool{true, true, true, true} {
		return store.Session{}, fmt.Errorf("malformed record %s%s", s.k.session, member(idHash))
	}
	// A record written before these fields: proved with a password at
	// sign-in.
	sess.AAL, sess.AuthenticatedAt = store.AAL1, sess.CreatedAt
	if v[9] != nil {
		sess.AAL, _ = v[9].(string)
	}
	if v[10] != nil {
		if sess.AuthenticatedAt, ok[0] = parseMillis(v[10]); !ok[0] {
			return store.Session{}, fmt.Errorf("malformed record %s%s", s.k.session, member(idHash))
		}
	}
	return sess, nil
}

// TouchSession implements store.Sessions: the idle expiry, the key's TTL and
// the indexes change in one script.
func (s *Store) TouchSession(ctx context.Context, idHash []byte, expires time.Time) (bool, error) {
	if err := checkHash(idHash); err != nil {
		return false, err
	}
	m := member(idHash)
	var n int
	err := s.do(ctx, "touch session", func(ctx context.Context) error {
		var err error
		n, err = s.sc.touch.Run(ctx, s.client, []string{s.k.session + m, s.k.sessionDeaths},
			m, millis(expires), s.grace.Milliseconds(), s.k.userSessions).Int()
		return err
	})
	return n == 1, err
}

// DeleteSession implements store.Sessions.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if err := checkHash(idHash); err != nil {
		return err
	}
	m := member(idHash)
	return s.do(ctx, "delete session", func(ctx context.Context) error {
		return s.sc.deleteOne.Run(ctx, s.client, []string{s.k.session + m, s.k.sessionDeaths},
			m, "u", s.k.userSessions).Err()
	})
}

// DeleteUserSessions implements store.Sessions through the user's index, in
// one script.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	if userID == "" {
		return 0, fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	var n int
	err := s.do(ctx, "delete user sessions", func(ctx context.Context) error {
		var err error
		n, err = s.sc.deleteIndexed.Run(ctx, s.client,
			[]string{s.k.userSessions + userID, s.k.sessionDeaths}, s.k.session).Int()
		return err
	})
	return n, err
}

// DeleteExpiredSessions implements store.Sessions through the index of
// sessions by death, in batches. Sessions whose keys Redis has expired are
// gone already and not counted.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	return s.sweep(ctx, "delete expired sessions", s.k.sessionDeaths, s.k.session, "u", s.k.userSessions, now)
}

// checkHash reports store.ErrInvalid unless h has the length of a hash.
func checkHash(h []byte) error {
	if len(h) != store.HashLen {
		return fmt.Errorf("%w: hash of %d bytes, want %d", store.ErrInvalid, len(h), store.HashLen)
	}
	return nil
}

// isNil reports whether err is go-redis's "no value" reply.
func isNil(err error) bool { return errors.Is(err, goredis.Nil) }

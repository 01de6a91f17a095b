package redis

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

var (
	_ store.SessionLister = (*Store)(nil)
	_ store.UserAdmin     = (*Store)(nil)
)

// UserSessions implements store.SessionLister through the user's index, in
// one script; sessions made at the same time come in order of their hash.
func (s *Store) UserSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error) {
	rows, err := s.readIndexed(ctx, "list user sessions", s.k.userSessions+userID, s.k.session, sessionFields)
	if err != nil {
		return nil, err
	}
	list := []store.Session{}
	for _, row := range rows {
		h, err := hex.DecodeString(row.name)
		if err != nil {
			return nil, fmt.Errorf("redis: list user sessions: malformed index %s%s", s.k.userSessions, userID)
		}
		sess, err := s.parseSession(h, row.values)
		if err != nil {
			return nil, fmt.Errorf("redis: list user sessions: %w", err)
		}
		if sess.Live(now) {
			list = append(list, sess)
		}
	}
	slices.SortFunc(list, func(a, b store.Session) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), bytes.Compare(a.IDHash, b.IDHash))
	})
	return list, nil
}

// HasUsers implements store.UserAdmin: the size of the index of accounts
// (accounts are never deleted, and CreateUser writes the account and its
// index entry in one script).
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	var n int64
	err := s.do(ctx, "has users", func(ctx context.Context) error {
		var err error
		n, err = s.client.ZCard(ctx, s.k.users).Result()
		return err
	})
	return n > 0, err
}

// ListUsers implements store.UserAdmin through the index of accounts by
// creation, in one script; accounts made at the same time come in order of
// their id.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := s.readIndexed(ctx, "list users", s.k.users, s.k.user, userFields)
	if err != nil {
		return nil, err
	}
	list := make([]store.User, 0, len(rows))
	for _, row := range rows {
		u, found, err := s.user(row.values, nil)
		if err != nil {
			return nil, fmt.Errorf("redis: list users: %w", err)
		}
		if found {
			list = append(list, u)
		}
	}
	return list, nil
}

// UpdateUser implements store.UserAdmin in one script, which reads the
// account, checks for the last administrator and sets the fields changed.
func (s *Store) UpdateUser(ctx context.Context, id string, ch store.UserChange) (store.User, bool, error) {
	if id == "" {
		return store.User{}, false, fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	args := make([]any, 0, 4+len(userFields)+8)
	args = append(args, s.k.user, id, wire.RoleAdmin, len(userFields))
	for _, f := range userFields {
		args = append(args, f)
	}
	for _, f := range []struct {
		name  string
		value *string
	}{{"n", ch.Name}, {"r", ch.Role}, {"p", ch.PasswordHash}} {
		if f.value != nil {
			args = append(args, f.name, *f.value)
		}
	}
	if ch.Disabled != nil {
		args = append(args, "d", disabled(*ch.Disabled))
	}
	var v []any
	err := s.do(ctx, "update user", func(ctx context.Context) error {
		var err error
		v, err = s.sc.updateUser.Run(ctx, s.client, []string{s.k.user + id, s.k.users}, args...).Slice()
		return err
	})
	if err != nil {
		return store.User{}, false, err
	}
	if len(v) == 0 {
		return store.User{}, false, fmt.Errorf("redis: update user %s: unexpected reply", id)
	}
	switch status, _ := v[0].(int64); {
	case status < 0:
		return store.User{}, false, fmt.Errorf("redis: update user %s: %w", id, store.ErrLastAdmin)
	case status == 0:
		return store.User{}, false, nil
	}
	before, found, err := s.user(v[1:], nil)
	if err != nil {
		return store.User{}, false, fmt.Errorf("redis: update user: %w", err)
	}
	if !found {
		return store.User{}, false, fmt.Errorf("redis: update user %s: malformed record", id)
	}
	return before, true, nil
}

// indexedRow is a record read by readIndexed: its name in the index and the
// values of the fields asked for.
type indexedRow struct {
	name   string
	values []any
}

// readIndexed reads the fields of every record that index names, in the
// index's order.
func (s *Store) readIndexed(ctx context.Context, op, index, records string, fields []string) ([]indexedRow, error) {
	args := make([]any, 0, 1+len(fields))
	args = append(args, records)
	for _, f := range fields {
		args = append(args, f)
	}
	var v []any
	err := s.do(ctx, op, func(ctx context.Context) error {
		var err error
		v, err = s.sc.readIndexed.Run(ctx, s.client, []string{index}, args...).Slice()
		return err
	})
	if err != nil {
		return nil, err
	}
	rows := make([]indexedRow, 0, len(v))
	for _, r := range v {
		row, ok := r.([]any)
		if !ok || len(row) != 1+len(fields) {
			return nil, fmt.Errorf("redis: %s: unexpected reply", op)
		}
		name, _ := row[0].(string)
		rows = append(rows, indexedRow{name, row[1:]})
	}
	return rows, nil
}

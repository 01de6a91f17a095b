package redis

import (
	"context"
	"fmt"

	"github.com/sessionguard/sessionguard/server/store"
)

// userFields are the fields of an account, in the order user parses them.
var userFields = []string{"i", "m", "n", "r", "p", "c", "d"}

// CreateUser implements store.Users: the account and its e-mail's key are
// written in one script, unless either exists.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	if u.ID == "" || u.Email == "" {
		return fmt.Errorf("%w: empty user id or e-mail", store.ErrInvalid)
	}
	var created int64
	err := s.do(ctx, "create user", func(ctx context.Context) error {
		var err error
		created, err = s.sc.createUser.Run(ctx, s.client, []string{s.k.user + u.ID, s.k.email + u.Email, s.k.users},
			u.ID, millis(u.CreatedAt),
			"i", u.ID, "m", u.Email, "n", u.Name, "r", u.Role, "p", u.PasswordHash, "c", millis(u.CreatedAt),
			"d", disabled(u.Disabled),
		).Int64()
		return err
	})
	if err != nil {
		return err
	}
	if created == 0 {
		return fmt.Errorf("redis: create user: %w", store.ErrDuplicate)
	}
	return nil
}

// UserByEmail implements store.Users in one script.
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, bool, error) {
	args := make([]any, 0, 1+len(userFields))
	args = append(args, s.k.user)
	for _, f := range userFields {
		args = append(args, f)
	}
	var v []any
	err := s.do(ctx, "read user", func(ctx context.Context) error {
		var err error
		v, err = s.sc.userByEmail.Run(ctx, s.client, []string{s.k.email + email}, args...).Slice()
		if isNil(err) {
			v, err = nil, nil
		}
		return err
	})
	return s.user(v, err)
}

// UserByID implements store.Users.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, bool, error) {
	var v []any
	err := s.do(ctx, "read user", func(ctx context.Context) error {
		var err error
		v, err = s.client.HMGet(ctx, s.k.user+id, userFields...).Result()
		return err
	})
	return s.user(v, err)
}

// user parses the fields of an account read with userFields.
func (s *Store) user(v []any, err error) (store.User, bool, error) {
	if err != nil {
		return store.User{}, false, err
	}
	if len(v) != len(userFields) || v[0] == nil {
		return store.User{}, false, nil
	}
	var u store.User
	var ok bool
	u.ID, _ = v[0].(string)
	u.Email, _ = v[1].(string)
	u.Name, _ = v[2].(string)
	u.Role, _ = v[3].(string)
	u.PasswordHash, _ = v[4].(string)
	u.Disabled = v[6] == "1"
	if u.CreatedAt, ok = parseMillis(v[5]); !ok {
		return store.User{}, false, fmt.Errorf("redis: read user: malformed record %s%s", s.k.user, u.ID)
	}
	return u, true, nil
}

// disabled encodes User.Disabled.
func disabled(d bool) string {
	if d {
		return "1"
	}
	return "0"
}

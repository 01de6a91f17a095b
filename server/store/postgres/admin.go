package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

var (
	_ store.SessionLister = (*Store)(nil)
	_ store.UserAdmin     = (*Store)(nil)
)

// UserSessions implements store.SessionLister through the index on user_id;
// sessions made at the same time come in order of their hash.
func (s *Store) UserSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error) {
	var list []store.Session
	err := s.do(ctx, "list user sessions", true, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, s.q.userSessions, userID, now)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Session, error) { return scanSession(row) })
		return err
	})
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []store.Session{}
	}
	return list, nil
}

// ListUsers implements store.UserAdmin; accounts made at the same time come
// in order of their id.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	var list []store.User
	err := s.do(ctx, "list users", true, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, s.q.listUsers)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.User, error) { return scanUser(row) })
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// HasUsers implements store.UserAdmin: one index probe.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	var any bool
	err := s.do(ctx, "has users", true, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, s.q.hasUsers).Scan(&any)
	})
	return any, err
}

// UpdateUser implements store.UserAdmin in one transaction that first
// locks the account and every enabled administrator: two demotions of the
// last two administrators queue on each other's rows, and the second sees
// the first one's result, under READ COMMITTED too. The account is read,
// and the change written, while its row is locked.
func (s *Store) UpdateUser(ctx context.Context, id string, ch store.UserChange) (store.User, bool, error) {
	if id == "" {
		return store.User{}, false, fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	var (
		before store.User
		found  bool
	)
	err := s.do(ctx, "update user", true, func(ctx context.Context) error {
		found = false
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, s.q.lockAdmins, id, wire.RoleAdmin)
			if err != nil {
				return err
			}
			var (
				locked     string
				admin      bool
				otherAdmin bool
			)
			if _, err := pgx.ForEachRow(rows, []any{&locked, &admin}, func() error {
				if locked == id {
					found = true
				} else {
					otherAdmin = otherAdmin || admin
				}
				return nil
			}); err != nil {
				return err
			}
			if !found {
				return nil
			}
			if before, err = scanUser(tx.QueryRow(ctx, s.q.userByID, id)); err != nil {
				return err
			}
			if ch.RemovesAdmin(before) && !otherAdmin {
				found = false
				return fmt.Errorf("%w: %s", store.ErrLastAdmin, id)
			}
			_, err = tx.Exec(ctx, s.q.updateUser, id, ch.Name, ch.Role, ch.PasswordHash, ch.Disabled)
			return err
		})
	})
	if err != nil || !found {
		return store.User{}, false, err
	}
	return before, true, nil
}

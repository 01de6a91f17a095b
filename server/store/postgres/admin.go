package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sessionguard/sessionguard/server/store"
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

// UpdateUser implements store.UserAdmin in one transaction that first
// locks the account and every enabled administrator: two demotions of the
// last two administrators queue on each other's rows, and the second sees
// the first one's result, under READ COMMITTED too.
func (s *Store) UpdateUser(ctx context.Context, u store.User) (bool, error) {
	if u.ID == "" {
		return false, fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	var found bool
	err := s.do(ctx, "update user", true, func(ctx context.Context) error {
		found = false
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, s.q.lockAdmins, u.ID, store.RoleAdmin)
			if err != nil {
				return err
			}
			var (
				id                          string
				admin, wasAdmin, otherAdmin bool
			)
			if _, err := pgx.ForEachRow(rows, []any{&id, &admin}, func() error {
				if id == u.ID {
					found, wasAdmin = true, admin
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
			if wasAdmin && (u.Role != store.RoleAdmin || u.Disabled) && !otherAdmin {
				found = false
				return fmt.Errorf("%w: %s", store.ErrLastAdmin, u.ID)
			}
			_, err = tx.Exec(ctx, s.q.updateUser, u.ID, u.Name, u.Role, u.PasswordHash, u.Disabled)
			return err
		})
	})
	if err != nil {
		return false, err
	}
	return found, nil
}

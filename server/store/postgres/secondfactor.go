package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/sessionguard/sessionguard/server/store"
)

// factorQueries are the statements of store.SecondFactors.
type factorQueries struct {
	read, begin, enable, clearCodes, insertCodes, accept, useCode, delete string
}

func newFactorQueries(factors, codes string) factorQueries {
	return factorQueries{
		read: `SELECT secret, enabled, last_step, (SELECT count(*) FROM ` + codes + ` WHERE user_id = $1)
			FROM ` + factors + ` WHERE user_id = $1`,
		// Inserts a pending factor, or replaces the secret of a pending
		// one; an enabled one is left alone (no row affected).
		begin: `INSERT INTO ` + factors + ` AS f (user_id, secret) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret WHERE NOT f.enabled`,
		enable: `UPDATE ` + factors + ` SET enabled = true, last_step = $2
			WHERE user_id = $1 AND NOT enabled AND secret = $3`,
		clearCodes:  `DELETE FROM ` + codes + ` WHERE user_id = $1`,
		insertCodes: `INSERT INTO ` + codes + ` (user_id, hash) SELECT $1, unnest($2::bytea[]) ON CONFLICT DO NOTHING`,
		// The comparison is the condition: concurrent accepts of a step
		// wait for each other's row lock and check the row again as the
		// winner left it, so exactly one changes it.
		accept: `UPDATE ` + factors + ` SET last_step = $2 WHERE user_id = $1 AND enabled AND last_step < $2 AND secret = $3`,
		// Only an enabled factor has codes; of concurrent deletes of a row
		// one finds it.
		useCode: `DELETE FROM ` + codes + ` WHERE user_id = $1 AND hash = $2`,
		delete: `WITH codes AS (DELETE FROM ` + codes + ` WHERE user_id = $1)
			DELETE FROM ` + factors + ` WHERE user_id = $1`,
	}
}

// SecondFactor implements store.SecondFactors.
func (s *Store) SecondFactor(ctx context.Context, userID string) (store.SecondFactor, bool, error) {
	var (
		f     = store.SecondFactor{UserID: userID}
		found bool
	)
	err := s.do(ctx, "read second factor", true, func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, s.q.factor.read, userID).Scan(&f.Secret, &f.Enabled, &f.LastStep, &f.RecoveryCodes)
		found = err == nil
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil || !found {
		return store.SecondFactor{}, false, err
	}
	return f, true, nil
}

// BeginSecondFactor implements store.SecondFactors in one statement.
func (s *Store) BeginSecondFactor(ctx context.Context, userID string, secret []byte) (bool, error) {
	if err := store.CheckFactorArgs(userID, [][]byte{secret}, nil, nil); err != nil {
		return false, err
	}
	return s.changes(ctx, "begin second factor", true, s.q.factor.begin, userID, secret)
}

// EnableSecondFactor implements store.SecondFactors in one transaction:
// the update that enables the factor locks its row until the codes are in.
func (s *Store) EnableSecondFactor(ctx context.Context, userID string, secret []byte, step int64, recoveryHashes [][]byte) (bool, error) {
	if err := store.CheckFactorArgs(userID, [][]byte{secret}, []int64{step}, recoveryHashes); err != nil {
		return false, err
	}
	var enabled bool
	err := s.do(ctx, "enable second factor", false, func(ctx context.Context) error {
		enabled = false
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, s.q.factor.enable, userID, step, secret)
			if err != nil || tag.RowsAffected() == 0 {
				return err
			}
			// A pending factor has no codes; these would be a leftover.
			if _, err := tx.Exec(ctx, s.q.factor.clearCodes, userID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, s.q.factor.insertCodes, userID, recoveryHashes); err != nil {
				return err
			}
			enabled = true
			return nil
		})
	})
	if err != nil {
		return false, err
	}
	return enabled, nil
}

// AcceptStep implements store.SecondFactors in one statement.
func (s *Store) AcceptStep(ctx context.Context, userID string, secret []byte, step int64) (bool, error) {
	if err := store.CheckFactorArgs(userID, [][]byte{secret}, []int64{step}, nil); err != nil {
		return false, err
	}
	return s.changes(ctx, "accept time step", false, s.q.factor.accept, userID, step, secret)
}

// UseRecoveryCode implements store.SecondFactors in one statement.
func (s *Store) UseRecoveryCode(ctx context.Context, userID string, hash []byte) (bool, error) {
	if err := store.CheckFactorArgs(userID, nil, nil, [][]byte{hash}); err != nil {
		return false, err
	}
	return s.changes(ctx, "use recovery code", false, s.q.factor.useCode, userID, hash)
}

// DeleteSecondFactor implements store.SecondFactors in one statement.
func (s *Store) DeleteSecondFactor(ctx context.Context, userID string) (bool, error) {
	if err := store.CheckFactorArgs(userID, nil, nil, nil); err != nil {
		return false, err
	}
	return s.changes(ctx, "delete second factor", false, s.q.factor.delete, userID)
}

// changes runs a statement and reports whether it changed a row.
// repeatable is as for do: whether a second try after a broken connection
// reports the same.
func (s *Store) changes(ctx context.Context, op string, repeatable bool, query string, args ...any) (bool, error) {
	var changed bool
	err := s.do(ctx, op, repeatable, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, query, args...)
		changed = err == nil && tag.RowsAffected() > 0
		return err
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}

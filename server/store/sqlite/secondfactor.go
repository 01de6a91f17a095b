package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sessionguard/sessionguard/server/store"
)

// SecondFactor implements store.SecondFactors.
func (s *Store) SecondFactor(ctx context.Context, userID string) (store.SecondFactor, bool, error) {
	f := store.SecondFactor{UserID: userID}
	err := s.read.QueryRowContext(ctx,
		`SELECT secret, enabled, last_step, (SELECT count(*) FROM recovery_codes WHERE user_id = ?1)
		FROM second_factors WHERE user_id = ?1`, userID).Scan(&f.Secret, &f.Enabled, &f.LastStep, &f.RecoveryCodes)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.SecondFactor{}, false, nil
	case err != nil:
		return store.SecondFactor{}, false, fmt.Errorf("sqlite: read second factor: %w", err)
	}
	return f, true, nil
}

// BeginSecondFactor implements store.SecondFactors in one statement: the
// insert turns into an update of a pending factor and into nothing for an
// enabled one.
func (s *Store) BeginSecondFactor(ctx context.Context, userID string, secret []byte) (bool, error) {
	if err := store.CheckFactorArgs(userID, [][]byte{secret}, nil, nil); err != nil {
		return false, err
	}
	res, err := s.write.ExecContext(ctx,
		`INSERT INTO second_factors (user_id, secret) VALUES (?, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret WHERE enabled = 0`, userID, secret)
	return changed("begin second factor", res, err)
}

// EnableSecondFactor implements store.SecondFactors in one transaction on
// the writer.
func (s *Store) EnableSecondFactor(ctx context.Context, userID string, secret []byte, step int64, recoveryHashes [][]byte) (bool, error) {
	if err := store.CheckFactorArgs(userID, [][]byte{secret}, []int64{step}, recoveryHashes); err != nil {
		return false, err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: enable second factor: %w", err)
	}
	defer tx.Rollback() // after Commit, a no-op
	res, err := tx.ExecContext(ctx,
		`UPDATE second_factors SET enabled = 1, last_step = ?
		WHERE user_id = ? AND enabled = 0 AND secret = ?`, step, userID, secret)
	enabled, err := changed("enable second factor", res, err)
	if err != nil || !enabled {
		return false, err
	}
	// A pending factor has no codes; these would be a leftover.
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return false, fmt.Errorf("sqlite: enable second factor: %w", err)
	}
	for _, h := range recoveryHashes {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO recovery_codes (user_id, hash) VALUES (?, ?) ON CONFLICT DO NOTHING`, userID, h); err != nil {
			return false, fmt.Errorf("sqlite: enable second factor: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: enable second factor: %w", err)
	}
	return true, nil
}

// AcceptStep implements store.SecondFactors: the comparison is the
// UPDATE's condition, so one statement checks and moves the step.
func (s *Store) AcceptStep(ctx context.Context, userID string, secret []byte, step int64) (bool, error) {
	if err := store.CheckFactorArgs(userID, [][]byte{secret}, []int64{step}, nil); err != nil {
		return false, err
	}
	res, err := s.write.ExecContext(ctx,
		`UPDATE second_factors SET last_step = ?1 WHERE user_id = ?2 AND enabled = 1 AND last_step < ?1 AND secret = ?3`, step, userID, secret)
	return changed("accept time step", res, err)
}

// UseRecoveryCode implements store.SecondFactors: only an enabled factor
// has codes, and the delete that finds the row is the one use.
func (s *Store) UseRecoveryCode(ctx context.Context, userID string, hash []byte) (bool, error) {
	if err := store.CheckFactorArgs(userID, nil, nil, [][]byte{hash}); err != nil {
		return false, err
	}
	res, err := s.write.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ? AND hash = ?`, userID, hash)
	return changed("use recovery code", res, err)
}

// DeleteSecondFactor implements store.SecondFactors in one transaction on
// the writer.
func (s *Store) DeleteSecondFactor(ctx context.Context, userID string) (bool, error) {
	if err := store.CheckFactorArgs(userID, nil, nil, nil); err != nil {
		return false, err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: delete second factor: %w", err)
	}
	defer tx.Rollback() // after Commit, a no-op
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return false, fmt.Errorf("sqlite: delete second factor: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM second_factors WHERE user_id = ?`, userID)
	found, err := changed("delete second factor", res, err)
	if err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: delete second factor: %w", err)
	}
	return found, nil
}

// changed reports whether a statement of op changed a row.
func changed(op string, res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return n > 0, nil
}

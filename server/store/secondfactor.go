package store

import (
	"context"
	"fmt"
)

// SecondFactor is an account's TOTP second factor as the store keeps it.
type SecondFactor struct {
	UserID string
	// Secret is the TOTP secret, encrypted by the caller: the store keeps
	// the bytes as they are and never looks inside.
	Secret []byte
	// Enabled is false while the enrolment waits for its first code
	// (pending) and true once a code confirmed it.
	Enabled bool
	// LastStep is the last time step (unix time / 30 s) whose code was
	// accepted; 0 when none was.
	LastStep int64
	// RecoveryCodes is how many unused recovery codes are left.
	RecoveryCodes int
}

// SecondFactors keeps each account's second factor: an encrypted TOTP
// secret, whether it is confirmed, the last accepted time step (so that a
// code is never accepted twice) and the hashes of single-use recovery codes.
// An account has at most one factor, pending or enabled; one that never
// enrolled has none, and every method but BeginSecondFactor leaves it so.
//
// User ids are compared exactly, like everywhere in this package; the store
// does not check that the account exists. Recovery code hashes are HashLen
// bytes (the caller hashes the codes; the store compares hashes exactly).
type SecondFactors interface {
	// SecondFactor returns the user's factor, pending or enabled. found is
	// false, and the record zero, when there is none (as for an empty id).
	SecondFactor(ctx context.Context, userID string) (f SecondFactor, found bool, err error)
	// BeginSecondFactor stores a pending factor with secret, replacing a
	// pending one (its secret; a pending factor has no step and no codes),
	// unless the user's factor is enabled: then it changes nothing and
	// reports begun=false. The check and the write are one atomic step. It
	// returns ErrInvalid for an empty user id or secret.
	BeginSecondFactor(ctx context.Context, userID string, secret []byte) (begun bool, err error)
	// EnableSecondFactor turns the user's pending factor on, in one atomic
	// step, if its secret is still secret (the one the confirming code was
	// checked against; a BeginSecondFactor in between replaced it): it sets
	// LastStep to step and stores the recovery code hashes (a hash given
	// twice is kept once). It reports enabled=false, and changes nothing,
	// when there is no pending factor with that secret (none, another
	// secret, or enabled already). It returns ErrInvalid for an empty user
	// id or secret, a step that is not positive or a hash that is not
	// HashLen bytes.
	EnableSecondFactor(ctx context.Context, userID string, secret []byte, step int64, recoveryHashes [][]byte) (enabled bool, err error)
	// AcceptStep records that a code of time step was accepted for the
	// user's enabled factor, only if step is after LastStep and the factor's
	// secret is still secret (the one the code was checked against: a
	// disable and a new enrolment in between replaced it), atomically: of
	// concurrent accepts of one step exactly one reports accepted=true, and
	// a step at or before LastStep is refused. It reports false for a user
	// without an enabled factor with that secret. It returns ErrInvalid for
	// an empty user id or secret or a step that is not positive.
	AcceptStep(ctx context.Context, userID string, secret []byte, step int64) (accepted bool, err error)
	// UseRecoveryCode removes the recovery code hash from the user's enabled
	// factor and reports whether it was there, atomically: of concurrent
	// uses of one code exactly one reports used=true. It returns ErrInvalid
	// for an empty user id or a hash that is not HashLen bytes.
	UseRecoveryCode(ctx context.Context, userID string, hash []byte) (used bool, err error)
	// DeleteSecondFactor removes the user's factor, pending or enabled, with
	// its last step and recovery codes, and reports whether there was one.
	// It returns ErrInvalid for an empty user id.
	DeleteSecondFactor(ctx context.Context, userID string) (found bool, err error)
}

// CheckFactorArgs returns an error wrapping ErrInvalid for arguments of a
// SecondFactors method that break its rules, as every backend checks them:
// an empty user id, an empty secret, a time step that is not positive, a
// recovery code hash that is not HashLen bytes. A method passes the
// secrets, steps and hashes it takes (none for what it does not take).
func CheckFactorArgs(userID string, secrets [][]byte, steps []int64, hashes [][]byte) error {
	if userID == "" {
		return fmt.Errorf("%w: empty user id", ErrInvalid)
	}
	for _, s := range secrets {
		if len(s) == 0 {
			return fmt.Errorf("%w: empty second-factor secret", ErrInvalid)
		}
	}
	for _, step := range steps {
		if step <= 0 {
			return fmt.Errorf("%w: time step %d", ErrInvalid, step)
		}
	}
	for _, h := range hashes {
		if len(h) != HashLen {
			return fmt.Errorf("%w: recovery code hash of %d bytes, want %d", ErrInvalid, len(h), HashLen)
		}
	}
	return nil
}

package memory

import (
	"bytes"
	"context"

	"github.com/sessionguard/sessionguard/server/store"
)

// factor is a user's second factor: the record and its unused recovery
// code hashes (as strings).
type factor struct {
	f        store.SecondFactor
	recovery map[string]bool
}

// SecondFactor implements store.SecondFactors.
func (s *Store) SecondFactor(ctx context.Context, userID string) (store.SecondFactor, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.SecondFactor{}, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	fa, ok := s.factors[userID]
	if !ok {
		return store.SecondFactor{}, false, nil
	}
	f := fa.f
	f.Secret = bytes.Clone(f.Secret)
	f.RecoveryCodes = len(fa.recovery)
	return f, true, nil
}

// BeginSecondFactor implements store.SecondFactors.
func (s *Store) BeginSecondFactor(ctx context.Context, userID string, secret []byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := store.CheckFactorArgs(userID, [][]byte{secret}, nil, nil); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if fa, ok := s.factors[userID]; ok && fa.f.Enabled {
		return false, nil
	}
	s.factors[userID] = &factor{f: store.SecondFactor{UserID: userID, Secret: bytes.Clone(secret)}}
	return true, nil
}

// EnableSecondFactor implements store.SecondFactors.
func (s *Store) EnableSecondFactor(ctx context.Context, userID string, secret []byte, step int64, recoveryHashes [][]byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := store.CheckFactorArgs(userID, [][]byte{secret}, []int64{step}, recoveryHashes); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fa, ok := s.factors[userID]
	if !ok || fa.f.Enabled || !bytes.Equal(fa.f.Secret, secret) {
		return false, nil
	}
	fa.f.Enabled = true
	fa.f.LastStep = step
	fa.recovery = make(map[string]bool, len(recoveryHashes))
	for _, h := range recoveryHashes {
		fa.recovery[string(h)] = true
	}
	return true, nil
}

// AcceptStep implements store.SecondFactors.
func (s *Store) AcceptStep(ctx context.Context, userID string, secret []byte, step int64) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := store.CheckFactorArgs(userID, [][]byte{secret}, []int64{step}, nil); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fa, ok := s.factors[userID]
	if !ok || !fa.f.Enabled || step <= fa.f.LastStep || !bytes.Equal(fa.f.Secret, secret) {
		return false, nil
	}
	fa.f.LastStep = step
	return true, nil
}

// UseRecoveryCode implements store.SecondFactors.
func (s *Store) UseRecoveryCode(ctx context.Context, userID string, hash []byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := store.CheckFactorArgs(userID, nil, nil, [][]byte{hash}); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fa, ok := s.factors[userID]
	if !ok || !fa.f.Enabled || !fa.recovery[string(hash)] {
		return false, nil
	}
	delete(fa.recovery, string(hash))
	return true, nil
}

// DeleteSecondFactor implements store.SecondFactors.
func (s *Store) DeleteSecondFactor(ctx context.Context, userID string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := store.CheckFactorArgs(userID, nil, nil, nil); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.factors[userID]
	delete(s.factors, userID)
	return ok, nil
}

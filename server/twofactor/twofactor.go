// Package twofactor is the second factor of sign-in: TOTP (RFC 6238: SHA-1,
// six digits, 30-second steps, one step of clock drift either way) and
// single-use recovery codes, kept by a store.SecondFactors.
//
// The TOTP secret is encrypted at rest (AES-256-GCM, bound to its account)
// with a key every instance shares through the store (KeyName); recovery
// codes are kept as hashes. A code is accepted once: the store keeps the
// last accepted time step and moves it forward only, atomically, so a code
// of that step or an earlier one is refused, also when two instances get
// it at the same moment. Secrets, codes and Enrolment values are never
// logged: Enrolment logs as a placeholder.
package twofactor

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/sessionguard/sessionguard/server/store"
)

// KeyName is the name of the secrets' encryption key in the store
// (store.Keys.Secret); KeyLen is its length.
const (
	KeyName = "totp-secret-key"
	KeyLen  = 32
)

// RecoveryCodes is how many recovery codes Confirm returns.
const RecoveryCodes = 10

var (
	// ErrEnabled is returned by Setup for an account whose second factor
	// is on: it must be disabled first.
	ErrEnabled = errors.New("two-factor authentication is on already")
	// ErrNotPending is returned by Confirm when no enrolment waits for its
	// first code (none was set up, it is on already, or another Setup
	// replaced it meanwhile).
	ErrNotPending = errors.New("no two-factor enrolment to confirm")
	// ErrNotEnabled is returned by Verify, VerifyRecoveryCode and Disable
	// for an account whose second factor is not on.
	ErrNotEnabled = errors.New("two-factor authentication is off")
	// ErrWrongCode is returned for a code that is wrong, malformed, of a
	// step already used, or a recovery code that was used.
	ErrWrongCode = errors.New("wrong code")
)

// Service enrols accounts in TOTP and checks their codes. Build one with
// New; it is safe for concurrent use.
type Service struct {
	store  store.SecondFactors
	sealer sealer
	issuer string
	now    func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock codes are checked against.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithIssuer sets the issuer that authenticator apps show beside the
// account (default "sessionguard").
func WithIssuer(issuer string) Option { return func(s *Service) { s.issuer = issuer } }

// New returns a Service on st whose secrets are encrypted with key, KeyLen
// bytes (read it from the store under KeyName, so every instance has the
// same).
func New(st store.SecondFactors, key []byte, opts ...Option) (*Service, error) {
	sl, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	s := &Service{store: st, sealer: sl, issuer: "sessionguard", now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Store is what Open needs of a store: the second factors, and the shared
// secrets the key lives among. Every store.Store is one.
type Store interface {
	store.SecondFactors
	store.Keys
}

// Open returns a Service on st with the key that st keeps under KeyName,
// which the first instance to ask makes at random: every instance that
// shares the store opens the others' secrets.
func Open(ctx context.Context, st Store, opts ...Option) (*Service, error) {
	candidate := make([]byte, KeyLen)
	rand.Read(candidate) // never fails (crypto/rand)
	key, err := st.Secret(ctx, KeyName, candidate)
	if err != nil {
		return nil, fmt.Errorf("twofactor: read the shared key: %w", err)
	}
	return New(st, key, opts...)
}

// Enrolment is what Setup hands the user to put into an authenticator
// app: the secret in base32 and the otpauth:// URI (for a QR code).
type Enrolment struct {
	Secret string
	URI    string
}

// LogValue keeps the secret out of logs.
func (Enrolment) LogValue() slog.Value { return slog.StringValue("[enrolment]") }

// State is where an account stands.
type State struct {
	// Pending is true while an enrolment waits for its first code.
	Pending bool
	// Enabled is true once it is on: sign-in needs a second factor.
	Enabled bool
	// RecoveryCodes is how many unused recovery codes are left.
	RecoveryCodes int
}

// State returns where the account stands; the zero State for one that
// never enrolled.
func (s *Service) State(ctx context.Context, userID string) (State, error) {
	f, found, err := s.store.SecondFactor(ctx, userID)
	if err != nil || !found {
		return State{}, err
	}
	return State{Pending: !f.Enabled, Enabled: f.Enabled, RecoveryCodes: f.RecoveryCodes}, nil
}

// Setup starts an enrolment of the account, named accountName in the
// authenticator app (its e-mail): a new secret, pending until Confirm.
// It replaces an enrolment that was never confirmed, and returns
// ErrEnabled when the second factor is on.
func (s *Service) Setup(ctx context.Context, userID, accountName string) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: s.issuer, AccountName: accountName,
		Period: period, SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("twofactor: new secret: %w", err)
	}
	sealed, err := s.sealer.seal(userID, key.Secret())
	if err != nil {
		return Enrolment{}, err
	}
	begun, err := s.store.BeginSecondFactor(ctx, userID, sealed)
	if err != nil {
		return Enrolment{}, fmt.Errorf("twofactor: setup: %w", err)
	}
	if !begun {
		return Enrolment{}, ErrEnabled
	}
	return Enrolment{Secret: key.Secret(), URI: key.URL()}, nil
}

// Confirm turns the pending enrolment on with its first code and returns
// RecoveryCodes recovery codes, to be shown once: only their hashes are
// kept. A wrong code is ErrWrongCode and leaves the enrolment pending.
func (s *Service) Confirm(ctx context.Context, userID, code string) ([]string, error) {
	f, found, err := s.store.SecondFactor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("twofactor: confirm: %w", err)
	}
	if !found || f.Enabled {
		return nil, ErrNotPending
	}
	secret, err := s.sealer.open(userID, f.Secret)
	if err != nil {
		return nil, err
	}
	step, ok := matchStep(secret, code, s.now(), 0)
	if !ok {
		return nil, ErrWrongCode
	}
	codes, hashes := newRecoveryCodes(userID, RecoveryCodes)
	enabled, err := s.store.EnableSecondFactor(ctx, userID, f.Secret, step, hashes)
	if err != nil {
		return nil, fmt.Errorf("twofactor: confirm: %w", err)
	}
	if !enabled {
		return nil, ErrNotPending
	}
	return codes, nil
}

// Verify checks a TOTP code of the account's enabled second factor and
// uses up its time step: ErrWrongCode for a wrong code and for one of a
// step that was accepted already (or an earlier one), ErrNotEnabled when
// the second factor is off.
func (s *Service) Verify(ctx context.Context, userID, code string) error {
	f, found, err := s.store.SecondFactor(ctx, userID)
	if err != nil {
		return fmt.Errorf("twofactor: verify: %w", err)
	}
	if !found || !f.Enabled {
		return ErrNotEnabled
	}
	secret, err := s.sealer.open(userID, f.Secret)
	if err != nil {
		return err
	}
	step, ok := matchStep(secret, code, s.now(), f.LastStep)
	if !ok {
		return ErrWrongCode
	}
	accepted, err := s.store.AcceptStep(ctx, userID, f.Secret, step)
	if err != nil {
		return fmt.Errorf("twofactor: verify: %w", err)
	}
	if !accepted {
		return ErrWrongCode // the same code, accepted meanwhile
	}
	return nil
}

// VerifyRecoveryCode uses up one of the account's recovery codes (spaces,
// dashes and case do not matter): ErrWrongCode for one that is unknown or
// used, ErrNotEnabled when the second factor is off.
func (s *Service) VerifyRecoveryCode(ctx context.Context, userID, code string) error {
	f, found, err := s.store.SecondFactor(ctx, userID)
	if err != nil {
		return fmt.Errorf("twofactor: verify recovery code: %w", err)
	}
	if !found || !f.Enabled {
		return ErrNotEnabled
	}
	normal, ok := normalRecoveryCode(code)
	if !ok {
		return ErrWrongCode
	}
	used, err := s.store.UseRecoveryCode(ctx, userID, recoveryHash(userID, normal))
	if err != nil {
		return fmt.Errorf("twofactor: verify recovery code: %w", err)
	}
	if !used {
		return ErrWrongCode
	}
	return nil
}

// Disable turns the account's second factor off, with a TOTP code that
// Verify accepts, and forgets its secret, step and recovery codes.
func (s *Service) Disable(ctx context.Context, userID, code string) error {
	if err := s.Verify(ctx, userID, code); err != nil {
		return err
	}
	if _, err := s.store.DeleteSecondFactor(ctx, userID); err != nil {
		return fmt.Errorf("twofactor: disable: %w", err)
	}
	return nil
}

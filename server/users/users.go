// Package users holds accounts: e-mail normalisation, validation, argon2id
// password hashes and the credentials check of sign-in.
package users

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

// The roles an account can have, as wire names them.
const (
	RoleUser  = wire.RoleUser
	RoleAdmin = wire.RoleAdmin // the store never leaves none of these enabled
)

// Store is what a Service needs of a store: its accounts, and changing them
// after they are made. Every store.Store is one.
type Store interface {
	store.Users
	store.UserAdmin
}

// Service checks credentials and creates accounts on top of a Store.
// Build one with New. A Service is safe for concurrent use.
type Service struct {
	users  Store
	hasher *Hasher
	now    func() time.Time
	// dummy is a real hash of a random password, verified for unknown
	// e-mails so both failures take the same time.
	dummy string
}

// New returns a Service. It hashes one random password for the dummy check,
// which takes a few tens of milliseconds.
func New(ctx context.Context, users Store, hasher *Hasher, opts ...Option) (*Service, error) {
	s := &Service{users: users, hasher: hasher, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	dummy, err := hasher.Hash(ctx, rand.Text())
	if err != nil {
		return nil, fmt.Errorf("users: hash dummy password: %w", err)
	}
	s.dummy = dummy
	return s, nil
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock used for CreatedAt.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// NormalizeEmail trims spaces and lower-cases the address.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// Authenticate returns the account for email when password matches. It
// answers ErrInvalidCredentials for an unknown e-mail and a wrong password
// alike, after the same argon2id work, and a wrapped store error when the store
// fails.
func (s *Service) Authenticate(ctx context.Context, email, password string) (store.User, error) {
	return s.AuthenticateGated(ctx, email, password, nil)
}

// AuthenticateGated is Authenticate with a gate that runs once a hashing slot
// is free, right before the password is hashed. A rate limiter uses it to
// look at the failure counts again after queueing, so a flood of parallel
// guesses cannot all pass the check made on arrival. An error from gate is
// returned as it is, and nothing is hashed.
func (s *Service) AuthenticateGated(ctx context.Context, email, password string, gate func() error) (store.User, error) {
	email = NormalizeEmail(email)
	tooLong := len(password) > MaxPasswordLen
	if tooLong {
		password = password[:MaxPasswordLen] // hashed for equal timing, then refused
	}
	u, found, err := s.users.UserByEmail(ctx, email)
	if err != nil {
		return store.User{}, fmt.Errorf("users: look up account: %w", err)
	}
	hash := s.dummy
	if found {
		hash = u.PasswordHash
	}
	ok, err := s.hasher.verifyGated(ctx, hash, password, gate)
	switch {
	case errors.Is(err, ErrBadHash): // a damaged row fails like a wrong password
		ok = false
	case err != nil: // the gate's error or the context's, as they are
		return store.User{}, err
	}
	if !found || !ok || tooLong || password == "" {
		return store.User{}, ErrInvalidCredentials
	}
	if u.Disabled {
		return store.User{}, ErrDisabled
	}
	return u, nil
}

// NewAccount is what Create needs to make an account.
type NewAccount struct {
	Email    string
	Name     string
	Role     string
	Password string
}

// Validate checks the account's fields and returns an error wrapping
// ErrInvalidAccount that says which one is wrong.
func (a NewAccount) Validate() error {
	email := NormalizeEmail(a.Email)
	bad := func(msg string) error { return fmt.Errorf("%w: %s", ErrInvalidAccount, msg) }
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || len(email) > 254 {
		return bad("e-mail must be a plain address such as name@example.com")
	}
	name := strings.TrimSpace(a.Name)
	if name == "" || utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) {
		return bad("name must be 1 to 100 characters")
	}
	if a.Role != RoleUser && a.Role != RoleAdmin {
		return bad("role must be user or admin")
	}
	if utf8.RuneCountInString(a.Password) < 8 || len(a.Password) > MaxPasswordLen {
		return bad(fmt.Sprintf("password must be 8 to %d bytes long", MaxPasswordLen))
	}
	return nil
}

// Create validates a, hashes the password and stores the account.
func (s *Service) Create(ctx context.Context, a NewAccount) (store.User, error) {
	if err := a.Validate(); err != nil {
		return store.User{}, err
	}
	hash, err := s.hasher.Hash(ctx, a.Password)
	if err != nil {
		return store.User{}, fmt.Errorf("users: hash password: %w", err)
	}
	u := store.User{
		ID:           newID(),
		Email:        NormalizeEmail(a.Email),
		Name:         strings.TrimSpace(a.Name),
		Role:         a.Role,
		PasswordHash: hash,
		CreatedAt:    s.now().UTC(),
	}
	if err := s.users.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return store.User{}, ErrEmailTaken
		}
		return store.User{}, fmt.Errorf("users: store account: %w", err)
	}
	return u, nil
}

// EnsureAccount creates the account unless its e-mail exists already. It
// reports whether it created one. The demo accounts use it.
func (s *Service) EnsureAccount(ctx context.Context, a NewAccount) (bool, error) {
	_, found, err := s.users.UserByEmail(ctx, NormalizeEmail(a.Email))
	if err != nil {
		return false, fmt.Errorf("users: look up account: %w", err)
	}
	if found {
		return false, nil
	}
	if _, err := s.Create(ctx, a); err != nil {
		if errors.Is(err, ErrEmailTaken) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// newID returns a random 128-bit account id in hex.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

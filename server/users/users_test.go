package users_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/users"
)

// fastParams keep tests quick; TestDefaultParamsHash checks the real ones.
var fastParams = users.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func newService(t *testing.T) *users.Service {
	t.Helper()
	s, err := users.New(context.Background(), memory.New(), users.NewHasher(fastParams, 2))
	require.NoError(t, err)
	return s
}

func TestDefaultParamsHash(t *testing.T) {
	h := users.NewHasher(users.DefaultParams, 1)
	phc, err := h.Hash(context.Background(), "correct horse")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$"), phc)
	ok, err := h.Verify(context.Background(), phc, "correct horse")
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestHashIsSaltedAndVerifies(t *testing.T) {
	h := users.NewHasher(fastParams, 1)
	ctx := context.Background()
	a, err := h.Hash(ctx, "pw-12345")
	require.NoError(t, err)
	b, err := h.Hash(ctx, "pw-12345")
	require.NoError(t, err)
	assert.NotEqual(t, a, b, "same password, different salt")
	ok, err := h.Verify(ctx, a, "pw-12345")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = h.Verify(ctx, a, "pw-12346")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestVerifyRejectsBadHashes(t *testing.T) {
	h := users.NewHasher(fastParams, 1)
	for _, phc := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1000,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1,x=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!!$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5",
	} {
		t.Run(phc, func(t *testing.T) {
			ok, err := h.Verify(context.Background(), phc, "x")
			assert.ErrorIs(t, err, users.ErrBadHash)
			assert.False(t, ok)
		})
	}
}

func TestHasherCapsConcurrency(t *testing.T) {
	h := users.NewHasher(fastParams, 1)
	phc, err := h.Hash(context.Background(), "pw-12345")
	require.NoError(t, err)

	// Hold the only slot; a second check must wait for it.
	started := make(chan struct{})
	release := make(chan struct{})
	go func() {
		_ = h.Hold(func() { close(started); <-release })
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = h.Verify(ctx, phc, "pw-12345")
	assert.ErrorIs(t, err, context.DeadlineExceeded, "second hash waits for the slot")
	close(release)
	ok, err := h.Verify(context.Background(), phc, "pw-12345")
	require.NoError(t, err)
	assert.True(t, ok, "slot is free again")
}

func TestAuthenticate(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	u, err := s.Create(ctx, users.NewAccount{Email: "  Ada@Example.COM ", Name: "Ada", Role: users.RoleUser, Password: "lovelace-1815"})
	require.NoError(t, err)
	assert.Equal(t, "ada@example.com", u.Email)
	assert.Len(t, u.ID, 32)

	got, err := s.Authenticate(ctx, "ADA@example.com ", "lovelace-1815")
	require.NoError(t, err)
	assert.Equal(t, u.ID, got.ID)

	tests := []struct{ name, email, password string }{
		{"wrong password", "ada@example.com", "lovelace-1816"},
		{"unknown e-mail", "bob@example.com", "lovelace-1815"},
		{"empty password", "ada@example.com", ""},
		{"huge password", "ada@example.com", strings.Repeat("x", 1<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Authenticate(ctx, tt.email, tt.password)
			assert.ErrorIs(t, err, users.ErrInvalidCredentials)
		})
	}
}

func TestCreateValidates(t *testing.T) {
	s := newService(t)
	ok := users.NewAccount{Email: "a@example.com", Name: "A", Role: "user", Password: "password1"}
	tests := []struct {
		name string
		edit func(*users.NewAccount)
	}{
		{"no at", func(a *users.NewAccount) { a.Email = "example.com" }},
		{"display name", func(a *users.NewAccount) { a.Email = "A <a@example.com>" }},
		{"empty name", func(a *users.NewAccount) { a.Name = "  " }},
		{"long name", func(a *users.NewAccount) { a.Name = strings.Repeat("n", 101) }},
		{"bad role", func(a *users.NewAccount) { a.Role = "root" }},
		{"short password", func(a *users.NewAccount) { a.Password = "short" }},
		{"long password", func(a *users.NewAccount) { a.Password = strings.Repeat("p", users.MaxPasswordLen+1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ok
			tt.edit(&a)
			_, err := s.Create(context.Background(), a)
			assert.ErrorIs(t, err, users.ErrInvalidAccount)
		})
	}
	_, err := s.Create(context.Background(), ok)
	require.NoError(t, err)
	dup := ok
	dup.Email = "A@EXAMPLE.com"
	_, err = s.Create(context.Background(), dup)
	assert.ErrorIs(t, err, users.ErrEmailTaken)
}

func TestEnsureAccount(t *testing.T) {
	s := newService(t)
	a := users.NewAccount{Email: "demo@example.com", Name: "Demo", Role: "admin", Password: "password1"}
	created, err := s.EnsureAccount(context.Background(), a)
	require.NoError(t, err)
	assert.True(t, created)
	created, err = s.EnsureAccount(context.Background(), a)
	require.NoError(t, err)
	assert.False(t, created)
}

func BenchmarkVerifyDefault(b *testing.B) {
	h := users.NewHasher(users.DefaultParams, 1)
	phc, err := h.Hash(context.Background(), "benchmark-password")
	require.NoError(b, err)
	for b.Loop() {
		_, _ = h.Verify(context.Background(), phc, "benchmark-password")
	}
}

func TestAuthenticateGate(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	_, err := s.Create(ctx, users.NewAccount{Email: "g@example.com", Name: "G", Role: "user", Password: "gate-password"})
	require.NoError(t, err)

	stop := errors.New("rate limited")
	_, err = s.AuthenticateGated(ctx, "g@example.com", "gate-password", func() error { return stop })
	assert.ErrorIs(t, err, stop, "the gate's error comes back as it is")

	calls := 0
	u, err := s.AuthenticateGated(ctx, "g@example.com", "gate-password", func() error { calls++; return nil })
	require.NoError(t, err)
	assert.Equal(t, "g@example.com", u.Email)
	assert.Equal(t, 1, calls)

	_, err = s.AuthenticateGated(ctx, "nobody@example.com", "gate-password", func() error { calls++; return nil })
	assert.ErrorIs(t, err, users.ErrInvalidCredentials)
	assert.Equal(t, 2, calls, "unknown e-mails pass the gate too, like known ones")
}

func TestAuthenticateRefusesOverlongPasswordWithMatchingPrefix(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	pw := strings.Repeat("p", users.MaxPasswordLen)
	_, err := s.Create(ctx, users.NewAccount{Email: "long@example.com", Name: "L", Role: "user", Password: pw})
	require.NoError(t, err)
	_, err = s.Authenticate(ctx, "long@example.com", pw)
	require.NoError(t, err)
	_, err = s.Authenticate(ctx, "long@example.com", pw+"extra")
	assert.ErrorIs(t, err, users.ErrInvalidCredentials)
}

func TestAccountChanges(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	// Another administrator, so that c may be disabled once it is one.
	_, err := s.Create(ctx, users.NewAccount{Email: "keeper@example.com", Name: "K", Role: users.RoleAdmin, Password: "keeper-password"})
	require.NoError(t, err)
	u, err := s.Create(ctx, users.NewAccount{Email: "c@example.com", Name: "C", Role: "user", Password: "first-password"})
	require.NoError(t, err)

	got, err := s.SetRole(ctx, u.ID, users.RoleAdmin)
	require.NoError(t, err)
	assert.Equal(t, users.RoleAdmin, got.Role)
	_, err = s.SetRole(ctx, u.ID, "root")
	assert.ErrorIs(t, err, users.ErrInvalidAccount)
	_, err = s.SetRole(ctx, "nobody", users.RoleUser)
	assert.ErrorIs(t, err, users.ErrNotFound)

	_, err = s.SetDisabled(ctx, u.ID, true)
	require.NoError(t, err)
	_, err = s.Authenticate(ctx, "c@example.com", "first-password")
	assert.ErrorIs(t, err, users.ErrDisabled, "a disabled account with the right password")
	_, err = s.Authenticate(ctx, "c@example.com", "wrong-password")
	assert.ErrorIs(t, err, users.ErrInvalidCredentials, "a wrong password says only that")
	_, err = s.SetDisabled(ctx, u.ID, false)
	require.NoError(t, err)

	_, err = s.ChangePassword(ctx, u.ID, "wrong-password", "second-password", nil)
	assert.ErrorIs(t, err, users.ErrInvalidCredentials)
	_, err = s.ChangePassword(ctx, u.ID, "first-password", "short", nil)
	assert.ErrorIs(t, err, users.ErrInvalidAccount)
	_, err = s.ChangePassword(ctx, u.ID, "first-password", "second-password", nil)
	require.NoError(t, err)
	_, err = s.Authenticate(ctx, "c@example.com", "first-password")
	assert.ErrorIs(t, err, users.ErrInvalidCredentials)
	after, err := s.Authenticate(ctx, "c@example.com", "second-password")
	require.NoError(t, err)
	assert.Equal(t, users.RoleAdmin, after.Role, "the role stayed")

	list, err := s.List(ctx)
	require.NoError(t, err)
	assert.Len(t, list, 2)
}

func TestLastAdminStays(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *users.Service, id string) (store.User, error)
	}{
		{"demote", func(s *users.Service, id string) (store.User, error) {
			return s.SetRole(t.Context(), id, users.RoleUser)
		}},
		{"disable", func(s *users.Service, id string) (store.User, error) { return s.SetDisabled(t.Context(), id, true) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			a, err := s.Create(t.Context(), users.NewAccount{Email: "a@example.com", Name: "A", Role: users.RoleAdmin, Password: "a-password"})
			require.NoError(t, err)
			b, err := s.Create(t.Context(), users.NewAccount{Email: "b@example.com", Name: "B", Role: users.RoleAdmin, Password: "b-password"})
			require.NoError(t, err)

			_, err = tt.change(s, a.ID)
			require.NoError(t, err, "one of two administrators")
			_, err = tt.change(s, b.ID)
			assert.ErrorIs(t, err, users.ErrLastAdmin, "the last administrator")
			got, err := s.ByID(t.Context(), b.ID)
			require.NoError(t, err)
			assert.Equal(t, users.RoleAdmin, got.Role, "role kept")
			assert.False(t, got.Disabled, "still enabled")
		})
	}
}

func TestSetAccess(t *testing.T) {
	role := func(r string) *string { return &r }
	flag := func(b bool) *bool { return &b }
	tests := []struct {
		name         string
		access       users.Access
		wantRole     string
		wantDisabled bool
		wantErr      error
	}{
		{"role", users.Access{Role: role(users.RoleAdmin)}, users.RoleAdmin, false, nil},
		{"disabled", users.Access{Disabled: flag(true)}, users.RoleUser, true, nil},
		{"both", users.Access{Role: role(users.RoleAdmin), Disabled: flag(true)}, users.RoleAdmin, true, nil},
		{"neither", users.Access{}, users.RoleUser, false, nil},
		{"unknown role", users.Access{Role: role("root"), Disabled: flag(true)}, users.RoleUser, false, users.ErrInvalidAccount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			u, err := s.Create(t.Context(), users.NewAccount{Email: "c@example.com", Name: "C", Role: users.RoleUser, Password: "c-password"})
			require.NoError(t, err)

			before, after, err := s.SetAccess(t.Context(), u.ID, tt.access)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
				assert.Equal(t, u.ID, before.ID)
				assert.Equal(t, users.RoleUser, before.Role, "before: role")
				assert.False(t, before.Disabled, "before: disabled")
				assert.Equal(t, tt.wantRole, after.Role, "after: role")
				assert.Equal(t, tt.wantDisabled, after.Disabled, "after: disabled")
			}
			got, err := s.ByID(t.Context(), u.ID)
			require.NoError(t, err)
			assert.Equal(t, tt.wantRole, got.Role, "stored role")
			assert.Equal(t, tt.wantDisabled, got.Disabled, "stored disabled")
		})
	}

	t.Run("unknown account", func(t *testing.T) {
		s := newService(t)
		_, _, err := s.SetAccess(t.Context(), "nobody", users.Access{Role: role(users.RoleAdmin)})
		assert.ErrorIs(t, err, users.ErrNotFound)
	})
}

// Half the CPUs hash at once by default, at least one, so a burst of
// sign-ins leaves the rest to other requests.
func TestDefaultConcurrency(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for procs, want := range map[int]int{1: 1, 2: 1, 3: 1, 4: 2, 8: 4, 16: 8} {
		runtime.GOMAXPROCS(procs)
		assert.Equal(t, want, users.DefaultConcurrency(), "GOMAXPROCS %d", procs)
	}
}

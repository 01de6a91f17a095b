package twofactor_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/twofactor"
)

// clock is a settable clock for a Service.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a Service on a memory store with a clock at the start of a
// time step.
type fixture struct {
	svc   *twofactor.Service
	st    *memory.Store
	clock *clock
	key   []byte
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	key, err := st.Secret(t.Context(), twofactor.KeyName, bytes.Repeat([]byte{1}, twofactor.KeyLen))
	require.NoError(t, err)
	c := &clock{now: time.Unix(1_800_000_000, 0).UTC()} // a step boundary
	svc, err := twofactor.New(st, key, twofactor.WithClock(c.Now), twofactor.WithIssuer("Example"))
	require.NoError(t, err)
	return &fixture{svc: svc, st: st, clock: c, key: key}
}

// code is the TOTP code of secret at the fixture's clock moved by d.
func (f *fixture) code(t *testing.T, secret string, d time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, f.clock.Now().Add(d))
	require.NoError(t, err)
	return c
}

// enrol sets the user up and confirms, returning the secret and the
// recovery codes; the clock is moved on two steps, so that the steps in the
// window of a code (one either way) are all after the confirming one.
func (f *fixture) enrol(t *testing.T, userID string) (string, []string) {
	t.Helper()
	e, err := f.svc.Setup(t.Context(), userID, userID+"@example.com")
	require.NoError(t, err)
	codes, err := f.svc.Confirm(t.Context(), userID, f.code(t, e.Secret, 0))
	require.NoError(t, err)
	f.clock.Add(time.Minute)
	return e.Secret, codes
}

func TestSetupAndConfirm(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()

	e, err := f.svc.Setup(ctx, "alice", "alice@example.com")
	require.NoError(t, err)
	u, err := url.Parse(e.URI)
	require.NoError(t, err)
	assert.Equal(t, "otpauth", u.Scheme)
	assert.Equal(t, "totp", u.Host)
	assert.Equal(t, "/Example:alice@example.com", u.Path)
	q := u.Query()
	assert.Equal(t, e.Secret, q.Get("secret"))
	assert.Equal(t, "Example", q.Get("issuer"))
	assert.Equal(t, "SHA1", q.Get("algorithm"))
	assert.Equal(t, "6", q.Get("digits"))
	assert.Equal(t, "30", q.Get("period"))
	assert.Len(t, e.Secret, 32, "base32 of 160 bits")

	st, err := f.svc.State(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, twofactor.State{Pending: true}, st, "after Setup")
	assert.ErrorIs(t, f.svc.Verify(ctx, "alice", f.code(t, e.Secret, 0)), twofactor.ErrNotEnabled, "Verify while pending")

	_, err = f.svc.Confirm(ctx, "alice", "000000")
	assert.ErrorIs(t, err, twofactor.ErrWrongCode, "Confirm with a wrong code")
	_, err = f.svc.Confirm(ctx, "alice", f.code(t, e.Secret, -time.Minute))
	assert.ErrorIs(t, err, twofactor.ErrWrongCode, "Confirm with a code two steps old")

	codes, err := f.svc.Confirm(ctx, "alice", f.code(t, e.Secret, 0))
	require.NoError(t, err)
	assert.Len(t, codes, twofactor.RecoveryCodes)
	st, err = f.svc.State(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, twofactor.State{Enabled: true, RecoveryCodes: 10}, st, "after Confirm")

	// The confirming code is spent; a new setup is refused while it is on.
	assert.ErrorIs(t, f.svc.Verify(ctx, "alice", f.code(t, e.Secret, 0)), twofactor.ErrWrongCode, "the confirming code again")
	_, err = f.svc.Confirm(ctx, "alice", f.code(t, e.Secret, 30*time.Second))
	assert.ErrorIs(t, err, twofactor.ErrNotPending, "Confirm again")
	_, err = f.svc.Setup(ctx, "alice", "alice@example.com")
	assert.ErrorIs(t, err, twofactor.ErrEnabled, "Setup while on")

	// Another account has nothing.
	st, err = f.svc.State(ctx, "bob")
	require.NoError(t, err)
	assert.Zero(t, st)
	_, err = f.svc.Confirm(ctx, "bob", "123456")
	assert.ErrorIs(t, err, twofactor.ErrNotPending, "Confirm without Setup")
}

// TestSetupAgainReplacesPending checks that only the newest setup's codes
// confirm.
func TestSetupAgainReplacesPending(t *testing.T) {
	f := newFixture(t)
	first, err := f.svc.Setup(t.Context(), "alice", "alice@example.com")
	require.NoError(t, err)
	second, err := f.svc.Setup(t.Context(), "alice", "alice@example.com")
	require.NoError(t, err)
	assert.NotEqual(t, first.Secret, second.Secret)

	_, err = f.svc.Confirm(t.Context(), "alice", f.code(t, first.Secret, 0))
	assert.ErrorIs(t, err, twofactor.ErrWrongCode, "a code of the replaced secret")
	_, err = f.svc.Confirm(t.Context(), "alice", f.code(t, second.Secret, 0))
	assert.NoError(t, err)
}

// TestVerify checks the window of one step either way and that no code is
// accepted twice, nor one older than the last accepted.
func TestVerify(t *testing.T) {
	const step = 30 * time.Second
	tests := []struct {
		name string
		// codes are tried in order, each of the step at the clock + d.
		codes []time.Duration
		ok    []bool
	}{
		{"current step", []time.Duration{0}, []bool{true}},
		{"previous step", []time.Duration{-step}, []bool{true}},
		{"next step", []time.Duration{step}, []bool{true}},
		{"two steps back", []time.Duration{-2 * step}, []bool{false}},
		{"two steps ahead", []time.Duration{2 * step}, []bool{false}},
		{"the same code twice", []time.Duration{0, 0}, []bool{true, false}},
		{"an older code after a newer", []time.Duration{0, -step}, []bool{true, false}},
		{"a newer code after an older", []time.Duration{-step, 0, step}, []bool{true, true, true}},
		{"a code from the next step, then the current", []time.Duration{step, 0}, []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			secret, _ := f.enrol(t, "alice")
			for i, d := range tt.codes {
				err := f.svc.Verify(t.Context(), "alice", f.code(t, secret, d))
				if tt.ok[i] {
					assert.NoError(t, err, "code %d", i)
				} else {
					assert.ErrorIs(t, err, twofactor.ErrWrongCode, "code %d", i)
				}
			}
		})
	}

	t.Run("wrong and malformed codes", func(t *testing.T) {
		f := newFixture(t)
		secret, _ := f.enrol(t, "alice")
		right := f.code(t, secret, 0)
		wrong := "000000"
		if right == wrong {
			wrong = "111111"
		}
		for _, c := range []string{wrong, "", "12345", "1234567", "abcdef", right[:5]} {
			assert.ErrorIs(t, f.svc.Verify(t.Context(), "alice", c), twofactor.ErrWrongCode, "code %q", c)
		}
		assert.NoError(t, f.svc.Verify(t.Context(), "alice", " "+right+" "), "the right code, with spaces")
		assert.ErrorIs(t, f.svc.Verify(t.Context(), "bob", right), twofactor.ErrNotEnabled, "another account")
	})
}

// TestVerifyConcurrent checks that of one code sent many times at once,
// exactly one is accepted.
func TestVerifyConcurrent(t *testing.T) {
	const goroutines = 20
	f := newFixture(t)
	secret, _ := f.enrol(t, "alice")
	code := f.code(t, secret, 0)

	var ok atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range goroutines {
		wg.Go(func() {
			<-start
			err := f.svc.Verify(context.Background(), "alice", code)
			if err == nil {
				ok.Add(1)
			} else {
				assert.ErrorIs(t, err, twofactor.ErrWrongCode)
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), ok.Load(), "accepted")
}

func TestRecoveryCodes(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	_, codes := f.enrol(t, "alice")
	_, bobCodes := f.enrol(t, "bob")

	assert.ErrorIs(t, f.svc.VerifyRecoveryCode(ctx, "alice", bobCodes[0]), twofactor.ErrWrongCode, "bob's code")
	assert.ErrorIs(t, f.svc.VerifyRecoveryCode(ctx, "alice", "not-a-code"), twofactor.ErrWrongCode, "malformed")
	assert.ErrorIs(t, f.svc.VerifyRecoveryCode(ctx, "carol", codes[0]), twofactor.ErrNotEnabled, "an account without 2FA")

	forms := []func(string) string{
		func(c string) string { return c },
		strings.ToUpper,
		func(c string) string { return strings.ReplaceAll(c, "-", "") },
		func(c string) string { return " " + strings.ReplaceAll(c, "-", " ") + " " },
	}
	for i, c := range codes {
		form := forms[i%len(forms)](c)
		assert.NoError(t, f.svc.VerifyRecoveryCode(ctx, "alice", form), "code %d as %q", i, form)
		assert.ErrorIs(t, f.svc.VerifyRecoveryCode(ctx, "alice", c), twofactor.ErrWrongCode, "code %d again", i)
	}
	st, err := f.svc.State(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, twofactor.State{Enabled: true}, st, "every code used")
}

func TestDisable(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	secret, codes := f.enrol(t, "alice")

	assert.ErrorIs(t, f.svc.Disable(ctx, "alice", "0000000"), twofactor.ErrWrongCode, "a malformed code")
	assert.ErrorIs(t, f.svc.Disable(ctx, "alice", f.code(t, secret, -time.Minute)), twofactor.ErrWrongCode,
		"a code two steps old")
	st, err := f.svc.State(ctx, "alice")
	require.NoError(t, err)
	assert.True(t, st.Enabled, "on after refused disables")

	require.NoError(t, f.svc.Disable(ctx, "alice", f.code(t, secret, 0)))
	st, err = f.svc.State(ctx, "alice")
	require.NoError(t, err)
	assert.Zero(t, st, "after Disable")
	assert.ErrorIs(t, f.svc.VerifyRecoveryCode(ctx, "alice", codes[0]), twofactor.ErrNotEnabled, "a recovery code after Disable")
	assert.ErrorIs(t, f.svc.Disable(ctx, "alice", f.code(t, secret, 30*time.Second)), twofactor.ErrNotEnabled, "Disable again")

	// Enrolling again works, with a new secret.
	again, _ := f.enrol(t, "alice")
	assert.NotEqual(t, secret, again)
}

// TestSecretAtRest checks that the store holds the secret encrypted, and
// that a Service with another key cannot use it.
func TestSecretAtRest(t *testing.T) {
	f := newFixture(t)
	secret, _ := f.enrol(t, "alice")
	rec, found, err := f.st.SecondFactor(t.Context(), "alice")
	require.NoError(t, err)
	require.True(t, found)
	assert.NotContains(t, string(rec.Secret), secret)
	assert.NotContains(t, strings.ToLower(string(rec.Secret)), strings.ToLower(secret))

	other, err := twofactor.New(f.st, bytes.Repeat([]byte{2}, twofactor.KeyLen), twofactor.WithClock(f.clock.Now))
	require.NoError(t, err)
	err = other.Verify(t.Context(), "alice", f.code(t, secret, 0))
	assert.Error(t, err, "Verify with another key")
	assert.NotErrorIs(t, err, twofactor.ErrWrongCode, "another key is a fault, not a wrong code")

	_, err = twofactor.New(f.st, []byte("short"))
	assert.Error(t, err, "a short key")
}

// TestEnrolmentNotLogged checks that logging an Enrolment shows neither
// the secret nor the URI.
func TestEnrolmentNotLogged(t *testing.T) {
	f := newFixture(t)
	e, err := f.svc.Setup(t.Context(), "alice", "alice@example.com")
	require.NoError(t, err)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("setup", "enrolment", e)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("setup", "enrolment", e)
	assert.NotContains(t, buf.String(), e.Secret)
	assert.NotContains(t, buf.String(), "otpauth")
}

// TestOpenSharesTheKey checks that two Services opened on one store (two
// instances) read one key: what one enrols, the other verifies.
func TestOpenSharesTheKey(t *testing.T) {
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	c := &clock{now: time.Unix(1_800_000_000, 0).UTC()}
	one, err := twofactor.Open(t.Context(), st, twofactor.WithClock(c.Now))
	require.NoError(t, err)
	two, err := twofactor.Open(t.Context(), st, twofactor.WithClock(c.Now))
	require.NoError(t, err)

	e, err := one.Setup(t.Context(), "alice", "alice@example.com")
	require.NoError(t, err)
	code, err := totp.GenerateCode(e.Secret, c.Now())
	require.NoError(t, err)
	_, err = two.Confirm(t.Context(), "alice", code)
	require.NoError(t, err, "Confirm on the other instance")
	c.Add(time.Minute)
	code, err = totp.GenerateCode(e.Secret, c.Now())
	require.NoError(t, err)
	assert.NoError(t, one.Verify(t.Context(), "alice", code), "Verify on the first")
	assert.ErrorIs(t, two.Verify(t.Context(), "alice", code), twofactor.ErrWrongCode, "the same code on the other")

	key, err := st.Secret(t.Context(), twofactor.KeyName, []byte("ignored"))
	require.NoError(t, err)
	assert.Len(t, key, twofactor.KeyLen, "the stored key")
}

// racingStore runs before, once, between a Verify's read of the factor and
// its AcceptStep.
type racingStore struct {
	*memory.Store
	once   sync.Once
	before func()
}

func (r *racingStore) AcceptStep(ctx context.Context, userID string, secret []byte, step int64) (bool, error) {
	r.once.Do(r.before)
	return r.Store.AcceptStep(ctx, userID, secret, step)
}

// TestVerifyRacingReEnrolment checks that a code checked against a factor
// that is disabled, enrolled again and confirmed before its step is
// recorded is refused, and leaves the new factor's step alone: the step is
// recorded only for the secret the code was checked against.
func TestVerifyRacingReEnrolment(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	oldSecret, _ := f.enrol(t, "alice")

	var newStep int64
	racing := &racingStore{Store: f.st}
	racing.before = func() {
		_, err := f.st.DeleteSecondFactor(ctx, "alice")
		require.NoError(t, err)
		e, err := f.svc.Setup(ctx, "alice", "alice@example.com")
		require.NoError(t, err)
		// Confirmed with the code of the step before: the old code's
		// step is after the new factor's.
		_, err = f.svc.Confirm(ctx, "alice", f.code(t, e.Secret, -30*time.Second))
		require.NoError(t, err)
		fa, _, err := f.st.SecondFactor(ctx, "alice")
		require.NoError(t, err)
		newStep = fa.LastStep
	}
	svc, err := twofactor.New(racing, f.key, twofactor.WithClock(f.clock.Now))
	require.NoError(t, err)

	err = svc.Verify(ctx, "alice", f.code(t, oldSecret, 0))
	assert.ErrorIs(t, err, twofactor.ErrWrongCode, "the old factor's code, accepted against the new factor")
	fa, found, err := f.st.SecondFactor(ctx, "alice")
	require.NoError(t, err)
	require.True(t, found)
	assert.True(t, fa.Enabled)
	assert.Equal(t, newStep, fa.LastStep, "the new factor's last step")
}

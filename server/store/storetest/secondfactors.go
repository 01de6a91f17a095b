package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// runSecondFactors covers store.SecondFactors one rule per subtest.
func runSecondFactors(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("NoneUntilBegun", func(t *testing.T) { testFactorNone(t, open) })
	t.Run("BeginIsPending", func(t *testing.T) { testFactorPending(t, open) })
	t.Run("BeginReplacesPending", func(t *testing.T) { testFactorReplacePending(t, open) })
	t.Run("Enable", func(t *testing.T) { testFactorEnable(t, open) })
	t.Run("AcceptStepOnlyAfterLast", func(t *testing.T) { testAcceptStep(t, open) })
	t.Run("ConcurrentAcceptsOfOneStep", func(t *testing.T) { testAcceptStepConcurrent(t, open) })
	t.Run("AcceptStepOnlyWithItsSecret", func(t *testing.T) { testAcceptStepSecret(t, open) })
	t.Run("RecoveryCodesAreSingleUse", func(t *testing.T) { testRecoveryCodes(t, open) })
	t.Run("ConcurrentUsesOfOneRecoveryCode", func(t *testing.T) { testRecoveryCodeConcurrent(t, open) })
	t.Run("Delete", func(t *testing.T) { testFactorDelete(t, open) })
	t.Run("SecretIsCopied", func(t *testing.T) { testFactorSecretCopied(t, open) })
	t.Run("Invalid", func(t *testing.T) { testFactorInvalid(t, open) })
	t.Run("Context", func(t *testing.T) { testFactorContext(t, open) })
}

// step is a TOTP time step of these days (unix time / 30 s).
const step int64 = 59_000_000

// newFactorSecret returns a random stand-in for an encrypted secret, with
// bytes of every value (a zero byte included) that a store must keep as
// they are.
func newFactorSecret() []byte {
	b := append([]byte{0, 0xff, '\n'}, newHash()...)
	return b
}

// newRecoveryHashes returns n random recovery code hashes.
func newRecoveryHashes(n int) [][]byte {
	hs := make([][]byte, n)
	for i := range hs {
		hs[i] = newHash()
	}
	return hs
}

// enable enrols userID with secret, accepted at step s, and the recovery
// code hashes, failing the test unless it is enabled.
func enable(t *testing.T, st store.Store, userID string, secret []byte, s int64, hashes [][]byte) {
	t.Helper()
	begun, err := st.BeginSecondFactor(t.Context(), userID, secret)
	require.NoError(t, err, "BeginSecondFactor")
	require.True(t, begun, "BeginSecondFactor: begun")
	ok, err := st.EnableSecondFactor(t.Context(), userID, secret, s, hashes)
	require.NoError(t, err, "EnableSecondFactor")
	require.True(t, ok, "EnableSecondFactor: enabled")
}

// mustFactor reads the user's factor, which must exist.
func mustFactor(t *testing.T, st store.Store, userID string) store.SecondFactor {
	t.Helper()
	f, found, err := st.SecondFactor(t.Context(), userID)
	require.NoError(t, err, "SecondFactor")
	require.True(t, found, "SecondFactor: found")
	return f
}

// assertNoFactor checks that the user has no factor, and that nothing is
// accepted or used for them.
func assertNoFactor(t *testing.T, st store.Store, userID string, hashes ...[]byte) {
	t.Helper()
	f, found, err := st.SecondFactor(t.Context(), userID)
	assert.NoError(t, err, "SecondFactor")
	assert.False(t, found, "SecondFactor: found")
	assert.Zero(t, f, "SecondFactor: record returned with found=false")
	accepted, err := st.AcceptStep(t.Context(), userID, newFactorSecret(), step+100)
	assert.NoError(t, err, "AcceptStep")
	assert.False(t, accepted, "AcceptStep without a factor")
	for _, h := range hashes {
		used, err := st.UseRecoveryCode(t.Context(), userID, h)
		assert.NoError(t, err, "UseRecoveryCode")
		assert.False(t, used, "UseRecoveryCode without a factor")
	}
}

// testFactorNone checks that an account that never enrolled has no factor
// and that nothing but BeginSecondFactor makes one.
func testFactorNone(t *testing.T, open func(t *testing.T) store.Store) {
	st := openStore(t, open)
	hashes := newRecoveryHashes(2)
	enabled, err := st.EnableSecondFactor(t.Context(), "alice", newFactorSecret(), step, hashes)
	require.NoError(t, err)
	assert.False(t, enabled, "EnableSecondFactor without a pending factor")
	found, err := st.DeleteSecondFactor(t.Context(), "alice")
	require.NoError(t, err)
	assert.False(t, found, "DeleteSecondFactor: found")
	assertNoFactor(t, st, "alice", hashes...)
}

// testFactorPending checks that a begun factor is pending: kept with its
// secret, but accepting no code until it is enabled.
func testFactorPending(t *testing.T, open func(t *testing.T) store.Store) {
	st := openStore(t, open)
	secret := newFactorSecret()
	begun, err := st.BeginSecondFactor(t.Context(), "alice", secret)
	require.NoError(t, err)
	require.True(t, begun)

	assert.Equal(t, store.SecondFactor{UserID: "alice", Secret: secret}, mustFactor(t, st, "alice"))
	accepted, err := st.AcceptStep(t.Context(), "alice", secret, step)
	require.NoError(t, err)
	assert.False(t, accepted, "AcceptStep of a pending factor")

	// Other accounts, whose ids are close, have none.
	for _, user := range []string{"bob", "ali", "alice2", "Alice"} {
		assertNoFactor(t, st, user)
	}
}

// testFactorReplacePending checks that beginning again replaces a pending
// secret, and that only the newest secret can be enabled.
func testFactorReplacePending(t *testing.T, open func(t *testing.T) store.Store) {
	st := openStore(t, open)
	first, second := newFactorSecret(), newFactorSecret()
	for _, secret := range [][]byte{first, second} {
		begun, err := st.BeginSecondFactor(t.Context(), "alice", secret)
		require.NoError(t, err)
		require.True(t, begun)
	}
	assert.Equal(t, second, mustFactor(t, st, "alice").Secret)

	enabled, err := st.EnableSecondFactor(t.Context(), "alice", first, step, newRecoveryHashes(1))
	require.NoError(t, err)
	assert.False(t, enabled, "EnableSecondFactor with the replaced secret")
	assert.False(t, mustFactor(t, st, "alice").Enabled, "enabled by the replaced secret")

	enabled, err = st.EnableSecondFactor(t.Context(), "alice", second, step, newRecoveryHashes(1))
	require.NoError(t, err)
	assert.True(t, enabled, "EnableSecondFactor with the newest secret")
}

// testFactorEnable checks what enabling keeps, and that an enabled factor
// is neither enabled again nor replaced by a new enrolment.
func testFactorEnable(t *testing.T, open func(t *testing.T) store.Store) {
	st := openStore(t, open)
	secret := newFactorSecret()
	hashes := newRecoveryHashes(10)
	// A hash given twice is kept once.
	enable(t, st, "alice", secret, step, append(hashes, hashes[3]))

	want := store.SecondFactor{UserID: "alice", Secret: secret, Enabled: true, LastStep: step, RecoveryCodes: 10}
	assert.Equal(t, want, mustFactor(t, st, "alice"))

	enabled, err := st.EnableSecondFactor(t.Context(), "alice", secret, step+10, newRecoveryHashes(2))
	require.NoError(t, err)
	assert.False(t, enabled, "EnableSecondFactor of an enabled factor")
	begun, err := st.BeginSecondFactor(t.Context(), "alice", newFactorSecret())
	require.NoError(t, err)
	assert.False(t, begun, "BeginSecondFactor over an enabled factor")
	assert.Equal(t, want, mustFactor(t, st, "alice"), "after the refused calls")

	// Enabling with no recovery codes is allowed.
	enable(t, st, "bob", newFactorSecret(), step, nil)
	assert.Zero(t, mustFactor(t, st, "bob").RecoveryCodes, "recovery codes of bob")
}

// testAcceptStep checks that a step is accepted only after the last one.
func testAcceptStep(t *testing.T, open func(t *testing.T) store.Store) {
	st := openStore(t, open)
	secret := newFactorSecret()
	enable(t, st, "alice", secret, step, nil)
	enable(t, st, "bob", newFactorSecret(), step+5, nil)

	tests := []struct {
		name     string
		step     int64
		accepted bool
		last     int64 // LastStep after the call
	}{
		{"the step that enabled it", step, false, step},
		{"the step before", step - 1, false, step},
		{"much earlier", 1, false, step},
		{"the next step", step + 1, true, step + 1},
		{"that step again", step + 1, false, step + 1},
		{"two steps on", step + 3, true, step + 3},
		{"the step skipped", step + 2, false, step + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			accepted, err := st.AcceptStep(t.Context(), "alice", secret, tt.step)
			require.NoError(t, err)
			assert.Equal(t, tt.accepted, accepted, "accepted")
			assert.Equal(t, tt.last, mustFactor(t, st, "alice").LastStep, "LastStep")
		})
	}
	assert.Equal(t, step+5, mustFactor(t, st, "bob").LastStep, "bob's LastStep")
}

// testAcceptStepConcurrent checks that of many concurrent accepts of one
// step exactly one wins.
func testAcceptStepConcurrent(t *testing.T, open func(t *testing.T) store.Store) {
	const goroutines = 50
	st := openStore(t, open)
	secret := newFactorSecret()
	enable(t, st, "alice", secret, step, nil)

	var won atomic.Int32
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			<-start
			accepted, err := st.AcceptStep(t.Context(), "alice", secret, step+1)
			assert.NoError(t, err, "AcceptStep")
			if accepted {
				won.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), won.Load(), "accepts that won")
	assert.Equal(t, step+1, mustFactor(t, st, "alice").LastStep, "LastStep")
}

// testAcceptStepSecret checks that a step is accepted only for the secret
// its code was checked against: a code read from a factor that was
// disabled and enrolled again meanwhile must not move the new factor's
// step, nor be accepted.
func testAcceptStepSecret(t *testing.T, open func(t *testing.T) store.Store) {
	st := openStore(t, open)
	old, renewed := newFactorSecret(), newFactorSecret()
	enable(t, st, "alice", old, step, nil)

	// Between a Verify's read and its accept: disabled, enrolled again
	// with another secret, confirmed.
	found, err := st.DeleteSecondFactor(t.Context(), "alice")
	require.NoError(t, err)
	require.True(t, found)
	enable(t, st, "alice", renewed, step, nil)

	accepted, err := st.AcceptStep(t.Context(), "alice", old, step+1)
	require.NoError(t, err)
	assert.False(t, accepted, "AcceptStep with the replaced secret")
	assert.Equal(t, step, mustFactor(t, st, "alice").LastStep, "LastStep after the refused accept")

	// A secret that differs only in its last byte is another secret.
	near := append([]byte(nil), renewed...)
	near[len(near)-1] ^= 1
	accepted, err = st.AcceptStep(t.Context(), "alice", near, step+1)
	require.NoError(t, err)
	assert.False(t, accepted, "AcceptStep with a secret one bit off")

	accepted, err = st.AcceptStep(t.Context(), "alice", renewed, step+1)
	require.NoError(t, err)
	assert.True(t, accepted, "AcceptStep with the factor's own secret")
	assert.Equal(t, step+1, mustFactor(t, st, "alice").LastStep, "LastStep")
}

// testRecoveryCodes checks that each recovery code is used once, and only
// by its own account.
func testRecoveryCodes(t *testing.T, open func(t *testing.T) store.Store) {
	st := openStore(t, open)
	alice, bob := newRecoveryHashes(3), newRecoveryHashes(1)
	enable(t, st, "alice", newFactorSecret(), step, alice)
	enable(t, st, "bob", newFactorSecret(), step, bob)

	use := func(user string, h []byte) bool {
		t.Helper()
		used, err := st.UseRecoveryCode(t.Context(), user, h)
		require.NoError(t, err, "UseRecoveryCode")
		return used
	}
	assert.False(t, use("alice", bob[0]), "bob's code for alice")
	assert.False(t, use("alice", newHash()), "an unknown code")
	assert.Equal(t, 3, mustFactor(t, st, "alice").RecoveryCodes, "after refused codes")

	for i, h := range alice {
		assert.True(t, use("alice", h), "code %d, first use", i)
		assert.False(t, use("alice", h), "code %d, second use", i)
		assert.Equal(t, len(alice)-i-1, mustFactor(t, st, "alice").RecoveryCodes, "codes left after %d", i)
	}
	// Using codes moves no step and ends nothing else.
	f := mustFactor(t, st, "alice")
	assert.True(t, f.Enabled, "Enabled after every code is used")
	assert.Equal(t, step, f.LastStep, "LastStep")
	assert.True(t, use("bob", bob[0]), "bob's code")
}

// testRecoveryCodeConcurrent checks that of many concurrent uses of one
// recovery code exactly one wins.
func testRecoveryCodeConcurrent(t *testing.T, open func(t *testing.T) store.Store) {
	const goroutines = 50
	st := openStore(t, open)
	hashes := newRecoveryHashes(2)
	enable(t, st, "alice", newFactorSecret(), step, hashes)

	var won atomic.Int32
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			<-start
			used, err := st.UseRecoveryCode(t.Context(), "alice", hashes[0])
			assert.NoError(t, err, "UseRecoveryCode")
			if used {
				won.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), won.Load(), "uses that won")
	assert.Equal(t, 1, mustFactor(t, st, "alice").RecoveryCodes, "codes left")
}

// testFactorDelete checks that deleting a factor takes its step and its
// recovery codes with it, pending or enabled, and only the user's.
func testFactorDelete(t *testing.T, open func(t *testing.T) store.Store) {
	st := openStore(t, open)
	old := newRecoveryHashes(2)
	enable(t, st, "alice", newFactorSecret(), step+10, old)
	enable(t, st, "bob", newFactorSecret(), step, newRecoveryHashes(1))

	found, err := st.DeleteSecondFactor(t.Context(), "alice")
	require.NoError(t, err)
	assert.True(t, found, "DeleteSecondFactor: found")
	assertNoFactor(t, st, "alice", old...)
	found, err = st.DeleteSecondFactor(t.Context(), "alice")
	require.NoError(t, err)
	assert.False(t, found, "DeleteSecondFactor again: found")
	assert.True(t, mustFactor(t, st, "bob").Enabled, "bob's factor")

	// Enrolling again starts afresh: no step, none of the old codes.
	enable(t, st, "alice", newFactorSecret(), step, newRecoveryHashes(1))
	f := mustFactor(t, st, "alice")
	assert.Equal(t, step, f.LastStep, "LastStep")
	assert.Equal(t, 1, f.RecoveryCodes, "RecoveryCodes")
	used, err := st.UseRecoveryCode(t.Context(), "alice", old[0])
	require.NoError(t, err)
	assert.False(t, used, "a code of the deleted factor")

	// A pending factor is deleted too.
	_, err = st.BeginSecondFactor(t.Context(), "carol", newFactorSecret())
	require.NoError(t, err)
	found, err = st.DeleteSecondFactor(t.Context(), "carol")
	require.NoError(t, err)
	assert.True(t, found, "DeleteSecondFactor of a pending factor: found")
	assertNoFactor(t, st, "carol")
}

// testFactorSecretCopied checks that the store keeps its own copy of a
// secret and hands out copies.
func testFactorSecretCopied(t *testing.T, open func(t *testing.T) store.Store) {
	st := openStore(t, open)
	secret := newFactorSecret()
	want := append([]byte(nil), secret...)
	_, err := st.BeginSecondFactor(t.Context(), "alice", secret)
	require.NoError(t, err)
	secret[0] ^= 1

	got := mustFactor(t, st, "alice").Secret
	assert.Equal(t, want, got, "Secret after the caller changed its slice")
	got[0] ^= 1
	assert.Equal(t, want, mustFactor(t, st, "alice").Secret, "Secret after a reader changed its slice")
}

// testFactorInvalid checks that arguments that break the rules are
// ErrInvalid and store nothing.
func testFactorInvalid(t *testing.T, open func(t *testing.T) store.Store) {
	st := openStore(t, open)
	secret := newFactorSecret()
	ctx := t.Context()
	short := make([]byte, store.HashLen-1)
	calls := []struct {
		name string
		call func() error
	}{
		{"Begin, empty user id", func() error { _, err := st.BeginSecondFactor(ctx, "", secret); return err }},
		{"Begin, nil secret", func() error { _, err := st.BeginSecondFactor(ctx, "alice", nil); return err }},
		{"Begin, empty secret", func() error { _, err := st.BeginSecondFactor(ctx, "alice", []byte{}); return err }},
		{"Enable, empty user id", func() error { _, err := st.EnableSecondFactor(ctx, "", secret, step, nil); return err }},
		{"Enable, nil secret", func() error { _, err := st.EnableSecondFactor(ctx, "alice", nil, step, nil); return err }},
		{"Enable, step 0", func() error { _, err := st.EnableSecondFactor(ctx, "alice", secret, 0, nil); return err }},
		{"Enable, negative step", func() error { _, err := st.EnableSecondFactor(ctx, "alice", secret, -1, nil); return err }},
		{"Enable, short hash", func() error {
			_, err := st.EnableSecondFactor(ctx, "alice", secret, step, [][]byte{newHash(), short})
			return err
		}},
		{"AcceptStep, empty user id", func() error { _, err := st.AcceptStep(ctx, "", secret, step); return err }},
		{"AcceptStep, nil secret", func() error { _, err := st.AcceptStep(ctx, "alice", nil, step); return err }},
		{"AcceptStep, step 0", func() error { _, err := st.AcceptStep(ctx, "alice", secret, 0); return err }},
		{"UseRecoveryCode, empty user id", func() error { _, err := st.UseRecoveryCode(ctx, "", newHash()); return err }},
		{"UseRecoveryCode, short hash", func() error { _, err := st.UseRecoveryCode(ctx, "alice", short); return err }},
		{"Delete, empty user id", func() error { _, err := st.DeleteSecondFactor(ctx, ""); return err }},
	}
	_, err := st.BeginSecondFactor(ctx, "alice", secret)
	require.NoError(t, err)
	for _, c := range calls {
		assert.ErrorIs(t, c.call(), store.ErrInvalid, c.name)
	}
	// alice's factor is pending still, with its secret; nobody else has one.
	assert.Equal(t, store.SecondFactor{UserID: "alice", Secret: secret}, mustFactor(t, st, "alice"))
	f, found, err := st.SecondFactor(ctx, "")
	assert.NoError(t, err, "SecondFactor of an empty user id")
	assert.False(t, found, "SecondFactor of an empty user id: found")
	assert.Zero(t, f, "SecondFactor of an empty user id")
}

// testFactorContext checks that every method returns the context's error
// once the context is done.
func testFactorContext(t *testing.T, open func(t *testing.T) store.Store) {
	st := openStore(t, open)
	hashes := newRecoveryHashes(1)
	enable(t, st, "alice", newFactorSecret(), step, hashes)
	secret := newFactorSecret()
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"SecondFactor", func(ctx context.Context) error { _, _, err := st.SecondFactor(ctx, "alice"); return err }},
		{"BeginSecondFactor", func(ctx context.Context) error { _, err := st.BeginSecondFactor(ctx, "bob", secret); return err }},
		{"EnableSecondFactor", func(ctx context.Context) error {
			_, err := st.EnableSecondFactor(ctx, "bob", secret, step, nil)
			return err
		}},
		{"AcceptStep", func(ctx context.Context) error { _, err := st.AcceptStep(ctx, "alice", secret, step+1); return err }},
		{"UseRecoveryCode", func(ctx context.Context) error { _, err := st.UseRecoveryCode(ctx, "alice", hashes[0]); return err }},
		{"DeleteSecondFactor", func(ctx context.Context) error { _, err := st.DeleteSecondFactor(ctx, "alice"); return err }},
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, c := range calls {
		assert.ErrorIs(t, c.call(ctx), context.Canceled, c.name)
	}
	// Nothing was done.
	f := mustFactor(t, st, "alice")
	assert.Equal(t, step, f.LastStep, "LastStep")
	assert.Equal(t, 1, f.RecoveryCodes, "RecoveryCodes")
	assertNoFactor(t, st, "bob")
}

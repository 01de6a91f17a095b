package twofactor

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rfcSecret is the SHA-1 seed of RFC 6238's test vectors, "12345678901234567890", in base32.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// TestRFC6238Vectors checks the codes against RFC 6238 appendix B (SHA-1),
// cut to six digits as authenticator apps show them.
func TestRFC6238Vectors(t *testing.T) {
	tests := []struct {
		unix int64
		code string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	}
	for _, tt := range tests {
		now := time.Unix(tt.unix, 0)
		got, ok := codeAt(rfcSecret, stepAt(now))
		require.True(t, ok)
		assert.Equal(t, tt.code, got, "T=%d", tt.unix)
		step, ok := matchStep(rfcSecret, tt.code, now, 0)
		assert.True(t, ok, "T=%d: matched", tt.unix)
		assert.Equal(t, stepAt(now), step, "T=%d: step", tt.unix)
	}
}

// TestMatchStep checks the window of one step either way, the refusal of
// steps at or before the last accepted one, and the shape of a code.
func TestMatchStep(t *testing.T) {
	now := time.Unix(1234567890, 0)
	cur := stepAt(now)
	code := func(step int64) string {
		c, ok := codeAt(rfcSecret, step)
		require.True(t, ok)
		return c
	}
	tests := []struct {
		name string
		code string
		last int64
		step int64 // 0: no match
	}{
		{"current step", code(cur), 0, cur},
		{"previous step", code(cur - 1), 0, cur - 1},
		{"next step", code(cur + 1), 0, cur + 1},
		{"two steps back", code(cur - 2), 0, 0},
		{"two steps ahead", code(cur + 2), 0, 0},
		{"current step, accepted already", code(cur), cur, 0},
		{"previous step, after the current was accepted", code(cur - 1), cur, 0},
		{"next step, after the current was accepted", code(cur + 1), cur, cur + 1},
		{"current step, the previous accepted", code(cur), cur - 1, cur},
		{"spaces around and inside", " " + code(cur)[:3] + " " + code(cur)[3:] + " ", 0, cur},
		{"five digits", code(cur)[:5], 0, 0},
		{"seven digits", code(cur) + "0", 0, 0},
		{"letters", "12a456", 0, 0},
		{"empty", "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := matchStep(rfcSecret, tt.code, now, tt.last)
			assert.Equal(t, tt.step != 0, ok, "matched")
			assert.Equal(t, tt.step, step, "step")
		})
	}
}

// TestRecoveryCodes checks their shape, that they differ, and that their
// hashes are of the normalised code and the account.
func TestRecoveryCodes(t *testing.T) {
	codes, hashes := newRecoveryCodes("alice", 10)
	require.Len(t, codes, 10)
	require.Len(t, hashes, 10)
	seen := map[string]bool{}
	for i, c := range codes {
		assert.Regexp(t, `^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`, c)
		assert.False(t, seen[c], "code %q twice", c)
		seen[c] = true
		normal, ok := normalRecoveryCode(c)
		require.True(t, ok)
		assert.Equal(t, hashes[i], recoveryHash("alice", normal))
		assert.NotEqual(t, hashes[i], recoveryHash("bob", normal), "the same code of another account")
	}

	for _, tt := range []struct{ in, want string }{
		{"abcd-efgh-ijkl-mn23", "abcdefghijklmn23"},
		{"ABCD EFGH IJKL MN23", "abcdefghijklmn23"},
		{"abcdefghijklmn23", "abcdefghijklmn23"},
		{"abcd-efgh-ijkl-mn2", ""},   // short
		{"abcd-efgh-ijkl-mn231", ""}, // long
		{"abcd-efgh-ijkl-mn01", ""},  // not base32
	} {
		got, ok := normalRecoveryCode(tt.in)
		assert.Equal(t, tt.want != "", ok, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
	}
}

// TestSealer checks that a sealed secret opens with its key and account
// only, and that the plaintext is not in it.
func TestSealer(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeyLen)
	s, err := newSealer(key)
	require.NoError(t, err)
	sealed, err := s.seal("alice", rfcSecret)
	require.NoError(t, err)
	assert.NotContains(t, string(sealed), rfcSecret)
	again, err := s.seal("alice", rfcSecret)
	require.NoError(t, err)
	assert.NotEqual(t, sealed, again, "two seals of one secret are alike")

	got, err := s.open("alice", sealed)
	require.NoError(t, err)
	assert.Equal(t, rfcSecret, got)

	_, err = s.open("bob", sealed)
	assert.ErrorIs(t, err, errUnreadable, "another account")
	other, err := newSealer(bytes.Repeat([]byte{8}, KeyLen))
	require.NoError(t, err)
	_, err = other.open("alice", sealed)
	assert.ErrorIs(t, err, errUnreadable, "another key")
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	_, err = s.open("alice", tampered)
	assert.ErrorIs(t, err, errUnreadable, "tampered")
	_, err = s.open("alice", sealed[:5])
	assert.ErrorIs(t, err, errUnreadable, "cut short")
	versioned := bytes.Clone(sealed)
	versioned[0] = 2
	_, err = s.open("alice", versioned)
	assert.ErrorIs(t, err, errUnreadable, "unknown version")

	_, err = newSealer(key[:16])
	assert.Error(t, err, "a key of 16 bytes")
}

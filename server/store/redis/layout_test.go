package redis_test

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/store"
)

// TestKeysUsePrefix uses every ability of a store and checks that each key
// it made starts with its prefix, and that its prefix holds what the package
// doc says. Keys that appear meanwhile under another test prefix are other
// tests'; any other new key is this store's mistake.
func TestKeysUsePrefix(t *testing.T) {
	url := testenv.Redis(t)
	c := client(t, url)
	before, err := testenv.RedisKeys(t.Context(), c, "*")
	require.NoError(t, err)
	known := make(map[string]bool, len(before))
	for _, k := range before {
		known[k] = true
	}

	s := open(t, url)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	ctx := t.Context()
	t0 := time.Now().UTC()
	sess := session("alice", t0)
	tok := store.RefreshToken{Hash: hash(), SessionHash: sess.IDHash, UserID: "alice", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	require.NoError(t, s.CreateSession(ctx, sess))
	if found, err := s.TouchSession(ctx, sess.IDHash, t0.Add(2*time.Hour)); assert.NoError(t, err) {
		assert.True(t, found, "TouchSession found")
	}
	require.NoError(t, s.CreateUser(ctx, store.User{ID: "alice", Email: "alice@example.com", CreatedAt: t0}))
	require.NoError(t, s.Deny(ctx, "jti-1", t0.Add(time.Hour)))
	require.NoError(t, s.SetUserValidAfter(ctx, "alice", t0))
	require.NoError(t, s.CreateRefreshToken(ctx, tok))
	_, _, _, err = s.RedeemRefreshToken(ctx, tok.Hash, t0)
	require.NoError(t, err)
	require.NoError(t, s.PublishKey(ctx, store.PublicKey{ID: "k1", Algorithm: "EdDSA", Key: []byte{1}, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	_, err = s.Secret(ctx, "hmac", []byte("secret"))
	require.NoError(t, err)
	_, err = s.BeginSecondFactor(ctx, "alice", []byte("sealed"))
	require.NoError(t, err)
	_, err = s.EnableSecondFactor(ctx, "alice", []byte("sealed"), 1, [][]byte{hash()})
	require.NoError(t, err)

	after, err := testenv.RedisKeys(ctx, c, "*")
	require.NoError(t, err)
	for _, k := range after {
		if !known[k] && !strings.HasPrefix(k, testenv.RedisTestPrefix) {
			t.Errorf("key %q made outside the prefix %q", k, s.Prefix())
		}
	}
	mine, err := testenv.RedisKeys(ctx, c, s.Prefix()+"*")
	require.NoError(t, err)
	for i, k := range mine {
		mine[i] = strings.TrimPrefix(k, s.Prefix())
	}
	hexOf := hex.EncodeToString
	assert.ElementsMatch(t, []string{
		"s:" + hexOf(sess.IDHash), "us:alice", "sx",
		"u:alice", "ue:alice@example.com", "users",
		"deny", "va",
		"rt:" + hexOf(tok.Hash), "rf:" + hexOf(sess.IDHash), "rx",
		"pk", "pkx",
		"secret:hmac",
		"tf:alice", "tfr:alice",
	}, mine)
}

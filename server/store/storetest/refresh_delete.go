package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// testDeleteFamily checks that DeleteFamily removes every token of one
// family, used or not, counts them, and leaves other families alone.
func testDeleteFamily(t *testing.T, open func(t *testing.T) store.Store) {
	r := openStore(t, open)
	t0 := epoch()
	gone, kept := newHash(), newHash()
	goneTokens := []store.RefreshToken{
		newRefreshToken("alice", gone, t0),
		newRefreshToken("alice", gone, t0),
		newRefreshToken("alice", gone, t0),
	}
	// Another family of the same user, and one whose hash differs from the
	// deleted family's in the last byte only.
	near := bytes.Clone(gone)
	near[len(near)-1] ^= 1
	keptTokens := []store.RefreshToken{
		newRefreshToken("alice", kept, t0),
		newRefreshToken("alice", kept, t0),
		newRefreshToken("bob", near, t0),
	}
	createRefresh(t, r, goneTokens...)
	createRefresh(t, r, keptTokens...)
	// A used token is a member of the family too.
	_, first, _ := redeem(t, r, goneTokens[0].Hash, t0)
	require.True(t, first)

	n, err := r.DeleteFamily(t.Context(), gone)
	require.NoError(t, err)
	assert.Equal(t, len(goneTokens), n, "count")
	for _, tok := range goneTokens {
		assertRedeemNotFound(t, r, tok.Hash, t0)
	}
	for _, tok := range keptTokens {
		_, _, found := redeem(t, r, tok.Hash, t0)
		assert.True(t, found, "token of another family removed")
	}

	n, err = r.DeleteFamily(t.Context(), gone)
	assert.NoError(t, err, "again")
	assert.Zero(t, n, "count again")
	n, err = r.DeleteFamily(t.Context(), newHash())
	assert.NoError(t, err, "unknown family")
	assert.Zero(t, n, "count for an unknown family")
}

// testDeleteExpiredRefresh checks that DeleteExpiredRefreshTokens removes
// exactly the tokens expired at now, used or not, and counts them.
func testDeleteExpiredRefresh(t *testing.T, open func(t *testing.T) store.Store) {
	r := openStore(t, open)
	t0 := epoch()
	now := t0.Add(2 * time.Hour)
	at := func(expires time.Time) store.RefreshToken {
		tok := newRefreshToken("alice", newHash(), t0)
		tok.ExpiresAt = expires
		return tok
	}
	live := []store.RefreshToken{at(now.Add(time.Millisecond)), at(now.Add(time.Hour)), at(now.Add(time.Hour))}
	dead := []store.RefreshToken{at(now), at(now.Add(-time.Millisecond)), at(t0.Add(time.Minute)), at(t0.Add(time.Minute))}
	createRefresh(t, r, live...)
	createRefresh(t, r, dead...)
	// One used token of each: used and live stays, for replay detection.
	usedLive, usedDead := live[2], dead[3]
	for _, tok := range []store.RefreshToken{usedLive, usedDead} {
		_, first, _ := redeem(t, r, tok.Hash, t0)
		require.True(t, first)
	}

	n, err := r.DeleteExpiredRefreshTokens(t.Context(), now)
	require.NoError(t, err)
	assert.Equal(t, len(dead), n, "count")
	// Redeemed at t0, when every one of them was live: the dead ones are
	// gone from the store, not merely expired.
	for _, tok := range dead {
		assertRedeemNotFound(t, r, tok.Hash, t0)
	}
	for _, tok := range live {
		got, first, found := redeem(t, r, tok.Hash, now)
		assert.True(t, found, "live token removed")
		if bytes.Equal(tok.Hash, usedLive.Hash) {
			assert.False(t, first, "used live token lost its UsedAt")
			assertTime(t, t0, got.UsedAt, "UsedAt")
		}
	}

	n, err = r.DeleteExpiredRefreshTokens(t.Context(), now)
	assert.NoError(t, err, "again")
	assert.Zero(t, n, "count again")
}

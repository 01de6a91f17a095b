package storetest

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// runRefreshTokens covers store.RefreshTokens one rule per subtest.
func runRefreshTokens(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("RedeemFirstThenAgain", func(t *testing.T) {
		r := openStore(t, open)
		t0 := epoch()
		tok := newRefreshToken("alice", newHash(), t0)
		other := newRefreshToken("alice", tok.SessionHash, t0)
		createRefresh(t, r, tok, other)

		want := tok
		want.UsedAt = t0.Add(time.Minute)
		for i, now := range []time.Time{want.UsedAt, t0.Add(2 * time.Minute), t0.Add(time.Hour)} {
			got, first, found := redeem(t, r, tok.Hash, now)
			require.True(t, found, "redeem %d: found", i+1)
			assert.Equal(t, i == 0, first, "redeem %d: first", i+1)
			// Every redeem returns the whole record with the first UsedAt.
			assertRefreshToken(t, want, got)
		}

		// The other token of the family is untouched.
		_, first, found := redeem(t, r, other.Hash, t0.Add(time.Hour))
		assert.True(t, found, "other token: found")
		assert.True(t, first, "other token: first")
	})

	t.Run("UnknownIsNotFound", func(t *testing.T) {
		r := openStore(t, open)
		t0 := epoch()
		createRefresh(t, r, newRefreshToken("alice", newHash(), t0))
		unknown := newRefreshToken("bob", newHash(), t0)

		assertRedeemNotFound(t, r, unknown.Hash, t0)
		// The redeem did not store the hash.
		assert.NoError(t, r.CreateRefreshToken(t.Context(), unknown), "create after redeeming unknown")
	})

	t.Run("Expiry", func(t *testing.T) { testRefreshExpiry(t, open) })

	t.Run("CreateIgnoresUsedAt", func(t *testing.T) {
		r := openStore(t, open)
		t0 := epoch()
		tok := newRefreshToken("alice", newHash(), t0)
		tok.UsedAt = t0.Add(time.Minute)
		createRefresh(t, r, tok)

		now := t0.Add(time.Hour)
		got, first, found := redeem(t, r, tok.Hash, now)
		require.True(t, found, "found")
		assert.True(t, first, "first redeem of a token created with UsedAt")
		assertTime(t, now, got.UsedAt, "UsedAt")
	})

	t.Run("DuplicateHash", func(t *testing.T) {
		r := openStore(t, open)
		t0 := epoch()
		tok := newRefreshToken("alice", newHash(), t0)
		createRefresh(t, r, tok)

		dup := newRefreshToken("mallory", newHash(), t0.Add(time.Minute))
		dup.Hash = tok.Hash
		assert.ErrorIs(t, r.CreateRefreshToken(t.Context(), dup), store.ErrDuplicate)

		got, _, found := redeem(t, r, tok.Hash, t0)
		require.True(t, found)
		want := tok
		want.UsedAt = t0
		assertRefreshToken(t, want, got)
		n, err := r.DeleteFamily(t.Context(), dup.SessionHash)
		require.NoError(t, err)
		assert.Zero(t, n, "the refused token's family was stored")
	})

	t.Run("Invalid", func(t *testing.T) { testRefreshInvalid(t, open) })

	t.Run("CopiesIn", func(t *testing.T) {
		r := openStore(t, open)
		t0 := epoch()
		tok := newRefreshToken("alice", newHash(), t0)
		want := tok
		want.Hash = bytes.Clone(tok.Hash)
		want.SessionHash = bytes.Clone(tok.SessionHash)
		createRefresh(t, r, tok)

		// The caller reuses its buffers.
		tok.Hash[0] ^= 0xff
		tok.SessionHash[0] ^= 0xff
		assertRedeemNotFound(t, r, tok.Hash, t0)
		got, _, found := redeem(t, r, want.Hash, t0)
		require.True(t, found)
		want.UsedAt = t0
		assertRefreshToken(t, want, got)
		n, err := r.DeleteFamily(t.Context(), want.SessionHash)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "family of the hash passed")
	})

	t.Run("CopiesOut", func(t *testing.T) {
		r := openStore(t, open)
		t0 := epoch()
		tok := newRefreshToken("alice", newHash(), t0)
		createRefresh(t, r, tok)

		got, _, found := redeem(t, r, tok.Hash, t0)
		require.True(t, found)
		got.Hash[0] ^= 0xff
		got.SessionHash[0] ^= 0xff
		got, _, found = redeem(t, r, tok.Hash, t0)
		require.True(t, found)
		assert.Equal(t, tok.Hash, got.Hash, "Hash")
		assert.Equal(t, tok.SessionHash, got.SessionHash, "SessionHash")
	})

	t.Run("TimesRoundTripInUTC", func(t *testing.T) {
		r := openStore(t, open)
		east := time.FixedZone("UTC+5", 5*60*60)
		t0 := epoch().Add(123_456_789 * time.Nanosecond)
		tok := newRefreshToken("alice", newHash(), t0)
		tok.CreatedAt = tok.CreatedAt.In(east)
		tok.ExpiresAt = tok.ExpiresAt.In(east)
		createRefresh(t, r, tok)

		now := t0.Add(time.Minute + 987_654*time.Nanosecond)
		got, _, found := redeem(t, r, tok.Hash, now.In(east))
		require.True(t, found)
		want := tok
		want.UsedAt = now
		assertRefreshToken(t, want, got)
	})

	t.Run("ConcurrentRedeem", func(t *testing.T) { testConcurrentRedeem(t, open) })
	t.Run("DeleteFamily", func(t *testing.T) { testDeleteFamily(t, open) })
	t.Run("DeleteExpiredRefreshTokens", func(t *testing.T) { testDeleteExpiredRefresh(t, open) })
}

// newRefreshToken returns an unused token of userID in the family
// sessionHash, made at t0 and expiring with the session's absolute expiry.
func newRefreshToken(userID string, sessionHash []byte, t0 time.Time) store.RefreshToken {
	return store.RefreshToken{
		Hash:        newHash(),
		SessionHash: sessionHash,
		UserID:      userID,
		CreatedAt:   t0,
		ExpiresAt:   t0.Add(absolute),
	}
}

// createRefresh stores tokens, failing the test on the first error.
func createRefresh(t *testing.T, r store.RefreshTokens, tokens ...store.RefreshToken) {
	t.Helper()
	for _, tok := range tokens {
		require.NoError(t, r.CreateRefreshToken(t.Context(), tok), "CreateRefreshToken")
	}
}

// redeem redeems a token, failing the test on an error.
func redeem(t *testing.T, r store.RefreshTokens, hash []byte, now time.Time) (store.RefreshToken, bool, bool) {
	t.Helper()
	got, first, found, err := r.RedeemRefreshToken(t.Context(), hash, now)
	require.NoError(t, err, "RedeemRefreshToken")
	return got, first, found
}

// assertRedeemNotFound checks that redeeming the token at now finds nothing.
func assertRedeemNotFound(t *testing.T, r store.RefreshTokens, hash []byte, now time.Time) {
	t.Helper()
	got, first, found, err := r.RedeemRefreshToken(t.Context(), hash, now)
	assert.NoError(t, err, "RedeemRefreshToken")
	assert.False(t, found, "RedeemRefreshToken: found")
	assert.False(t, first, "RedeemRefreshToken: first without found")
	assert.Zero(t, got, "RedeemRefreshToken: record returned with found=false")
}

// assertRefreshToken checks that got holds the fields of want, times to the
// millisecond and in UTC.
func assertRefreshToken(t *testing.T, want, got store.RefreshToken) {
	t.Helper()
	assert.Equal(t, want.Hash, got.Hash, "Hash")
	assert.Equal(t, want.SessionHash, got.SessionHash, "SessionHash")
	assert.Equal(t, want.UserID, got.UserID, "UserID")
	assertTime(t, want.CreatedAt, got.CreatedAt, "CreatedAt")
	assertTime(t, want.ExpiresAt, got.ExpiresAt, "ExpiresAt")
	assertTime(t, want.UsedAt, got.UsedAt, "UsedAt")
}

// testRefreshExpiry checks that a token is found strictly before ExpiresAt,
// used or not.
func testRefreshExpiry(t *testing.T, open func(t *testing.T) store.Store) {
	r := openStore(t, open)
	t0 := epoch()
	expires := t0.Add(time.Hour)
	const ms = time.Millisecond
	tests := []struct {
		name  string
		used  bool // redeemed at t0 before the redeem at now
		now   time.Time
		found bool
	}{
		{"unused, one ms before expiry", false, expires.Add(-ms), true},
		{"unused, at expiry", false, expires, false},
		{"unused, after expiry", false, expires.Add(time.Hour), false},
		{"used, one ms before expiry", true, expires.Add(-ms), true},
		{"used, at expiry", true, expires, false},
		{"used, after expiry", true, expires.Add(time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := newRefreshToken("alice", newHash(), t0)
			tok.ExpiresAt = expires
			createRefresh(t, r, tok)
			if tt.used {
				_, first, found := redeem(t, r, tok.Hash, t0)
				require.True(t, found && first, "redeem at t0")
			}

			if !tt.found {
				assertRedeemNotFound(t, r, tok.Hash, tt.now)
				return
			}
			got, first, found := redeem(t, r, tok.Hash, tt.now)
			assert.True(t, found, "found")
			assert.Equal(t, !tt.used, first, "first")
			want := tok
			want.UsedAt = tt.now
			if tt.used {
				want.UsedAt = t0
			}
			assertRefreshToken(t, want, got)
		})
	}
}

// testRefreshInvalid checks that a token or hash that breaks a rule of
// package store gives ErrInvalid and stores nothing.
func testRefreshInvalid(t *testing.T, open func(t *testing.T) store.Store) {
	r := openStore(t, open)
	t0 := epoch()
	family := newHash()
	short, long := newHash()[:store.HashLen-1], append(newHash(), 0)
	with := func(change func(*store.RefreshToken)) store.RefreshToken {
		tok := newRefreshToken("alice", family, t0)
		change(&tok)
		return tok
	}

	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Create with nil hash", func(ctx context.Context) error {
			return r.CreateRefreshToken(ctx, with(func(tok *store.RefreshToken) { tok.Hash = nil }))
		}},
		{"Create with short hash", func(ctx context.Context) error {
			return r.CreateRefreshToken(ctx, with(func(tok *store.RefreshToken) { tok.Hash = short }))
		}},
		{"Create with long hash", func(ctx context.Context) error {
			return r.CreateRefreshToken(ctx, with(func(tok *store.RefreshToken) { tok.Hash = long }))
		}},
		{"Create with nil session hash", func(ctx context.Context) error {
			return r.CreateRefreshToken(ctx, with(func(tok *store.RefreshToken) { tok.SessionHash = nil }))
		}},
		{"Create with short session hash", func(ctx context.Context) error {
			return r.CreateRefreshToken(ctx, with(func(tok *store.RefreshToken) { tok.SessionHash = short }))
		}},
		{"Create with long session hash", func(ctx context.Context) error {
			return r.CreateRefreshToken(ctx, with(func(tok *store.RefreshToken) { tok.SessionHash = long }))
		}},
		{"Create with empty user id", func(ctx context.Context) error {
			return r.CreateRefreshToken(ctx, with(func(tok *store.RefreshToken) { tok.UserID = "" }))
		}},
		{"Redeem with short hash", func(ctx context.Context) error {
			_, _, _, err := r.RedeemRefreshToken(ctx, short, t0)
			return err
		}},
		{"Redeem with nil hash", func(ctx context.Context) error {
			_, _, _, err := r.RedeemRefreshToken(ctx, nil, t0)
			return err
		}},
		{"DeleteFamily with short hash", func(ctx context.Context) error {
			_, err := r.DeleteFamily(ctx, short)
			return err
		}},
		{"DeleteFamily with nil hash", func(ctx context.Context) error {
			_, err := r.DeleteFamily(ctx, nil)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, tt.call(t.Context()), store.ErrInvalid)
		})
	}

	t.Run("nothing was stored", func(t *testing.T) {
		// Every token above is live at t0, so any that was stored counts
		// as expired at the end of time.
		n, err := r.DeleteExpiredRefreshTokens(t.Context(), t0.Add(100*absolute))
		require.NoError(t, err)
		assert.Zero(t, n, "tokens stored")
	})
}

// testConcurrentRedeem checks that of many concurrent redeems of one token
// exactly one is first, and that all of them see the winner's UsedAt. A
// race loses only some rounds, so it runs many, a fresh token each.
func testConcurrentRedeem(t *testing.T, open func(t *testing.T) store.Store) {
	const goroutines, rounds = 50, 20
	r := openStore(t, open)
	t0 := epoch()
	for round := range rounds {
		tok := newRefreshToken("alice", newHash(), t0)
		createRefresh(t, r, tok)

		type result struct {
			now          time.Time
			got          store.RefreshToken
			first, found bool
			err          error
		}
		results := make([]result, goroutines)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range goroutines {
			wg.Go(func() {
				// Each redeem at a time of its own, so the UsedAt
				// returned tells whose redeem was first.
				now := t0.Add(time.Minute + time.Duration(i)*time.Millisecond)
				<-start
				got, first, found, err := r.RedeemRefreshToken(t.Context(), tok.Hash, now)
				results[i] = result{now, got, first, found, err}
			})
		}
		close(start)
		wg.Wait()

		var winners []result
		for i, res := range results {
			require.NoError(t, res.err, "round %d, redeem %d", round, i)
			require.True(t, res.found, "round %d, redeem %d: found", round, i)
			if res.first {
				winners = append(winners, res)
			}
		}
		require.Len(t, winners, 1, "round %d: redeems that report first=true", round)
		want := tok
		want.UsedAt = winners[0].now
		for _, res := range results {
			assertRefreshToken(t, want, res.got)
		}
	}
}

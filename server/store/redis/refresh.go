package redis

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

var _ store.RefreshTokens = (*Store)(nil)

// CreateRefreshToken implements store.RefreshTokens. The key expires at
// ExpiresAt.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	if err := checkHash(t.Hash); err != nil {
		return err
	}
	if err := checkHash(t.SessionHash); err != nil {
		return err
	}
	if t.UserID == "" {
		return fmt.Errorf("%w: empty user id", store.ErrInvalid)
	}
	m, family := member(t.Hash), member(t.SessionHash)
	x := millis(t.ExpiresAt)
	var created int64
	err := s.do(ctx, "create refresh token", func(ctx context.Context) error {
		var err error
		created, err = s.sc.create.Run(ctx, s.client,
			[]string{s.k.refresh + m, s.k.family + family, s.k.refreshDeaths},
			m, x, x, millis(time.Now()),
			"f", family, "u", t.UserID, "c", millis(t.CreatedAt), "x", x,
		).Int64()
		return err
	})
	if err != nil {
		return err
	}
	if created == 0 {
		return fmt.Errorf("redis: create refresh token: %w", store.ErrDuplicate)
	}
	return nil
}

// RedeemRefreshToken implements store.RefreshTokens in one script.
func (s *Store) RedeemRefreshToken(ctx context.Context, hash []byte, now time.Time) (store.RefreshToken, bool, bool, error) {
	if err := checkHash(hash); err != nil {
		return store.RefreshToken{}, false, false, err
	}
	var v []any
	err := s.do(ctx, "redeem refresh token", func(ctx context.Context) error {
		var err error
		v, err = s.sc.redeem.Run(ctx, s.client, []string{s.k.refresh + member(hash)}, millis(now)).Slice()
		if isNil(err) {
			v, err = nil, nil
		}
		return err
	})
	if err != nil || v == nil {
		return store.RefreshToken{}, false, false, err
	}
	malformed := fmt.Errorf("redis: redeem refresh token: malformed record %s%s", s.k.refresh, member(hash))
	if len(v) != 6 {
		return store.RefreshToken{}, false, false, malformed
	}
	t := store.RefreshToken{Hash: bytes.Clone(hash)}
	family, _ := v[0].(string)
	var err2 error
	t.SessionHash, err2 = hex.DecodeString(family)
	t.UserID, _ = v[1].(string)
	var ok [3]bool
	t.CreatedAt, ok[0] = parseMillis(v[2])
	t.ExpiresAt, ok[1] = parseMillis(v[3])
	t.UsedAt, ok[2] = parseMillis(v[4])
	first, err3 := count(v[5])
	if err2 != nil || err3 != nil || ok != [3]bool{true, true, true} {
		return store.RefreshToken{}, false, false, malformed
	}
	return t, first == 1, true, nil
}

// DeleteFamily implements store.RefreshTokens through the family's index,
// in one script.
func (s *Store) DeleteFamily(ctx context.Context, sessionHash []byte) (int, error) {
	if err := checkHash(sessionHash); err != nil {
		return 0, err
	}
	var n int
	err := s.do(ctx, "delete refresh token family", func(ctx context.Context) error {
		var err error
		n, err = s.sc.deleteIndexed.Run(ctx, s.client,
			[]string{s.k.family + member(sessionHash), s.k.refreshDeaths}, s.k.refresh).Int()
		return err
	})
	return n, err
}

// DeleteExpiredRefreshTokens implements store.RefreshTokens through the index
// of tokens by expiry, in batches. Tokens whose keys Redis has expired are
// gone already and not counted.
func (s *Store) DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int, error) {
	return s.sweep(ctx, "delete expired refresh tokens", s.k.refreshDeaths, s.k.refresh, "f", s.k.family, now)
}

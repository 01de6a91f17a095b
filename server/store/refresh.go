package store

import (
	"context"
	"time"
)

// RefreshToken is one opaque refresh token of the jwt strategy. The token
// itself never reaches the store: Hash is its SHA-256.
type RefreshToken struct {
	Hash []byte
	// SessionHash names the token's family: the IDHash of the Session record
	// that stands for the signed-in device. Every refresh of a sign-in shares
	// it; ending the family ends them all.
	SessionHash []byte
	UserID      string
	CreatedAt   time.Time
	// ExpiresAt is when the token dies unused: the family's absolute expiry.
	// The token is live while now is before ExpiresAt.
	ExpiresAt time.Time
	// UsedAt is the time of the first redeem; zero while unused.
	UsedAt time.Time
}

// RefreshTokens keeps refresh tokens with single-use semantics.
type RefreshTokens interface {
	// CreateRefreshToken stores a new, unused token: t.UsedAt is ignored.
	// It returns ErrDuplicate for a hash that exists and ErrInvalid for a
	// hash or session hash that is not HashLen bytes or an empty user id.
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// RedeemRefreshToken marks the token used at now unless it was used
	// before, atomically: of any number of concurrent redeems of one token,
	// exactly one reports first=true. The record returned carries the UsedAt
	// of that first redeem, whichever redeem returns it. found is false, and
	// the record zero, for an unknown token or one that is expired at now
	// (now is not before ExpiresAt), used or not. It returns ErrInvalid when
	// the hash is not HashLen bytes.
	RedeemRefreshToken(ctx context.Context, hash []byte, now time.Time) (t RefreshToken, first, found bool, err error)
	// DeleteFamily removes every token whose SessionHash is sessionHash,
	// used or not, and returns how many. It returns ErrInvalid when the
	// session hash is not HashLen bytes.
	DeleteFamily(ctx context.Context, sessionHash []byte) (int, error)
	// DeleteExpiredRefreshTokens removes tokens expired at now (ExpiresAt is
	// not after now), used or not, and returns how many. Used tokens that
	// are still live stay, so that a replay of one is recognised.
	DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int, error)
}

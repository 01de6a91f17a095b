package session

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"
)

// Revoke implements Strategy: the token and its whole session are denied
// until they would have expired, and the session's refresh tokens deleted.
// An expired but genuine token is still revoked; a forged one is ignored.
func (j *JWT) Revoke(ctx context.Context, token string, now time.Time) error {
	c, err := j.verify(ctx, token, now, false)
	if err != nil {
		return nil
	}
	if err := j.cfg.Store.Deny(ctx, c.ID, c.ExpiresAt.Add(j.cfg.Leeway)); err != nil {
		return fmt.Errorf("%w: deny token: %w", ErrUnavailable, err)
	}
	fh := familyHash(c.SessionID)
	if fh == nil {
		return nil
	}
	return j.endFamily(ctx, fh, now)
}

// RevokeUser implements Strategy: every token of the user issued before now
// is invalid and every session record of the user is gone. A sign-in after
// it, even in the same second, works.
//
// iat has whole-second precision, so valid-after is the start of the
// current second: tokens of earlier seconds die by it, and a token issued
// in this second after the revocation carries iat == valid-after and lives.
// The tokens issued earlier in this same second belong to sessions whose
// records exist now: each of those sessions is denied (until its last
// token would have expired) before the records are deleted, so they die
// whatever their iat. Valid-after only moves forward, to a time never
// ahead of the clock: revocations in a row do not stack up.
func (j *JWT) RevokeUser(ctx context.Context, userID string, now time.Time) error {
	if err := j.cfg.Store.SetUserValidAfter(ctx, userID, now.Truncate(time.Second)); err != nil {
		return fmt.Errorf("%w: set valid-after: %w", ErrUnavailable, err)
	}
	// Listed as the refresh endpoint reads them: the stored idle expiry
	// lags the real one by less than UpdateAge.
	recs, err := j.cfg.Store.UserSessions(ctx, userID, j.rolling.storeNow(now))
	if err != nil {
		return fmt.Errorf("%w: list sessions: %w", ErrUnavailable, err)
	}
	until := now.Add(j.cfg.AccessMaxAge + j.cfg.Leeway)
	for i := range recs {
		sid := base64.RawURLEncoding.EncodeToString(recs[i].IDHash)
		if err := j.cfg.Store.Deny(ctx, sidDenyID(sid), until); err != nil {
			return fmt.Errorf("%w: deny session: %w", ErrUnavailable, err)
		}
		j.rolling.forget(sid)
	}
	if _, err := j.cfg.Store.DeleteUserSessions(ctx, userID); err != nil {
		return fmt.Errorf("%w: delete user sessions: %w", ErrUnavailable, err)
	}
	return nil
}

// Cleanup implements Cleaner.
func (j *JWT) Cleanup(ctx context.Context, now time.Time) (int, error) {
	j.rolling.prune(now)
	n1, err := j.cfg.Store.DeleteExpiredDenials(ctx, now)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	n2, err := j.cfg.Store.DeleteExpiredRefreshTokens(ctx, now)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	n3, err := j.cfg.Store.DeleteExpiredSessions(ctx, j.rolling.storeNow(now))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return n1 + n2 + n3, nil
}

// endFamily ends a session: its record, its refresh tokens, and (through
// the deny list) every access token of it still in circulation.
func (j *JWT) endFamily(ctx context.Context, fh []byte, now time.Time) error {
	sid := base64.RawURLEncoding.EncodeToString(fh)
	if err := j.cfg.Store.Deny(ctx, sidDenyID(sid), now.Add(j.cfg.AccessMaxAge+j.cfg.Leeway)); err != nil {
		return fmt.Errorf("%w: deny session: %w", ErrUnavailable, err)
	}
	j.rolling.forget(sid)
	if err := j.cfg.Store.DeleteSession(ctx, fh); err != nil {
		return fmt.Errorf("%w: delete session: %w", ErrUnavailable, err)
	}
	if _, err := j.cfg.Store.DeleteFamily(ctx, fh); err != nil {
		return fmt.Errorf("%w: delete refresh tokens: %w", ErrUnavailable, err)
	}
	return nil
}

// UserSessions implements Lister: a jwt session is its refresh family's
// record.
func (j *JWT) UserSessions(ctx context.Context, userID string, now time.Time) ([]Session, error) {
	return listSessions(ctx, j.cfg.Store, j.cfg.Lifetime, userID, now)
}

// RevokeKey implements Lister: the session, its refresh tokens and every
// access token of it still in circulation end.
func (j *JWT) RevokeKey(ctx context.Context, key []byte, now time.Time) error {
	return j.endFamily(ctx, key, now)
}

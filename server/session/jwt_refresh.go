package session

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sessionguard/sessionguard/server/audit"
	"github.com/sessionguard/sessionguard/server/store"
)

// Refresh implements Refresher.
func (j *JWT) Refresh(ctx context.Context, refresh string, now time.Time) (Issued, Session, error) {
	h := hashToken(refresh)
	if h == nil {
		return Issued{}, Session{}, ErrRefreshInvalid
	}
	rt, first, found, err := j.cfg.Store.RedeemRefreshToken(ctx, h, now)
	switch {
	case err != nil:
		return Issued{}, Session{}, fmt.Errorf("%w: redeem refresh token: %w", ErrUnavailable, err)
	case !found:
		return Issued{}, Session{}, ErrRefreshInvalid
	case !first && now.Sub(rt.UsedAt) > j.cfg.Grace:
		if err := j.endFamily(ctx, rt.SessionHash, now); err != nil {
			return Issued{}, Session{}, err
		}
		j.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "refresh token reused; session ended",
			audit.Event(audit.RefreshTokenReuse), slog.String("user_id", rt.UserID),
			slog.Time("first_used", rt.UsedAt))
		return Issued{}, Session{}, ErrRefreshReused
	}
	// Look the session up as the database strategy's Load does: the stored
	// idle expiry lags the real one by less than UpdateAge.
	rec, found, err := j.cfg.Store.Session(ctx, rt.SessionHash, j.rolling.storeNow(now))
	if err != nil {
		return Issued{}, Session{}, fmt.Errorf("%w: read session: %w", ErrUnavailable, err)
	}
	sid := base64.RawURLEncoding.EncodeToString(rt.SessionHash)
	rec.Expires = j.rolling.expiry(sid, rec.Expires)
	if !found || !rec.Live(now) {
		return Issued{}, Session{}, ErrRefreshInvalid
	}
	// The successor is derived, not random: a duplicate redeem within the
	// grace window gets the same one, and it is stored only once. It is
	// stored before the access token is signed: should the session end in
	// between, it is a refresh token of a session that no longer is.
	succ := j.successor(refresh)
	if err := j.storeRefresh(ctx, succ, &rec, now); err != nil {
		return Issued{}, Session{}, err
	}
	access, s, found, err := j.renew(ctx, sid, &rec, now)
	switch {
	case err != nil:
		return Issued{}, Session{}, err
	case !found:
		return Issued{}, Session{}, ErrRefreshInvalid
	}
	return Issued{Token: access, Refresh: succ}, s, nil
}

// storeRefresh stores a refresh token of the session rec.
func (j *JWT) storeRefresh(ctx context.Context, refresh string, rec *store.Session, now time.Time) error {
	err := j.cfg.Store.CreateRefreshToken(ctx, store.RefreshToken{
		Hash: hashToken(refresh), SessionHash: rec.IDHash, UserID: rec.UserID, CreatedAt: now, ExpiresAt: rec.AbsExpires,
	})
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		return fmt.Errorf("%w: store refresh token: %w", ErrUnavailable, err)
	}
	return nil
}

// successor derives the refresh token that replaces refresh.
func (j *JWT) successor(refresh string) string {
	m := hmac.New(sha256.New, j.cfg.RefreshKey)
	m.Write([]byte("sessionguard refresh successor:"))
	m.Write([]byte(refresh))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

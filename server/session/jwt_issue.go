package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

// Issue implements Strategy: a new session record (the refresh family), a
// refresh token and an access token.
func (j *JWT) Issue(ctx context.Context, u wire.User, dev Device, aal string, now time.Time) (Issued, Session, error) {
	fh := make([]byte, store.HashLen)
	_, _ = rand.Read(fh)
	rec := newRecord(fh, u, dev, aal, now, j.cfg.Lifetime)
	return j.issueRecord(ctx, &rec, now)
}

// issueRecord stores the new session record rec, a refresh token of it and
// signs an access token.
func (j *JWT) issueRecord(ctx context.Context, rec *store.Session, now time.Time) (Issued, Session, error) {
	sid := base64.RawURLEncoding.EncodeToString(rec.IDHash)
	if err := j.cfg.Store.CreateSession(ctx, *rec); err != nil {
		return Issued{}, Session{}, fmt.Errorf("%w: create session: %w", ErrUnavailable, err)
	}
	refresh := randomID(tokenBytes)
	if err := j.storeRefresh(ctx, refresh, rec, now); err != nil {
		j.abandon(ctx, rec.IDHash, err)
		return Issued{}, Session{}, err
	}
	access, exp, err := j.issueAccess(sid, now, rec, rec.Expires)
	if err != nil {
		j.abandon(ctx, rec.IDHash, err)
		return Issued{}, Session{}, err
	}
	s := fromRecord(rec, rec.Expires)
	s.AccessExpires = exp
	return Issued{Token: access, Refresh: refresh}, s, nil
}

// Reauthenticate implements Strategy: a new refresh family whose record
// copies the old one's sign-in time and absolute expiry. As in the
// database strategy, the old record is read again after the new family
// exists, with the revocations of the user and of the old session: one
// that ended the old session before takes the new family back.
func (j *JWT) Reauthenticate(ctx context.Context, key []byte, aal string, dev Device, now time.Time) (Issued, Session, bool, error) {
	if len(key) != store.HashLen {
		return Issued{}, Session{}, false, nil
	}
	oldSID := base64.RawURLEncoding.EncodeToString(key)
	old, found, err := j.cfg.Store.Session(ctx, key, j.rolling.storeNow(now))
	if err != nil {
		return Issued{}, Session{}, false, fmt.Errorf("%w: read session: %w", ErrUnavailable, err)
	}
	old.Expires = j.rolling.expiry(oldSID, old.Expires)
	if !found || !old.Live(now) {
		return Issued{}, Session{}, false, nil
	}
	fh := make([]byte, store.HashLen)
	_, _ = rand.Read(fh)
	rec := reauthRecord(fh, &old, dev, aal, now, j.cfg.Lifetime)
	issued, s, err := j.issueRecord(ctx, &rec, now)
	if err != nil {
		return Issued{}, Session{}, false, err
	}
	iat := jwt.NewNumericDate(now).Time
	revoked, err := j.cfg.Store.Revoked(ctx, old.UserID, iat, now, sidDenyID(oldSID))
	if err == nil && !revoked {
		_, found, err = j.cfg.Store.Session(ctx, key, j.rolling.storeNow(now))
	}
	if err != nil || revoked || !found {
		if eerr := j.endFamily(ctx, fh, now); eerr != nil && err == nil {
			return Issued{}, Session{}, false, eerr
		}
		if err != nil {
			return Issued{}, Session{}, false, fmt.Errorf("%w: re-read session: %w", ErrUnavailable, err)
		}
		return Issued{}, Session{}, false, nil
	}
	if err := j.endFamily(ctx, key, now); err != nil {
		return Issued{}, Session{}, false, err
	}
	return issued, s, true, nil
}

// abandonTimeout bounds the removal of a half-issued session's record.
const abandonTimeout = 5 * time.Second

// abandon removes the record idHash of a session whose issue failed after
// the record was written (why), so that no session without tokens stays in
// the user's list of devices and in the count of live sessions. It runs
// even when ctx has ended (the client went away), within abandonTimeout. A
// failure is logged: the record then goes when cleanup finds it expired.
func (j *JWT) abandon(ctx context.Context, idHash []byte, why error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abandonTimeout)
	defer cancel()
	if err := j.cfg.Store.DeleteSession(ctx, idHash); err != nil {
		j.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "half-issued session not removed",
			slog.String("cause", why.Error()), slog.String("error", err.Error()))
	}
}

// issueAccess signs an access token for the session sid with the claims
// of its record rec, dated now (iat has whole-second precision: it is now
// rounded down, never later).
func (j *JWT) issueAccess(sid string, now time.Time, rec *store.Session, idle time.Time) (string, time.Time, error) {
	iat := now
	authTime := rec.CreatedAt
	exp := wholeSecond(minTime(now.Add(j.cfg.AccessMaxAge), rec.AbsExpires)).UTC()
	c := &Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    j.cfg.Issuer,
			Subject:   rec.UserID,
			Audience:  jwt.ClaimStrings{j.cfg.Audience},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(iat),
			ID:        randomID(16),
		},
		AuthTime:       jwt.NewNumericDate(authTime),
		AAL:            checkAAL(rec.AAL),
		AuthnTime:      jwt.NewNumericDate(fromRecord(rec, idle).AuthenticatedAt),
		SessionID:      sid,
		SessionExpires: jwt.NewNumericDate(idle),
		Name:           rec.Name,
		Email:          rec.Email,
		Role:           rec.Role,
	}
	s, err := j.cfg.Keys.Sign(c)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("session: sign access token: %w", err)
	}
	return s, exp, nil
}

// renew extends the session rec (just read from the store) to a new idle
// expiry and signs an access token for it with the record's claims. found
// is false when the session ended meanwhile: then no token leaves.
//
// A revocation wins over every renewal that finishes after it returns.
// Every revocation removes the record before it returns (Revoke, RevokeKey
// and RevokeUser delete it; nothing re-creates a record), and denies
// "sid:<id>" before that wherever the session's existing tokens must die
// (Revoke and RevokeKey always; RevokeUser for every record it lists, and
// it lists before it deletes). No token's iat is ever lifted. Now take a
// revocation R and this renewal:
//   - R returned before the re-check below began: the re-check finds the
//     record gone (or the session denied, or, for a token dated before R's
//     second, valid-after past its iat), and the token is thrown away.
//   - The re-check passed before R returned: the touch found the record
//     before that, so the record existed when R deleted it, and unless the
//     session was itself created while R ran (a sign-in concurrent with R)
//     it existed when R listed it too; R denies its id, which ends this
//     token with every other token of the session.
//   - A touch after R deleted the record finds nothing and signs nothing.
func (j *JWT) renew(ctx context.Context, sid string, rec *store.Session, now time.Time) (string, Session, bool, error) {
	next := j.rolling.next(now, rec.AbsExpires)
	touched, err := j.cfg.Store.TouchSession(ctx, rec.IDHash, next)
	if err != nil {
		return "", Session{}, false, fmt.Errorf("%w: extend session: %w", ErrUnavailable, err)
	}
	if !touched {
		j.rolling.forget(sid)
		return "", Session{}, false, nil
	}
	access, exp, err := j.issueAccess(sid, now, rec, next)
	if err != nil {
		return "", Session{}, false, err
	}
	// The re-check: the record is still there and neither the session nor
	// a token of this second is revoked.
	iat := jwt.NewNumericDate(now).Time
	revoked, err := j.cfg.Store.Revoked(ctx, rec.UserID, iat, now, sidDenyID(sid))
	if err != nil {
		return "", Session{}, false, fmt.Errorf("%w: read revocations: %w", ErrUnavailable, err)
	}
	_, found, err := j.cfg.Store.Session(ctx, rec.IDHash, j.rolling.storeNow(now))
	if err != nil {
		return "", Session{}, false, fmt.Errorf("%w: read session: %w", ErrUnavailable, err)
	}
	if revoked || !found {
		j.rolling.forget(sid)
		return "", Session{}, false, nil
	}
	j.rolling.written(sid, next)
	s := fromRecord(rec, next) // with the record's ClientAddr
	s.AccessExpires = exp
	return access, s, true, nil
}

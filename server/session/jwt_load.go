package session

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/wire"
)

// Peek implements Peeker.
func (j *JWT) Peek(ctx context.Context, token string, now time.Time) (Session, bool, error) {
	c, idle, found, err := j.check(ctx, token, now)
	if err != nil || !found {
		return Session{}, false, err
	}
	return j.claimsSession(c, idle.UTC()), true, nil
}

// claimsSession is the Session an access token's claims describe, with the
// idle expiry idle.
func (j *JWT) claimsSession(c *Claims, idle time.Time) Session {
	aal, authn := c.assurance()
	return Session{
		User:    wire.User{ID: c.Subject, Email: c.Email, Name: c.Name, Role: c.Role},
		Expires: idle, AbsExpires: wholeSecond(c.AuthTime.UTC().Add(j.cfg.Lifetime.AbsoluteMaxAge)),
		CreatedAt: c.AuthTime.UTC(), AccessExpires: c.ExpiresAt.UTC(), Key: c.family,
		AAL: aal, AuthenticatedAt: authn,
	}
}

// check returns the claims of a token that is valid, not revoked and not
// idle past its expiry at now, with that idle expiry.
func (j *JWT) check(ctx context.Context, token string, now time.Time) (*Claims, time.Time, bool, error) {
	c, err := j.verify(ctx, token, now, true)
	if err != nil {
		return nil, time.Time{}, false, nil
	}
	revoked, err := j.cfg.Store.Revoked(ctx, c.Subject, c.IssuedAt.Time, now, c.denyIDs...)
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("%w: read revocations: %w", ErrUnavailable, err)
	}
	if revoked {
		return nil, time.Time{}, false, nil
	}
	idle := j.rolling.expiry(c.SessionID, c.SessionExpires.Time)
	if !now.Before(idle) {
		return nil, time.Time{}, false, nil
	}
	return c, idle, true, nil
}

// Load implements Strategy.
func (j *JWT) Load(ctx context.Context, token string, now time.Time) (Session, string, bool, error) {
	c, _, found, err := j.check(ctx, token, now)
	if err != nil || !found {
		return Session{}, "", false, err
	}
	if !j.rolling.claim(c.SessionID, c.IssuedAt.Time, now) {
		return j.held(c, now), "", true, nil
	}
	// Re-issue: a later exp for the cookie, the idle expiry written to the
	// session record for the refresh endpoint (and other instances). The
	// claim stays for UpdateAge unless this fails.
	s, renewed, found, err := j.reissue(ctx, c, now)
	if err != nil {
		j.rolling.unclaim(c.SessionID, now) // an ended session forgot its claim
	}
	return s, renewed, found, err
}

// reissue is Load's renewal of the checked token c, due at now.
func (j *JWT) reissue(ctx context.Context, c *Claims, now time.Time) (Session, string, bool, error) {
	fh := familyHash(c.SessionID)
	if fh == nil {
		j.rolling.forget(c.SessionID)
		return Session{}, "", false, nil
	}
	rec, found, err := j.cfg.Store.Session(ctx, fh, j.rolling.storeNow(now))
	if err != nil {
		return Session{}, "", false, fmt.Errorf("%w: read session: %w", ErrUnavailable, err)
	}
	if !found || rec.UserID != c.Subject || !now.Before(rec.AbsExpires) {
		j.rolling.forget(c.SessionID)
		return Session{}, "", false, nil
	}
	renewed, s, found, err := j.renew(ctx, c.SessionID, &rec, now)
	if err != nil || !found {
		return Session{}, "", false, err
	}
	return s, renewed, true, nil
}

// LoadBearer implements BearerLoader: Load without the re-issue. The idle
// expiry this read gives is held in memory; the token keeps the expiry it
// was signed with and the client's refresh (which reads the record) writes
// the rolling extension out. An active client refreshes every access-token
// lifetime, which is below the idle lifetime, so the record is written in
// time.
func (j *JWT) LoadBearer(ctx context.Context, token string, now time.Time) (Session, bool, error) {
	c, _, found, err := j.check(ctx, token, now)
	if err != nil || !found {
		return Session{}, false, err
	}
	return j.held(c, now), true, nil
}

// held is a read at now of the checked token c that writes nothing: the
// idle expiry it gives is held in memory, and the session is the claims'.
func (j *JWT) held(c *Claims, now time.Time) Session {
	abs := wholeSecond(c.AuthTime.UTC().Add(j.cfg.Lifetime.AbsoluteMaxAge))
	next := j.rolling.next(now.UTC(), abs)
	j.rolling.hold(c.SessionID, next)
	return j.claimsSession(c, next)
}

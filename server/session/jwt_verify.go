package session

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// verifiedToken is an entry of the verified-token cache: the claims and the
// key id whose key verified them, checked again on every hit.
type verifiedToken struct {
	claims *Claims
	kid    string
}

const maxVerified = 50_000

// verify returns the token's claims if its signature, type, algorithm,
// issuer, audience and times hold at now (or, without checkTimes, at its
// own issue time).
func (j *JWT) verify(ctx context.Context, token string, now time.Time, checkTimes bool) (*Claims, error) {
	if len(token) > MaxTokenLen || strings.Count(token, ".") != 2 {
		return nil, errors.New("not a compact JWS")
	}
	j.mu.Lock()
	v, ok := j.verified[token]
	j.mu.Unlock()
	// A cached token is only as good as its key: one retired since (or
	// dropped from the key set) no longer vouches for it.
	if ok && !j.cfg.Keys.Trusts(v.kid) {
		j.mu.Lock()
		delete(j.verified, token)
		j.mu.Unlock()
		return nil, errUntrustedKey
	}
	c := v.claims
	if !ok {
		c = &Claims{}
		p := jwt.NewParser(jwt.WithValidMethods(j.methods), jwt.WithStrictDecoding(), jwt.WithoutClaimsValidation())
		t, err := p.ParseWithClaims(token, c, j.cfg.Keys.Keyfunc(ctx))
		if err != nil {
			return nil, err
		}
		if err := j.plausible(c); err != nil {
			return nil, err
		}
		c.denyIDs = []string{c.ID, sidDenyID(c.SessionID)}
		c.family = familyHash(c.SessionID)
		kid, _ := t.Header["kid"].(string)
		j.mu.Lock()
		if len(j.verified) >= maxVerified {
			clear(j.verified) // cheap and rare; the next reads verify again
		}
		j.verified[token] = verifiedToken{claims: c, kid: kid}
		j.mu.Unlock()
	}
	// Sign-out checks a token as of its own issue time, so an expired but
	// genuine token still ends its session.
	at := now
	if !checkTimes {
		at = c.IssuedAt.Time
	}
	opts := []jwt.ParserOption{
		jwt.WithIssuer(j.cfg.Issuer), jwt.WithAudience(j.cfg.Audience), jwt.WithLeeway(j.cfg.Leeway),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(func() time.Time { return at }),
	}
	if err := jwt.NewValidator(opts...).Validate(c); err != nil {
		return nil, err
	}
	return c, nil
}

// errUntrustedKey refuses a cached token whose key is no longer trusted.
var errUntrustedKey = errors.New("the token's key is no longer trusted")

// errImplausible refuses a token whose times no token of this strategy has.
var errImplausible = errors.New("token lifetime beyond the access max age or the absolute cap")

// plausible checks what a signature cannot: the token has the claims every
// token of this strategy has, and lives no longer than an access token may
// (exp - iat at most AccessMaxAge plus leeway) and never past its
// session's absolute cap. A key that signed more than it should, or one
// that was retired, cannot stretch a token this way.
func (j *JWT) plausible(c *Claims) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.ExpiresAt == nil {
		return nil // the validator refuses it
	}
	exp := c.ExpiresAt.Time
	if exp.Sub(c.IssuedAt.Time) > j.cfg.AccessMaxAge+j.cfg.Leeway ||
		exp.After(c.AuthTime.Add(j.cfg.Lifetime.AbsoluteMaxAge+j.cfg.Leeway)) {
		return errImplausible
	}
	return nil
}

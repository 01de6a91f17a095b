package session

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// verifiedToken is an entry of the verified-token cache: the claims and the
// key id whose key verified them, checked again on every hit, and what the
// claims validator says of them (window).
type verifiedToken struct {
	claims *Claims
	kid    string
	window validWindow
}

// validWindow is the claims validator's judgement of one token, worked out
// once: of its checks only exp, nbf and iat depend on the time, and those
// hold exactly from the latest of nbf and iat (less the leeway) until exp
// (plus the leeway). So the validator accepts the token at a time in
// [from, until) when it accepts it at from, and at no other time. refusal
// is its answer when it refuses the token at every time.
type validWindow struct {
	from, until time.Time
	refusal     error
}

// window works out the validator's judgement of c.
func (j *JWT) window(c *Claims) validWindow {
	if c.ExpiresAt == nil || c.IssuedAt == nil {
		return validWindow{refusal: j.validate(c, time.Time{})} // refused whatever the time
	}
	from := c.IssuedAt.Time
	if c.NotBefore != nil && c.NotBefore.After(from) {
		from = c.NotBefore.Time
	}
	w := validWindow{from: from.Add(-j.cfg.Leeway), until: c.ExpiresAt.Add(j.cfg.Leeway)}
	if !w.from.Before(w.until) {
		return validWindow{refusal: j.validate(c, w.from)} // never valid
	}
	w.refusal = j.validate(c, w.from)
	return w
}

// validAt returns the validator's answer at at: nil inside the window,
// the validator's own error outside it.
func (j *JWT) validAt(w validWindow, c *Claims, at time.Time) error {
	if w.refusal != nil {
		return w.refusal
	}
	if !at.Before(w.from) && at.Before(w.until) {
		return nil
	}
	return j.validate(c, at)
}

// validate runs the claims validator on c at at: issuer, audience, an
// exp that has not passed and nbf and iat that have, with the leeway.
func (j *JWT) validate(c *Claims, at time.Time) error {
	return jwt.NewValidator(
		jwt.WithIssuer(j.cfg.Issuer), jwt.WithAudience(j.cfg.Audience), jwt.WithLeeway(j.cfg.Leeway),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(func() time.Time { return at }),
	).Validate(c)
}

const maxVerified = 50_000

// verify returns the token's claims if its signature, type, algorithm,
// issuer, audience and times hold at now (or, without checkTimes, at its
// own issue time).
func (j *JWT) verify(ctx context.Context, token string, now time.Time, checkTimes bool) (*Claims, error) {
	if len(token) > MaxTokenLen || strings.Count(token, ".") != 2 {
		return nil, errors.New("not a compact JWS")
	}
	var v *verifiedToken
	if e, ok := j.verified.Load(token); ok {
		v = e.(*verifiedToken)
		// A cached token is only as good as its key: one retired since (or
		// dropped from the key set) no longer vouches for it.
		if !j.cfg.Keys.Trusts(v.kid) {
			j.mu.Lock()
			if _, ok := j.verified.LoadAndDelete(token); ok {
				j.nVerified--
			}
			j.mu.Unlock()
			return nil, errUntrustedKey
		}
	}
	var c *Claims
	if v != nil {
		c = v.claims
	} else {
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
		v = &verifiedToken{claims: c, kid: kid, window: j.window(c)}
		j.mu.Lock()
		if j.nVerified >= maxVerified {
			j.verified.Clear() // rare; the next reads verify again
			j.nVerified = 0
		}
		if _, loaded := j.verified.Swap(token, v); !loaded {
			j.nVerified++
		}
		j.mu.Unlock()
	}
	// Sign-out checks a token as of its own issue time, so an expired but
	// genuine token still ends its session.
	at := now
	if !checkTimes {
		at = c.IssuedAt.Time
	}
	if err := j.validAt(v.window, c, at); err != nil {
		return nil, err
	}
	return c, nil
}

// expiredKeeper is implemented by strategies whose dead session cookie may
// still end a session (jwt: an expired access token names its refresh
// family).
type expiredKeeper interface {
	// onlyExpired reports whether token is genuine, its key still trusted,
	// and refused at now only because its exp has passed.
	onlyExpired(ctx context.Context, token string, now time.Time) bool
}

// onlyExpired implements expiredKeeper. It reads no store: a token revoked
// as well is kept too, and a sign-out with it changes nothing.
func (j *JWT) onlyExpired(ctx context.Context, token string, now time.Time) bool {
	c, err := j.verify(ctx, token, now, false)
	return err == nil && !now.Before(c.ExpiresAt.Add(j.cfg.Leeway))
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

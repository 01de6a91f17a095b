package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

// JWTConfig is what NewJWT needs.
type JWTConfig struct {
	// Keys signs and verifies the access tokens.
	Keys *KeySet
	// Store keeps the session (refresh family) records, the deny list, the
	// per-user valid-after times and the refresh tokens.
	Store JWTStore
	// RefreshKey derives a refresh token's successor (HMAC-SHA256), so a
	// duplicate refresh within Grace gets the same new token without the
	// store ever holding one. Every instance must use the same key: take it
	// from store.Keys.Secret.
	RefreshKey []byte
	Lifetime   Lifetime
	// AccessMaxAge is an access token's lifetime (default 5 minutes); the
	// browser module refreshes before it ends.
	AccessMaxAge time.Duration
	// Issuer and Audience are the iss and aud of every token (default
	// "sessionguard" for both).
	Issuer, Audience string
	// Leeway is the clock skew allowed on exp, nbf and iat (default 5 s,
	// at most 30 s).
	Leeway time.Duration
	// Grace is how long after a refresh token's first redeem a duplicate
	// redeem gets the same new refresh token instead of counting as theft
	// (default 5 s; a slow network's double submit fits in it).
	Grace time.Duration
	// Logger receives security events (refresh-token reuse).
	Logger *slog.Logger
}

// JWTStore is what the jwt strategy needs of a store. (It lists a user's
// sessions to end every token of them on a sign-out-everywhere.)
type JWTStore interface {
	store.Sessions
	store.SessionLister
	store.Revocations
	store.RefreshTokens
}

// MaxTokenLen is the longest access token parsed; the cookie also stays
// under 4 KiB.
const MaxTokenLen = 4096

// JWT is the jwt strategy: the session cookie holds a signed, short-lived
// access token (EdDSA by default) that any service can verify with
// /.well-known/jwks.json; a refresh token in its own cookie renews it. Sign
// out, sign-out-everywhere and refresh-token theft still end sessions at
// once through a deny list and per-user valid-after times that every read
// checks. Build one with NewJWT; a JWT is safe for concurrent use.
type JWT struct {
	cfg     JWTConfig
	methods []string

	// verified caches tokens whose signature was checked: a valid
	// signature stays valid, so a read costs a map lookup and the time and
	// revocation checks, not an Ed25519 verification.
	mu       sync.Mutex
	verified map[string]verifiedToken
	// rolling holds the idle expiries newer than the ones in the tokens,
	// by session id, until a re-issue carries them.
	rolling *rolling
}

// verifiedToken is an entry of the verified-token cache: the claims and the
// key id whose key verified them, checked again on every hit.
type verifiedToken struct {
	claims *Claims
	kid    string
}

const maxVerified = 50_000

// NewJWT checks cfg and returns the strategy.
func NewJWT(cfg JWTConfig) (*JWT, error) {
	l, err := cfg.Lifetime.validate()
	if err != nil {
		return nil, err
	}
	cfg.Lifetime = l
	if cfg.Keys == nil || cfg.Store == nil || len(cfg.RefreshKey) < 16 {
		return nil, errors.New("session: JWTConfig needs Keys, Store and a RefreshKey of at least 16 bytes")
	}
	if cfg.AccessMaxAge <= 0 {
		cfg.AccessMaxAge = 5 * time.Minute
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "sessionguard"
	}
	if cfg.Audience == "" {
		cfg.Audience = "sessionguard"
	}
	switch {
	case cfg.Leeway == 0:
		cfg.Leeway = 5 * time.Second
	case cfg.Leeway < 0 || cfg.Leeway > 30*time.Second:
		return nil, errorf("leeway %v: want 0 to 30s", cfg.Leeway)
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &JWT{
		cfg:      cfg,
		methods:  []string{cfg.Keys.Algorithm()},
		verified: make(map[string]verifiedToken),
		rolling:  newRolling(l),
	}, nil
}

// Keys returns the strategy's key set (for the JWKS endpoint).
func (j *JWT) Keys() *KeySet { return j.cfg.Keys }

// AccessMaxAge returns an access token's lifetime.
func (j *JWT) AccessMaxAge() time.Duration { return j.cfg.AccessMaxAge }

// Issue implements Strategy: a new session record (the refresh family), a
// refresh token and an access token.
func (j *JWT) Issue(ctx context.Context, u wire.User, dev Device, now time.Time) (Issued, Session, error) {
	fh := make([]byte, store.HashLen)
	_, _ = rand.Read(fh)
	sid := base64.RawURLEncoding.EncodeToString(fh)
	rec := newRecord(fh, u, dev, now, j.cfg.Lifetime)
	if err := j.cfg.Store.CreateSession(ctx, rec); err != nil {
		return Issued{}, Session{}, fmt.Errorf("%w: create session: %w", ErrUnavailable, err)
	}
	refresh := randomID(tokenBytes)
	if err := j.storeRefresh(ctx, refresh, &rec, now); err != nil {
		return Issued{}, Session{}, err
	}
	access, exp, err := j.issueAccess(sid, now, &rec, rec.Expires)
	if err != nil {
		return Issued{}, Session{}, err
	}
	s := fromRecord(&rec, rec.Expires)
	s.AccessExpires = exp
	return Issued{Token: access, Refresh: refresh}, s, nil
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
		SessionID:      sid,
		SessionExpires: jwt.NewNumericDate(idle),
		Name:           rec.Name,
		Email:          rec.Email,
		Role:           rec.Role,
	}
	s, err := j.cfg.Keys.sign(c)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("session: sign access token: %w", err)
	}
	return s, exp, nil
}

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
	if ok && !j.cfg.Keys.trusts(v.kid) {
		j.mu.Lock()
		delete(j.verified, token)
		j.mu.Unlock()
		return nil, errUntrustedKey
	}
	c := v.claims
	if !ok {
		c = &Claims{}
		p := jwt.NewParser(jwt.WithValidMethods(j.methods), jwt.WithStrictDecoding(), jwt.WithoutClaimsValidation())
		t, err := p.ParseWithClaims(token, c, j.cfg.Keys.keyfunc(ctx))
		if err != nil {
			return nil, err
		}
		if err := j.plausible(c); err != nil {
			return nil, err
		}
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

// Peek implements Peeker.
func (j *JWT) Peek(ctx context.Context, token string, now time.Time) (Session, bool, error) {
	c, idle, found, err := j.check(ctx, token, now)
	if err != nil || !found {
		return Session{}, false, err
	}
	return Session{
		User:    wire.User{ID: c.Subject, Email: c.Email, Name: c.Name, Role: c.Role},
		Expires: idle.UTC(), AbsExpires: wholeSecond(c.AuthTime.UTC().Add(j.cfg.Lifetime.AbsoluteMaxAge)),
		CreatedAt: c.AuthTime.UTC(), AccessExpires: c.ExpiresAt.UTC(), Key: familyHash(c.SessionID),
	}, true, nil
}

// check returns the claims of a token that is valid, not revoked and not
// idle past its expiry at now, with that idle expiry.
func (j *JWT) check(ctx context.Context, token string, now time.Time) (*Claims, time.Time, bool, error) {
	c, err := j.verify(ctx, token, now, true)
	if err != nil {
		return nil, time.Time{}, false, nil
	}
	revoked, err := j.cfg.Store.Revoked(ctx, c.Subject, c.IssuedAt.Time, now, c.ID, sidDenyID(c.SessionID))
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
	abs := wholeSecond(c.AuthTime.UTC().Add(j.cfg.Lifetime.AbsoluteMaxAge))
	next := j.rolling.next(now.UTC(), abs)
	if !j.rolling.due(c.IssuedAt.Time, now) {
		j.rolling.hold(c.SessionID, next)
		s := Session{
			User:    wire.User{ID: c.Subject, Email: c.Email, Name: c.Name, Role: c.Role},
			Expires: next, AbsExpires: abs, CreatedAt: c.AuthTime.UTC(), AccessExpires: c.ExpiresAt.UTC(),
			Key: familyHash(c.SessionID),
		}
		return s, "", true, nil
	}
	// Re-issue: a later exp for the cookie, the idle expiry written to the
	// session record for the refresh endpoint (and other instances).
	fh := familyHash(c.SessionID)
	if fh == nil {
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

// familyHash is the store key of a session id. Under the jwt strategy the
// id is no secret (it is in every token), so it is the key itself, in
// base64url; nothing accepts it as a credential.
func familyHash(sid string) []byte {
	b, err := base64.RawURLEncoding.Strict().DecodeString(sid)
	if err != nil || len(b) != store.HashLen {
		return nil
	}
	return b
}

// sidDenyID is the deny-list entry that ends a whole session.
func sidDenyID(sid string) string { return "sid:" + sid }

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

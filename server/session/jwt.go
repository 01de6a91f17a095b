package session

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
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
	// pending holds rolling idle expiries newer than the ones in the tokens,
	// by session id, until a re-issue carries them (at most one per
	// UpdateAge).
	pending map[string]time.Time
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
		pending:  make(map[string]time.Time),
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
	abs := wholeSecond(now.Add(j.cfg.Lifetime.AbsoluteMaxAge))
	rec := store.Session{
		IDHash: fh, UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role,
		CreatedAt: now, AbsExpires: abs, ClientAddr: dev.Addr, UserAgent: truncateUA(dev.UserAgent),
	}
	rec.Expires = minTime(wholeSecond(now.Add(j.cfg.Lifetime.MaxAge)), abs)
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
	idle := c.SessionExpires.Time
	j.mu.Lock()
	if p, ok := j.pending[c.SessionID]; ok && p.After(idle) {
		idle = p
	}
	j.mu.Unlock()
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
	next := minTime(wholeSecond(now.UTC().Add(j.cfg.Lifetime.MaxAge)), abs)
	if now.Sub(c.IssuedAt.Time) < j.cfg.Lifetime.UpdateAge || now.Before(c.IssuedAt.Time) {
		j.mu.Lock()
		if next.After(j.pending[c.SessionID]) {
			j.pending[c.SessionID] = next
		}
		j.mu.Unlock()
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
	rec, found, err := j.cfg.Store.Session(ctx, fh, now.Add(-j.cfg.Lifetime.UpdateAge))
	if err != nil {
		return Session{}, "", false, fmt.Errorf("%w: read session: %w", ErrUnavailable, err)
	}
	if !found || rec.UserID != c.Subject || !now.Before(rec.AbsExpires) {
		j.forget(c.SessionID, time.Time{})
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
	next := minTime(wholeSecond(now.Add(j.cfg.Lifetime.MaxAge)), rec.AbsExpires)
	touched, err := j.cfg.Store.TouchSession(ctx, rec.IDHash, next)
	if err != nil {
		return "", Session{}, false, fmt.Errorf("%w: extend session: %w", ErrUnavailable, err)
	}
	if !touched {
		j.forget(sid, time.Time{})
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
	_, found, err := j.cfg.Store.Session(ctx, rec.IDHash, now.Add(-j.cfg.Lifetime.UpdateAge))
	if err != nil {
		return "", Session{}, false, fmt.Errorf("%w: read session: %w", ErrUnavailable, err)
	}
	if revoked || !found {
		j.forget(sid, time.Time{})
		return "", Session{}, false, nil
	}
	j.forget(sid, next)
	s := fromRecord(rec, next) // with the record's ClientAddr
	s.AccessExpires = exp
	return access, s, true, nil
}

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
			slog.String("event", "refresh_token_reuse"), slog.String("user_id", rt.UserID),
			slog.Time("first_used", rt.UsedAt))
		return Issued{}, Session{}, ErrRefreshReused
	}
	// Look the session up as the database strategy's Load does: the stored
	// idle expiry lags the real one by less than UpdateAge.
	rec, found, err := j.cfg.Store.Session(ctx, rt.SessionHash, now.Add(-j.cfg.Lifetime.UpdateAge))
	if err != nil {
		return Issued{}, Session{}, fmt.Errorf("%w: read session: %w", ErrUnavailable, err)
	}
	sid := base64.RawURLEncoding.EncodeToString(rt.SessionHash)
	j.mu.Lock()
	if p, ok := j.pending[sid]; ok && p.After(rec.Expires) {
		rec.Expires = p
	}
	j.mu.Unlock()
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
	recs, err := j.cfg.Store.UserSessions(ctx, userID, now.Add(-j.cfg.Lifetime.UpdateAge))
	if err != nil {
		return fmt.Errorf("%w: list sessions: %w", ErrUnavailable, err)
	}
	until := now.Add(j.cfg.AccessMaxAge + j.cfg.Leeway)
	for i := range recs {
		sid := base64.RawURLEncoding.EncodeToString(recs[i].IDHash)
		if err := j.cfg.Store.Deny(ctx, sidDenyID(sid), until); err != nil {
			return fmt.Errorf("%w: deny session: %w", ErrUnavailable, err)
		}
		j.forget(sid, time.Time{})
	}
	if _, err := j.cfg.Store.DeleteUserSessions(ctx, userID); err != nil {
		return fmt.Errorf("%w: delete user sessions: %w", ErrUnavailable, err)
	}
	return nil
}

// Cleanup implements Cleaner.
func (j *JWT) Cleanup(ctx context.Context, now time.Time) (int, error) {
	j.mu.Lock()
	for k, t := range j.pending {
		if !now.Before(t) {
			delete(j.pending, k)
		}
	}
	j.mu.Unlock()
	n1, err := j.cfg.Store.DeleteExpiredDenials(ctx, now)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	n2, err := j.cfg.Store.DeleteExpiredRefreshTokens(ctx, now)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	n3, err := j.cfg.Store.DeleteExpiredSessions(ctx, now.Add(-j.cfg.Lifetime.UpdateAge))
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
	j.forget(sid, time.Time{})
	if err := j.cfg.Store.DeleteSession(ctx, fh); err != nil {
		return fmt.Errorf("%w: delete session: %w", ErrUnavailable, err)
	}
	if _, err := j.cfg.Store.DeleteFamily(ctx, fh); err != nil {
		return fmt.Errorf("%w: delete refresh tokens: %w", ErrUnavailable, err)
	}
	return nil
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

// forget drops the pending idle expiry of sid unless a concurrent read moved
// it past upTo (the zero upTo drops it in any case).
func (j *JWT) forget(sid string, upTo time.Time) {
	j.mu.Lock()
	if p, ok := j.pending[sid]; ok && (upTo.IsZero() || !p.After(upTo)) {
		delete(j.pending, sid)
	}
	j.mu.Unlock()
}

// successor derives the refresh token that replaces refresh.
func (j *JWT) successor(refresh string) string {
	m := hmac.New(sha256.New, j.cfg.RefreshKey)
	m.Write([]byte("sessionguard refresh successor:"))
	m.Write([]byte(refresh))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
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

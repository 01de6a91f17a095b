package session_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/session/keys"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/memory"
)

// jwtEnv is a jwt strategy on a store with a settable clock.
type jwtEnv struct {
	j     *session.JWT
	keys  *keys.Set
	st    jwtStore
	clock *clock
	dir   string
	logs  *bytes.Buffer
}

// jwtStore is what a jwt test needs of a store: the strategy's part and the
// keys.
type jwtStore interface {
	session.JWTStore
	store.Keys
}

// wallClockStore marks a store that expires records by its server's clock
// (Redis): a jwt env on it starts its clock at the wall clock's current
// second instead of the fixed start, so the records it writes are live.
type wallClockStore struct{ jwtStore }

// openJWTStore opens one of jwtStores (jwt_stores_test.go), closed when t
// ends.
func openJWTStore(t *testing.T, name string) jwtStore {
	t.Helper()
	if name == "memory" {
		return memory.New()
	}
	return openStoredJWTStore(t, name)
}

// forJWTStores runs fn once per store in jwtStores, as a subtest named for it.
func forJWTStores(t *testing.T, fn func(t *testing.T, st string)) {
	for _, name := range jwtStores {
		t.Run(name, func(t *testing.T) { fn(t, name) })
	}
}

// onWallClock reports whether st is, or wraps, a wallClockStore.
func onWallClock(st jwtStore) bool {
	for {
		switch s := st.(type) {
		case wallClockStore:
			return true
		case interface{ inner() jwtStore }:
			st = s.inner()
		default:
			return false
		}
	}
}

func newJWT(t *testing.T, l session.Lifetime, edit ...func(*session.JWTConfig)) *jwtEnv {
	t.Helper()
	return newJWTOn(t, memory.New(), l, edit...)
}

// newJWTOn is newJWT on the store st.
func newJWTOn(t *testing.T, st jwtStore, l session.Lifetime, edit ...func(*session.JWTConfig)) *jwtEnv {
	t.Helper()
	c := newClock()
	if onWallClock(st) {
		c.Set(time.Now().UTC().Truncate(time.Second))
	}
	dir := t.TempDir()
	ks, err := keys.Load(context.Background(), keys.Config{Dir: dir, Store: st, Retire: 10 * time.Minute, Now: c.Now})
	require.NoError(t, err)
	var logs bytes.Buffer
	cfg := session.JWTConfig{
		Keys: ks, Store: st, RefreshKey: []byte("0123456789abcdef0123456789abcdef"), Lifetime: l,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}
	for _, e := range edit {
		e(&cfg)
	}
	j, err := session.NewJWT(cfg)
	require.NoError(t, err)
	return &jwtEnv{j: j, keys: ks, st: st, clock: c, dir: dir, logs: &logs}
}

func (e *jwtEnv) issue(t *testing.T) session.Issued {
	t.Helper()
	issued, _, err := e.j.Issue(context.Background(), ada, session.Device{}, "aal1", e.clock.Now())
	require.NoError(t, err)
	return issued
}

func (e *jwtEnv) load(t *testing.T, token string) (session.Session, string, bool) {
	t.Helper()
	s, renewed, found, err := e.j.Load(context.Background(), token, e.clock.Now())
	require.NoError(t, err)
	return s, renewed, found
}

func TestJWTIssueAndLoad(t *testing.T) {
	e := newJWT(t, session.DefaultLifetime)
	issued := e.issue(t)
	assert.Less(t, len(issued.Token), 1024, "the cookie stays well under 4 KiB")
	assert.NotEmpty(t, issued.Refresh)

	s, renewed, found := e.load(t, issued.Token)
	require.True(t, found)
	assert.Empty(t, renewed)
	assert.Equal(t, ada, s.User)
	assert.Equal(t, e.clock.Now().Add(30*time.Minute), s.Expires)
	assert.Equal(t, e.clock.Now().Add(12*time.Hour), s.AbsExpires)

	// The token's header and claims are what RFC 8725 asks for.
	parts := strings.Split(issued.Token, ".")
	var hdr map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, json.Unmarshal(raw, &hdr))
	assert.Equal(t, "EdDSA", hdr["alg"])
	assert.Equal(t, "at+jwt", hdr["typ"])
	assert.NotEmpty(t, hdr["kid"])
	var claims map[string]any
	raw, _ = base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, json.Unmarshal(raw, &claims))
	for _, k := range []string{"sub", "iss", "aud", "iat", "exp", "jti", "auth_time", "sid", "sexp", "name", "email", "role"} {
		assert.Contains(t, claims, k)
	}
	assert.Equal(t, float64(e.clock.Now().Add(5*time.Minute).Unix()), claims["exp"], "short-lived access token")
}

func TestJWTRollingReissuesAtMostOncePerUpdateAge(t *testing.T) {
	e := newJWT(t, session.Lifetime{MaxAge: 30 * time.Minute, AbsoluteMaxAge: 12 * time.Hour, UpdateAge: time.Minute})
	issued := e.issue(t)
	e.clock.Add(30 * time.Second)
	s, renewed, found := e.load(t, issued.Token)
	require.True(t, found)
	assert.Empty(t, renewed, "within update-age: no new cookie")
	assert.Equal(t, e.clock.Now().Add(30*time.Minute), s.Expires, "but expires still rolls")

	e.clock.Add(31 * time.Second)
	s, renewed, found = e.load(t, issued.Token)
	require.True(t, found)
	require.NotEmpty(t, renewed, "past update-age: a new cookie with a later exp")
	s2, _, found := e.load(t, renewed)
	require.True(t, found)
	assert.Equal(t, s.Expires, s2.Expires)

	// Idle past max-age (the access token alone would have expired earlier).
	e.clock.Add(30 * time.Minute)
	_, _, found = e.load(t, renewed)
	assert.False(t, found)
}

func TestJWTIdleExpiryShorterThanAccessLifetime(t *testing.T) {
	e := newJWT(t, session.Lifetime{MaxAge: 10 * time.Second, AbsoluteMaxAge: time.Hour, UpdateAge: 0})
	issued := e.issue(t)
	e.clock.Add(9 * time.Second)
	_, renewed, found := e.load(t, issued.Token)
	require.True(t, found)
	e.clock.Add(9 * time.Second)
	_, _, found = e.load(t, renewed)
	require.True(t, found, "each read moved the idle expiry")
	e.clock.Add(10 * time.Second)
	_, _, found = e.load(t, renewed)
	assert.False(t, found, "idle for max-age, although the access token has minutes left")
}

func TestJWTAbsoluteCap(t *testing.T) {
	e := newJWT(t, session.Lifetime{MaxAge: 10 * time.Minute, AbsoluteMaxAge: 20 * time.Minute, UpdateAge: 0}, func(c *session.JWTConfig) {
		c.AccessMaxAge = 30 * time.Minute
	})
	tok := e.issue(t).Token
	for range 3 {
		e.clock.Add(6 * time.Minute)
		s, renewed, found := e.load(t, tok)
		if e.clock.Now().Sub(newClock().Now()) >= 20*time.Minute {
			assert.False(t, found)
			break
		}
		require.True(t, found)
		assert.False(t, s.Expires.After(s.AbsExpires))
		tok = renewed
	}
}

func TestJWTSignOutDeniesReplay(t *testing.T) {
	e := newJWT(t, session.DefaultLifetime)
	issued := e.issue(t)
	require.NoError(t, e.j.Revoke(context.Background(), issued.Token, e.clock.Now()))
	_, _, found := e.load(t, issued.Token)
	assert.False(t, found, "a copied cookie is dead after sign-out")
	_, _, err := e.j.Refresh(context.Background(), issued.Refresh, e.clock.Now())
	assert.ErrorIs(t, err, session.ErrRefreshInvalid, "and so is its refresh token")

	// Another access token of the same session (a re-issue) dies too.
	e2 := newJWT(t, session.Lifetime{MaxAge: 30 * time.Minute, AbsoluteMaxAge: time.Hour})
	first := e2.issue(t)
	e2.clock.Add(time.Second)
	_, second, found := e2.load(t, first.Token)
	require.True(t, found)
	require.NotEmpty(t, second)
	require.NoError(t, e2.j.Revoke(context.Background(), first.Token, e2.clock.Now()))
	_, _, found = e2.load(t, second)
	assert.False(t, found, "the whole session is denied, not only the token signed out with")
}

func TestJWTRevokeUser(t *testing.T) {
	e := newJWT(t, session.DefaultLifetime)
	a, b := e.issue(t), e.issue(t)
	e.clock.Add(300 * time.Millisecond)
	require.NoError(t, e.j.RevokeUser(context.Background(), ada.ID, e.clock.Now()))
	for _, tok := range []string{a.Token, b.Token} {
		_, _, found := e.load(t, tok)
		assert.False(t, found)
	}
	_, _, err := e.j.Refresh(context.Background(), a.Refresh, e.clock.Now())
	assert.ErrorIs(t, err, session.ErrRefreshInvalid)

	// A sign-in in the same second as the revocation is not caught by it.
	fresh := e.issue(t)
	_, _, found := e.load(t, fresh.Token)
	assert.True(t, found)
}

func TestJWTRefreshRotates(t *testing.T) {
	e := newJWT(t, session.DefaultLifetime)
	issued := e.issue(t)
	e.clock.Add(4 * time.Minute)
	next, s, err := e.j.Refresh(context.Background(), issued.Refresh, e.clock.Now())
	require.NoError(t, err)
	assert.NotEqual(t, issued.Refresh, next.Refresh)
	assert.NotEqual(t, issued.Token, next.Token)
	assert.Equal(t, e.clock.Now().Add(30*time.Minute), s.Expires)
	_, _, found := e.load(t, next.Token)
	assert.True(t, found)

	// Within the grace window a duplicate gets the same new refresh token.
	e.clock.Add(2 * time.Second)
	dup, _, err := e.j.Refresh(context.Background(), issued.Refresh, e.clock.Now())
	require.NoError(t, err)
	assert.Equal(t, next.Refresh, dup.Refresh)

	// The chain goes on.
	e.clock.Add(4 * time.Minute)
	third, _, err := e.j.Refresh(context.Background(), next.Refresh, e.clock.Now())
	require.NoError(t, err)
	_, _, found = e.load(t, third.Token)
	assert.True(t, found)
}

func TestJWTRefreshReuseEndsTheSession(t *testing.T) {
	e := newJWT(t, session.DefaultLifetime)
	issued := e.issue(t)
	next, _, err := e.j.Refresh(context.Background(), issued.Refresh, e.clock.Now())
	require.NoError(t, err)
	e.clock.Add(6 * time.Second) // past the grace window
	_, _, err = e.j.Refresh(context.Background(), issued.Refresh, e.clock.Now())
	assert.ErrorIs(t, err, session.ErrRefreshReused)
	assert.Contains(t, e.logs.String(), "event=refresh_token_reuse")
	_, _, err = e.j.Refresh(context.Background(), next.Refresh, e.clock.Now())
	assert.ErrorIs(t, err, session.ErrRefreshInvalid, "the thief's and the owner's tokens are all dead")
	_, _, found := e.load(t, next.Token)
	assert.False(t, found, "access tokens of the session are denied too")
}

func TestJWTConcurrentRefreshOneWinner(t *testing.T) {
	e := newJWT(t, session.DefaultLifetime)
	issued := e.issue(t)
	var wg sync.WaitGroup
	results := make([]session.Issued, 20)
	errs := make([]error, 20)
	for i := range results {
		wg.Go(func() {
			results[i], _, errs[i] = e.j.Refresh(context.Background(), issued.Refresh, e.clock.Now())
		})
	}
	wg.Wait()
	for i := range results {
		require.NoError(t, errs[i], "a double submit within grace is no theft")
		assert.Equal(t, results[0].Refresh, results[i].Refresh, "everyone gets the same successor")
	}
}

func TestJWTRefreshLimits(t *testing.T) {
	e := newJWT(t, session.Lifetime{MaxAge: 10 * time.Minute, AbsoluteMaxAge: 15 * time.Minute, UpdateAge: 0})
	issued := e.issue(t)
	e.clock.Add(11 * time.Minute)
	_, _, err := e.j.Refresh(context.Background(), issued.Refresh, e.clock.Now())
	assert.ErrorIs(t, err, session.ErrRefreshInvalid, "idle past max-age")

	issued = e.issue(t)
	for range 3 {
		e.clock.Add(5 * time.Minute)
		next, _, err := e.j.Refresh(context.Background(), issued.Refresh, e.clock.Now())
		if err != nil {
			assert.ErrorIs(t, err, session.ErrRefreshInvalid, "the family's absolute expiry")
			return
		}
		issued = next
	}
	t.Fatal("refresh went past the absolute expiry")
}

func TestJWTRefreshTokenIsNoSession(t *testing.T) {
	e := newJWT(t, session.DefaultLifetime)
	issued := e.issue(t)
	_, _, found := e.load(t, issued.Refresh)
	assert.False(t, found)
	_, _, err := e.j.Refresh(context.Background(), issued.Token, e.clock.Now())
	assert.ErrorIs(t, err, session.ErrRefreshInvalid, "nor is an access token a refresh token")
}

// hostile builds tokens a server must refuse.
func TestJWTRejectsHostileTokens(t *testing.T) {
	e := newJWT(t, session.DefaultLifetime)
	good := e.issue(t).Token
	now := e.clock.Now()
	priv := readKey(t, e.dir)
	pub := priv.Public().(ed25519.PublicKey)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	kid := keys.Thumbprint(pub)

	claims := func(edit func(*session.Claims)) *session.Claims {
		c := &session.Claims{
			RegisteredClaims: jwt.RegisteredClaims{
				Issuer: "sessionguard", Subject: ada.ID, Audience: jwt.ClaimStrings{"sessionguard"},
				ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: "jti-1",
			},
			AuthTime: jwt.NewNumericDate(now), SessionID: base64.RawURLEncoding.EncodeToString(make([]byte, 32)),
			SessionExpires: jwt.NewNumericDate(now.Add(time.Minute)), Name: "Ada", Email: ada.Email, Role: "admin",
		}
		if edit != nil {
			edit(c)
		}
		return c
	}
	sign := func(m jwt.SigningMethod, key any, c *session.Claims, hdr map[string]any) string {
		tok := jwt.NewWithClaims(m, c)
		tok.Header["kid"] = kid
		tok.Header["typ"] = "at+jwt"
		for k, v := range hdr {
			if v == nil {
				delete(tok.Header, k)
			} else {
				tok.Header[k] = v
			}
		}
		s, err := tok.SignedString(key)
		require.NoError(t, err)
		return s
	}
	// A well-formed forgery with the real key is accepted: the cases below
	// fail for their one defect only.
	control := sign(jwt.SigningMethodEdDSA, priv, claims(nil), nil)
	_, _, found := e.load(t, control)
	require.True(t, found, "control token")

	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"u1","role":"admin"}`)) + "." + parts[2]
	otherPub, otherPriv, _ := ed25519.GenerateKey(nil)
	_ = otherPub

	tests := []struct{ name, token string }{
		{"alg none", none},
		{"HS256 signed with the public key", sign(jwt.SigningMethodHS256, pubDER, claims(nil), map[string]any{"alg": "HS256"})},
		{"HS256 signed with the raw public key", sign(jwt.SigningMethodHS256, []byte(pub), claims(nil), nil)},
		{"missing exp", sign(jwt.SigningMethodEdDSA, priv, claims(func(c *session.Claims) { c.ExpiresAt = nil }), nil)},
		{"zero exp", sign(jwt.SigningMethodEdDSA, priv, claims(func(c *session.Claims) { c.ExpiresAt = jwt.NewNumericDate(time.Unix(0, 0)) }), nil)},
		{"expired beyond leeway", sign(jwt.SigningMethodEdDSA, priv, claims(func(c *session.Claims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-10 * time.Second)) }), nil)},
		{"future nbf", sign(jwt.SigningMethodEdDSA, priv, claims(func(c *session.Claims) { c.NotBefore = jwt.NewNumericDate(now.Add(time.Minute)) }), nil)},
		{"future iat", sign(jwt.SigningMethodEdDSA, priv, claims(func(c *session.Claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Minute)) }), nil)},
		{"wrong iss", sign(jwt.SigningMethodEdDSA, priv, claims(func(c *session.Claims) { c.Issuer = "evil" }), nil)},
		{"wrong aud", sign(jwt.SigningMethodEdDSA, priv, claims(func(c *session.Claims) { c.Audience = jwt.ClaimStrings{"other-app"} }), nil)},
		{"no sid", sign(jwt.SigningMethodEdDSA, priv, claims(func(c *session.Claims) { c.SessionID = "" }), nil)},
		{"no sexp", sign(jwt.SigningMethodEdDSA, priv, claims(func(c *session.Claims) { c.SessionExpires = nil }), nil)},
		{"unknown kid", sign(jwt.SigningMethodEdDSA, priv, claims(nil), map[string]any{"kid": "nope"})},
		{"no kid", sign(jwt.SigningMethodEdDSA, priv, claims(nil), map[string]any{"kid": nil})},
		{"hostile kid", sign(jwt.SigningMethodEdDSA, priv, claims(nil), map[string]any{"kid": "../../../etc/passwd"})},
		{"kid of a number", sign(jwt.SigningMethodEdDSA, priv, claims(nil), map[string]any{"kid": 42})},
		{"jwk header with attacker key", sign(jwt.SigningMethodEdDSA, otherPriv, claims(nil), map[string]any{"jwk": map[string]any{"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(otherPub)}})},
		{"jku header", sign(jwt.SigningMethodEdDSA, otherPriv, claims(nil), map[string]any{"jku": "https://evil.example/jwks.json"})},
		{"signed by another key", sign(jwt.SigningMethodEdDSA, otherPriv, claims(nil), nil)},
		{"no typ", sign(jwt.SigningMethodEdDSA, priv, claims(nil), map[string]any{"typ": nil})},
		{"other typ", sign(jwt.SigningMethodEdDSA, priv, claims(nil), map[string]any{"typ": "JWT"})},
		{"tampered payload", tampered},
		{"crit header", sign(jwt.SigningMethodEdDSA, priv, claims(nil), map[string]any{"crit": []string{"exp"}})},
		{"crit header naming an extension", sign(jwt.SigningMethodEdDSA, priv, claims(nil), map[string]any{"crit": []string{"urn:example:x"}, "urn:example:x": true})},
		{"non-canonical base64", nonCanonical(t, control)},
		// Within the session's absolute cap, but longer-lived than any
		// access token (5 min, plus the 5 s leeway).
		{"lives longer than an access token", sign(jwt.SigningMethodEdDSA, priv, claims(func(c *session.Claims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(time.Hour)) }), nil)},
		{"lives a second past the access max age", sign(jwt.SigningMethodEdDSA, priv, claims(func(c *session.Claims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(5*time.Minute + 6*time.Second)) }), nil)},
		{"lives a day", sign(jwt.SigningMethodEdDSA, priv, claims(func(c *session.Claims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(24 * time.Hour)) }), nil)},
		{"exp past the absolute cap", sign(jwt.SigningMethodEdDSA, priv, claims(func(c *session.Claims) { c.AuthTime = jwt.NewNumericDate(now.Add(-12*time.Hour + 10*time.Second)) }), nil)},
		{"empty", ""},
		{"dots", strings.Repeat(".", 1<<20)},
		{"garbage", "a.b.c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, found, err := e.j.Load(context.Background(), tt.token, now)
			assert.NoError(t, err)
			assert.False(t, found)
		})
	}
}

func TestJWTHugeTokenAllocatesLittle(t *testing.T) {
	e := newJWT(t, session.DefaultLifetime)
	dots := strings.Repeat(".", 1<<20)
	allocs := testing.AllocsPerRun(20, func() {
		_, _, _, _ = e.j.Load(context.Background(), dots, e.clock.Now())
	})
	assert.LessOrEqual(t, allocs, 2.0, "refused before any parsing")
}

// readKey returns the key the key set in dir signs with: the newest key
// file's.
func readKey(t *testing.T, dir string) ed25519.PrivateKey {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "ed25519-*.pem"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	slices.Sort(files) // the names sort by age
	b, err := os.ReadFile(files[len(files)-1])
	require.NoError(t, err)
	block, _ := pem.Decode(b)
	require.NotNil(t, block)
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	require.NoError(t, err)
	return key.(ed25519.PrivateKey)
}

func kidOf(t *testing.T, token string) string {
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	require.NoError(t, err)
	var h struct{ Kid string }
	require.NoError(t, json.Unmarshal(raw, &h))
	return h.Kid
}

func TestJWTHS256(t *testing.T) {
	dir := t.TempDir()
	ks, err := keys.Load(context.Background(), keys.Config{Algorithm: keys.AlgHS256, Dir: dir})
	require.NoError(t, err)
	st := memory.New()
	j, err := session.NewJWT(session.JWTConfig{Keys: ks, Store: st, RefreshKey: []byte("0123456789abcdef"), Lifetime: session.DefaultLifetime})
	require.NoError(t, err)
	issued, _, err := j.Issue(context.Background(), ada, session.Device{}, "aal1", time.Now())
	require.NoError(t, err)
	_, _, found, err := j.Load(context.Background(), issued.Token, time.Now())
	require.NoError(t, err)
	assert.True(t, found)

	// An EdDSA strategy refuses HS256 tokens and the other way round.
	e := newJWT(t, session.DefaultLifetime)
	_, _, found = e.load(t, issued.Token)
	assert.False(t, found)
	_, _, found, err = j.Load(context.Background(), e.issue(t).Token, time.Now())
	assert.NoError(t, err)
	assert.False(t, found)
}

func TestJWTStoreFailureFailsClosed(t *testing.T) {
	e := newJWT(t, session.DefaultLifetime)
	issued := e.issue(t)
	broken := &failingRevocations{JWTStore: e.st}
	j, err := session.NewJWT(session.JWTConfig{Keys: e.keys, Store: broken, RefreshKey: []byte("0123456789abcdef0123456789abcdef"), Lifetime: session.DefaultLifetime})
	require.NoError(t, err)
	_, _, found, err := j.Load(context.Background(), issued.Token, e.clock.Now())
	assert.ErrorIs(t, err, session.ErrUnavailable, "if the deny list cannot be read, fail closed")
	assert.False(t, found)
}

type failingRevocations struct{ session.JWTStore }

func (failingRevocations) Revoked(context.Context, string, time.Time, time.Time, ...string) (bool, error) {
	return false, errDown
}

var _ store.Revocations = failingRevocations{}

// BenchmarkJWTIssue is the cost of a sign-in under jwt: the session record,
// the refresh token and one Ed25519-signed access token (memory store).
func BenchmarkJWTIssue(b *testing.B) {
	e := newJWTBench(b)
	for b.Loop() {
		if _, _, err := e.j.Issue(context.Background(), ada, session.Device{}, "aal1", e.clock.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJWTVerify is the cost of a first read of a token: parsing and
// Ed25519 verification, without the verified-token cache.
func BenchmarkJWTVerify(b *testing.B) {
	e := newJWTBench(b)
	tokens := make([]string, 2000)
	for i := range tokens {
		issued, _, err := e.j.Issue(context.Background(), ada, session.Device{}, "aal1", e.clock.Now())
		require.NoError(b, err)
		tokens[i] = issued.Token
	}
	i := 0
	for b.Loop() {
		e.j.ForgetVerifiedForTest()
		if _, _, found, err := e.j.Load(context.Background(), tokens[i%len(tokens)], e.clock.Now()); err != nil || !found {
			b.Fatal("token refused", err)
		}
		i++
	}
}

// BenchmarkJWTLoadCached is a repeated read of one token: the signature is
// known good, the time and revocation checks run.
func BenchmarkJWTLoadCached(b *testing.B) {
	e := newJWTBench(b)
	issued, _, err := e.j.Issue(context.Background(), ada, session.Device{}, "aal1", e.clock.Now())
	require.NoError(b, err)
	for b.Loop() {
		if _, _, found, err := e.j.Load(context.Background(), issued.Token, e.clock.Now()); err != nil || !found {
			b.Fatal("token refused", err)
		}
	}
}

func newJWTBench(b *testing.B) *jwtEnv {
	c := newClock()
	st := memory.New()
	ks, err := keys.Load(context.Background(), keys.Config{Dir: b.TempDir(), Store: st, Retire: time.Hour, Now: c.Now})
	require.NoError(b, err)
	j, err := session.NewJWT(session.JWTConfig{Keys: ks, Store: st, RefreshKey: []byte("0123456789abcdef0123456789abcdef"), Lifetime: session.DefaultLifetime})
	require.NoError(b, err)
	return &jwtEnv{j: j, keys: ks, st: st, clock: c}
}

func TestJWTTwoRevocationsInOneSecond(t *testing.T) {
	e := newJWT(t, session.DefaultLifetime)
	require.NoError(t, e.j.RevokeUser(context.Background(), ada.ID, e.clock.Now()))
	between := e.issue(t) // signed in again within the same second
	_, _, found := e.load(t, between.Token)
	require.True(t, found)
	require.NoError(t, e.j.RevokeUser(context.Background(), ada.ID, e.clock.Now()))
	_, _, found = e.load(t, between.Token)
	assert.False(t, found, "the second revocation ends the session made between the two")
	after := e.issue(t)
	_, _, found = e.load(t, after.Token)
	assert.True(t, found, "and a sign-in after it works")
}

// refreshFailingStore refuses to store refresh tokens.
type refreshFailingStore struct{ jwtStore }

func (refreshFailingStore) CreateRefreshToken(context.Context, store.RefreshToken) error {
	return errors.New("disk full")
}

// TestIssueLeavesNoHalfSession: when the refresh token cannot be stored
// after the session's record was written, Issue fails and removes the
// record, so no session without tokens shows in the user's devices.
func TestIssueLeavesNoHalfSession(t *testing.T) {
	forJWTStores(t, func(t *testing.T, name string) {
		st := openJWTStore(t, name)
		e := newJWTOn(t, refreshFailingStore{st}, session.DefaultLifetime)
		_, _, err := e.j.Issue(context.Background(), ada, session.Device{}, "aal1", e.clock.Now())
		require.ErrorIs(t, err, session.ErrUnavailable)
		list, err := st.UserSessions(context.Background(), ada.ID, e.clock.Now())
		require.NoError(t, err)
		assert.Empty(t, list, "the half-issued session's record is gone")
	})
}

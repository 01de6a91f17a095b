package session_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testgate"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/session/keys"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

// pausingStore wraps a jwt store: the first call of the armed step stops
// at its gate. The steps are "touch" (before TouchSession runs) and
// "touched" (after it returned).
type pausingStore struct {
	jwtStore
	testgate.Gate
}

func newPausingStore(st jwtStore) *pausingStore { return &pausingStore{jwtStore: st} }

func (p *pausingStore) inner() jwtStore { return p.jwtStore }

func (p *pausingStore) TouchSession(ctx context.Context, h []byte, expires time.Time) (bool, error) {
	p.At("touch")
	found, err := p.jwtStore.TouchSession(ctx, h, expires)
	p.At("touched")
	return found, err
}

// staleReads answers Session reads of the record stale from a copy taken
// before it was deleted.
type staleReads struct {
	jwtStore
	stale store.Session
}

func (s *staleReads) inner() jwtStore { return s.jwtStore }

func (s *staleReads) Session(ctx context.Context, h []byte, now time.Time) (store.Session, bool, error) {
	rec, found, err := s.jwtStore.Session(ctx, h, now)
	if err == nil && !found && s.stale.IDHash != nil && string(h) == string(s.stale.IDHash) {
		return s.stale, true, nil
	}
	return rec, found, err
}

// revocation is one way a session ends while a renewal of it is under way.
type revocation struct {
	name   string
	revoke func(t *testing.T, e *jwtEnv, m *session.Manager, issued session.Issued, key []byte)
}

var revocations = []revocation{
	{"end sessions", func(t *testing.T, e *jwtEnv, m *session.Manager, _ session.Issued, _ []byte) {
		require.NoError(t, m.RevokeUser(context.Background(), ada.ID))
	}},
	{"role change", func(t *testing.T, e *jwtEnv, m *session.Manager, _ session.Issued, _ []byte) {
		require.NoError(t, m.RoleChanged(context.Background(), ada.ID))
	}},
	{"sign out", func(t *testing.T, e *jwtEnv, _ *session.Manager, issued session.Issued, _ []byte) {
		require.NoError(t, e.j.Revoke(context.Background(), issued.Token, e.clock.Now()))
	}},
	{"end one device", func(t *testing.T, e *jwtEnv, _ *session.Manager, _ session.Issued, key []byte) {
		require.NoError(t, e.j.RevokeKey(context.Background(), key, e.clock.Now()))
	}},
}

// TestJWTRenewalNeverOutlivesARevocation pauses a renewal (a rolling
// re-issue in Load, or a refresh) between its steps, runs a revocation to
// completion, and resumes it: whatever the renewal returns must be dead.
func TestJWTRenewalNeverOutlivesARevocation(t *testing.T) {
	l := session.Lifetime{MaxAge: 30 * time.Minute, AbsoluteMaxAge: 12 * time.Hour, UpdateAge: time.Minute}
	forJWTStores(t, func(t *testing.T, stName string) {
		for _, path := range []string{"load", "refresh"} {
			for _, step := range []string{"touch", "touched"} {
				for _, rv := range revocations {
					t.Run(path+"/paused at "+step+"/"+rv.name, func(t *testing.T) {
						ps := newPausingStore(openJWTStore(t, stName))
						e := newJWTOn(t, ps, l)
						m := session.New(e.j, session.WithClock(e.clock.Now))
						e.clock.Add(300 * time.Millisecond)
						issued, s, err := e.j.Issue(context.Background(), ada, session.Device{}, "aal1", e.clock.Now())
						require.NoError(t, err)
						// Past the update age, in the same second as the
						// revocation below: a renewal is due.
						e.clock.Add(2 * time.Minute)

						type result struct {
							token string
							err   error
						}
						done := make(chan result, 1)
						ps.Arm(step)
						go func() {
							if path == "load" {
								_, renewed, found, err := e.j.Load(context.Background(), issued.Token, e.clock.Now())
								if found && renewed == "" {
									renewed = issued.Token
								}
								done <- result{renewed, err}
								return
							}
							next, _, err := e.j.Refresh(context.Background(), issued.Refresh, e.clock.Now())
							done <- result{next.Token, err}
						}()
						select {
						case <-ps.Reached():
						case r := <-done:
							t.Fatalf("the renewal ended without reaching %s: %+v", step, r)
						}
						e.clock.Add(100 * time.Millisecond)
						rv.revoke(t, e, m, issued, s.Key)
						ps.Resume()
						r := <-done

						if path == "load" {
							require.NoError(t, r.err)
							assert.Empty(t, r.token, "a read that finished after the revocation got a session")
						} else {
							assert.ErrorIs(t, r.err, session.ErrRefreshInvalid)
						}
						for _, tok := range []string{r.token, issued.Token} {
							if tok == "" {
								continue
							}
							_, _, found := e.load(t, tok)
							assert.False(t, found, "a token of the renewal outlived the revocation")
						}
						_, _, err = e.j.Refresh(context.Background(), issued.Refresh, e.clock.Now())
						assert.Error(t, err, "the refresh token outlived the revocation")
					})
				}
			}
		}
	})
}

// TestJWTRenewalNeedsTheRecord: a session whose record is gone is never
// renewed, and a renewal carries the record's claims, not the old token's.
func TestJWTRenewalNeedsTheRecord(t *testing.T) {
	l := session.Lifetime{MaxAge: 30 * time.Minute, AbsoluteMaxAge: 12 * time.Hour, UpdateAge: time.Minute}
	forJWTStores(t, func(t *testing.T, stName string) {
		t.Run("record gone", func(t *testing.T) {
			e := newJWTOn(t, openJWTStore(t, stName), l)
			issued, s, err := e.j.Issue(context.Background(), ada, session.Device{}, "aal1", e.clock.Now())
			require.NoError(t, err)
			require.NoError(t, e.st.DeleteSession(context.Background(), s.Key))
			e.clock.Add(2 * time.Minute)
			_, renewed, found := e.load(t, issued.Token)
			assert.False(t, found, "a session without its record was read")
			assert.Empty(t, renewed, "a token was issued for a session without its record")
		})
		t.Run("record gone, reads stale", func(t *testing.T) {
			// A read served from a stale copy still finds the record; the
			// write that extends it does not.
			st := &staleReads{jwtStore: openJWTStore(t, stName)}
			e := newJWTOn(t, st, l)
			issued, s, err := e.j.Issue(context.Background(), ada, session.Device{}, "aal1", e.clock.Now())
			require.NoError(t, err)
			rec, found, err := e.st.Session(context.Background(), s.Key, e.clock.Now())
			require.NoError(t, err)
			require.True(t, found)
			st.stale = rec
			require.NoError(t, st.jwtStore.DeleteSession(context.Background(), s.Key))
			e.clock.Add(2 * time.Minute)
			_, renewed, found := e.load(t, issued.Token)
			assert.False(t, found, "a session without its record was read")
			assert.Empty(t, renewed, "a token was issued for a session without its record")
		})
		t.Run("record changed", func(t *testing.T) {
			e := newJWTOn(t, openJWTStore(t, stName), l)
			admin := wire.User{ID: ada.ID, Email: ada.Email, Name: ada.Name, Role: "admin"}
			issued, s, err := e.j.Issue(context.Background(), admin, session.Device{}, "aal1", e.clock.Now())
			require.NoError(t, err)
			rec, found, err := e.st.Session(context.Background(), s.Key, e.clock.Now())
			require.NoError(t, err)
			require.True(t, found)
			require.NoError(t, e.st.DeleteSession(context.Background(), s.Key))
			rec.Role, rec.Name = "user", "Ada L."
			require.NoError(t, e.st.CreateSession(context.Background(), rec))

			e.clock.Add(2 * time.Minute)
			got, renewed, found := e.load(t, issued.Token)
			require.True(t, found)
			require.NotEmpty(t, renewed)
			assert.Equal(t, "user", got.User.Role, "the renewal kept the old token's role")
			assert.Equal(t, "Ada L.", got.User.Name)
			got, _, found = e.load(t, renewed)
			require.True(t, found)
			assert.Equal(t, "user", got.User.Role, "the renewed token carries the old token's role")
		})
	})
}

// TestJWTRevocationsDoNotStack: many revocations in a row never move the
// valid-after time past now, so a sign-in right after them works and keeps
// working.
func TestJWTRevocationsDoNotStack(t *testing.T) {
	forJWTStores(t, func(t *testing.T, stName string) {
		e := newJWTOn(t, openJWTStore(t, stName), session.DefaultLifetime)
		e.clock.Add(200 * time.Millisecond)
		for range 15 {
			require.NoError(t, e.j.RevokeUser(context.Background(), ada.ID, e.clock.Now()))
			e.clock.Add(10 * time.Millisecond)
		}
		after, err := e.st.UserValidAfter(context.Background(), ada.ID)
		require.NoError(t, err)
		assert.False(t, after.After(e.clock.Now()), "valid-after %v is ahead of now %v", after, e.clock.Now())

		fresh := e.issue(t)
		for range 3 {
			_, _, found := e.load(t, fresh.Token)
			require.True(t, found, "a sign-in after the revocations")
			e.clock.Add(2 * time.Second)
		}
		_, _, err = e.j.Refresh(context.Background(), fresh.Refresh, e.clock.Now())
		assert.NoError(t, err)
	})
}

// TestJWTRevokeUserEndsTokensOfTheSameSecond: tokens issued earlier in the
// second of a sign-out-everywhere die with it, a sign-in after it in that
// same second lives.
func TestJWTRevokeUserEndsTokensOfTheSameSecond(t *testing.T) {
	forJWTStores(t, func(t *testing.T, stName string) {
		// Reads within the update age: no renewal, the deny list alone
		// decides.
		e := newJWTOn(t, openJWTStore(t, stName), session.Lifetime{MaxAge: 30 * time.Minute, AbsoluteMaxAge: time.Hour, UpdateAge: time.Minute})
		e.clock.Add(100 * time.Millisecond)
		first := e.issue(t)
		e.clock.Add(time.Minute + 100*time.Millisecond)
		_, renewed, found := e.load(t, first.Token)
		require.True(t, found)
		require.NotEmpty(t, renewed)
		second := e.issue(t) // another device, same second
		e.clock.Add(100 * time.Millisecond)
		require.NoError(t, e.j.RevokeUser(context.Background(), ada.ID, e.clock.Now()))
		for _, tok := range []string{first.Token, renewed, second.Token} {
			_, _, found = e.load(t, tok)
			assert.False(t, found, "a token issued before the revocation, in its second")
		}
		e.clock.Add(100 * time.Millisecond)
		fresh := e.issue(t)
		_, _, found = e.load(t, fresh.Token)
		assert.True(t, found, "a sign-in after the revocation, in its second")
	})
}

// TestJWTSignOutWithAnExpiredToken: signing out with an access token that
// has expired but is genuine still ends its refresh family; a forged one
// ends nothing.
func TestJWTSignOutWithAnExpiredToken(t *testing.T) {
	forJWTStores(t, func(t *testing.T, stName string) {
		e := newJWTOn(t, openJWTStore(t, stName), session.DefaultLifetime)
		issued := e.issue(t)
		other := e.issue(t)
		e.clock.Add(6 * time.Minute) // the 5-minute access tokens expired
		_, _, found := e.load(t, issued.Token)
		require.False(t, found)

		forged := forge(t, e, otherKey(t), kidOf(t, other.Token), other.Token, e.clock.Now().Add(-6*time.Minute))
		require.NoError(t, e.j.Revoke(context.Background(), forged, e.clock.Now()))
		_, _, err := e.j.Refresh(context.Background(), other.Refresh, e.clock.Now())
		assert.NoError(t, err, "a forged token ended a session")

		require.NoError(t, e.j.Revoke(context.Background(), issued.Token, e.clock.Now()))
		_, _, err = e.j.Refresh(context.Background(), issued.Refresh, e.clock.Now())
		assert.ErrorIs(t, err, session.ErrRefreshInvalid, "the refresh family outlived the sign-out")
	})
}

// TestJWTCleanupKeepsLiveDenials: the cleanup loop removes only deny
// entries that have passed.
func TestJWTCleanupKeepsLiveDenials(t *testing.T) {
	revokes := []struct {
		name   string
		revoke func(e *jwtEnv, issued session.Issued) error
	}{
		{"sign out", func(e *jwtEnv, issued session.Issued) error {
			return e.j.Revoke(context.Background(), issued.Token, e.clock.Now())
		}},
		{"end sessions in the second of the sign-in", func(e *jwtEnv, _ session.Issued) error {
			return e.j.RevokeUser(context.Background(), ada.ID, e.clock.Now())
		}},
	}
	forJWTStores(t, func(t *testing.T, stName string) {
		for _, rv := range revokes {
			t.Run(rv.name, func(t *testing.T) {
				e := newJWTOn(t, openJWTStore(t, stName), session.DefaultLifetime)
				e.clock.Add(100 * time.Millisecond)
				issued := e.issue(t)
				e.clock.Add(100 * time.Millisecond)
				require.NoError(t, rv.revoke(e, issued))
				e.clock.Add(30 * time.Second) // within the update age: the deny list alone decides
				_, err := e.j.Cleanup(context.Background(), e.clock.Now())
				require.NoError(t, err)
				_, _, found := e.load(t, issued.Token)
				assert.False(t, found, "the cleanup dropped a live deny entry")
			})
		}
	})
}

// otherKey is a key no server trusts.
func otherKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	return k
}

// forge signs the claims of the genuine token like with key under kid,
// issued at iat (exp 5 minutes later).
func forge(t *testing.T, e *jwtEnv, key any, kid, like string, iat time.Time) string {
	t.Helper()
	c := claimsOf(t, like)
	c.IssuedAt = jwt.NewNumericDate(iat)
	c.ExpiresAt = jwt.NewNumericDate(iat.Add(5 * time.Minute))
	return signClaims(t, jwt.SigningMethodEdDSA, key, kid, c)
}

func claimsOf(t *testing.T, token string) *session.Claims {
	t.Helper()
	c := &session.Claims{}
	_, _, err := jwt.NewParser().ParseUnverified(token, c)
	require.NoError(t, err)
	return c
}

func signClaims(t *testing.T, m jwt.SigningMethod, key any, kid string, c *session.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	tok.Header["kid"] = kid
	tok.Header["typ"] = session.AccessTokenType
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// TestJWTRetiredKeyNeverVerifies: a token signed with a key past its
// retire time is refused, cached or not, with or without a reload since.
func TestJWTRetiredKeyNeverVerifies(t *testing.T) {
	for _, reload := range []bool{true, false} {
		name := "without a reload after the retire time"
		if reload {
			name = "after a reload"
		}
		t.Run(name, func(t *testing.T) {
			// Tokens that outlive the retire window isolate the key check.
			e := newJWT(t, session.DefaultLifetime, func(c *session.JWTConfig) { c.AccessMaxAge = time.Hour })
			issued := e.issue(t)
			_, _, found := e.load(t, issued.Token) // now in the verified-token cache
			require.True(t, found)
			e.clock.Add(time.Minute)
			_, err := keys.Rotate(e.dir, e.clock.Now(), 0)
			require.NoError(t, err)
			require.NoError(t, e.keys.Reload(context.Background()))
			_, _, found = e.load(t, issued.Token)
			require.True(t, found, "within the retire time")

			e.clock.Add(11 * time.Minute) // retire is 10 minutes
			if reload {
				require.NoError(t, e.keys.Reload(context.Background()))
			}
			_, _, found = e.load(t, issued.Token)
			assert.False(t, found, "a cached token of a retired key loaded")
			assert.NotContains(t, string(e.keys.JWKS()), kidOf(t, issued.Token))
		})
	}
}

// TestJWTKeyRotatedWhileStopped: a key rotated out while the server was
// down, started again after the retire time, neither verifies nor shows in
// the JWKS, though the store still announces it from the last run.
func TestJWTKeyRotatedWhileStopped(t *testing.T) {
	forJWTStores(t, func(t *testing.T, stName string) {
		st := openJWTStore(t, stName)
		e := newJWTOn(t, st, session.DefaultLifetime)
		oldKey := readKey(t, e.dir)
		genuine := e.issue(t)
		oldKID := kidOf(t, genuine.Token)

		// Stopped; rotated a minute later; started 20 minutes after that.
		e.clock.Add(time.Minute)
		_, err := keys.Rotate(e.dir, e.clock.Now(), 0)
		require.NoError(t, err)
		e.clock.Add(20 * time.Minute)
		ks, err := keys.Load(context.Background(), keys.Config{Dir: e.dir, Store: st, Retire: 10 * time.Minute, Now: e.clock.Now})
		require.NoError(t, err)
		assert.NotContains(t, string(ks.JWKS()), oldKID, "the JWKS lists a retired key")
		j, err := session.NewJWT(session.JWTConfig{Keys: ks, Store: st, RefreshKey: []byte("0123456789abcdef0123456789abcdef"), Lifetime: session.DefaultLifetime})
		require.NoError(t, err)

		fresh, _, err := j.Issue(context.Background(), ada, session.Device{}, "aal1", e.clock.Now())
		require.NoError(t, err)
		forged := forge(t, e, oldKey, oldKID, fresh.Token, e.clock.Now())
		_, _, found, err := j.Load(context.Background(), forged, e.clock.Now())
		require.NoError(t, err)
		assert.False(t, found, "a token signed with the retired key loaded")

		// An instance that has not reloaded since announces it again: this
		// instance's own key is never taken from the store.
		der, err := x509.MarshalPKIXPublicKey(oldKey.Public())
		require.NoError(t, err)
		require.NoError(t, st.PublishKey(context.Background(), store.PublicKey{
			ID: oldKID, Algorithm: keys.AlgEdDSA, Key: der, CreatedAt: e.clock.Now().Add(-time.Hour), ExpiresAt: e.clock.Now().Add(time.Hour),
		}))
		e.clock.Add(11 * time.Second) // the unknown kid may be looked up again
		forged = forge(t, e, oldKey, oldKID, fresh.Token, e.clock.Now())
		_, _, found, err = j.Load(context.Background(), forged, e.clock.Now())
		require.NoError(t, err)
		assert.False(t, found, "a token signed with the retired key loaded once the store announced it")
		assert.NotContains(t, string(ks.JWKS()), oldKID)
		require.NoError(t, ks.Reload(context.Background()))

		// Another instance sharing the store does not take it for a peer's.
		peer, err := keys.Load(context.Background(), keys.Config{Dir: t.TempDir(), Store: st, Retire: 10 * time.Minute, Now: e.clock.Now})
		require.NoError(t, err)
		assert.NotContains(t, string(peer.JWKS()), oldKID, "a peer imports the retired key")
	})
}

// TestJWTValidMethodsPinned: only the configured algorithm verifies, even
// one the key would fit (an HS256 secret signs HS384 and HS512 as well).
func TestJWTValidMethodsPinned(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	ks, err := keys.Load(context.Background(), keys.Config{Algorithm: keys.AlgHS256, Dir: dir, Now: c.Now})
	require.NoError(t, err)
	j, err := session.NewJWT(session.JWTConfig{Keys: ks, Store: openJWTStore(t, "memory"), RefreshKey: []byte("0123456789abcdef"), Lifetime: session.DefaultLifetime})
	require.NoError(t, err)
	issued, _, err := j.Issue(context.Background(), ada, session.Device{}, "aal1", c.Now())
	require.NoError(t, err)
	secret, err := os.ReadFile(filepath.Join(dir, "hs256.key"))
	require.NoError(t, err)
	secret = bytes.TrimSpace(secret)
	kid := kidOf(t, issued.Token)

	tests := []struct {
		name   string
		method jwt.SigningMethod
		found  bool
	}{
		{"HS256, the configured one", jwt.SigningMethodHS256, true},
		{"HS384 with the same secret", jwt.SigningMethodHS384, false},
		{"HS512 with the same secret", jwt.SigningMethodHS512, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := claimsOf(t, issued.Token)
			c.ID = tt.name // a token of its own
			tok := signClaims(t, tt.method, secret, kid, c)
			_, _, found, err := j.Load(context.Background(), tok, c.IssuedAt.Time)
			require.NoError(t, err)
			assert.Equal(t, tt.found, found)
		})
	}
}

// nonCanonical changes the unused low bits of the token's last base64url
// character: the same signature bytes, another string.
func nonCanonical(t *testing.T, token string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, token[len(token)-1])
	require.GreaterOrEqual(t, i, 0)
	other := token[:len(token)-1] + string(alphabet[i^1])
	sig := strings.Split(other, ".")[2]
	a, err1 := base64.RawURLEncoding.DecodeString(sig)
	b, err2 := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[2])
	require.NoError(t, err1)
	require.NoError(t, err2)
	require.Equal(t, b, a, "the same signature bytes")
	return other
}

var _ store.Sessions = (*pausingStore)(nil)

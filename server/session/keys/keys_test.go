package keys_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/session/keys"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/memory"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// sign signs a token with ks, issued at now and valid for an hour.
func sign(t *testing.T, ks *keys.Set, now time.Time) string {
	t.Helper()
	s, err := ks.Sign(jwt.RegisteredClaims{
		Subject: "u1", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
	})
	require.NoError(t, err)
	return s
}

// verify checks token's signature with ks at now, the parser pinned to the
// set's algorithm as the jwt strategy pins it.
func verify(ks *keys.Set, token string, now time.Time) error {
	p := jwt.NewParser(jwt.WithValidMethods([]string{ks.Algorithm()}), jwt.WithTimeFunc(func() time.Time { return now }))
	_, err := p.Parse(token, ks.Keyfunc(context.Background()))
	return err
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	require.NoError(t, err)
	var h struct{ Kid, Typ string }
	require.NoError(t, json.Unmarshal(raw, &h))
	assert.Equal(t, keys.AccessTokenType, h.Typ, "every token the set signs is an access token")
	return h.Kid
}

func TestRotate(t *testing.T) {
	c := newClock()
	dir := filepath.Join(t.TempDir(), "keys")
	ks, err := keys.Load(context.Background(), keys.Config{Dir: dir, Store: memory.New(), Retire: 10 * time.Minute, Now: c.Now})
	require.NoError(t, err)
	old := sign(t, ks, c.Now())
	oldKID := kidOf(t, old)

	c.Add(time.Minute)
	newKID, err := keys.Rotate(dir, c.Now(), 0)
	require.NoError(t, err)
	require.NoError(t, ks.Reload(context.Background()))
	fresh := sign(t, ks, c.Now())
	assert.Equal(t, newKID, kidOf(t, fresh), "new tokens use the new key")
	assert.NotEqual(t, newKID, oldKID)
	assert.NoError(t, verify(ks, old, c.Now()), "old tokens verify until the retire time")
	assert.NoError(t, verify(ks, fresh, c.Now()))
	assert.Contains(t, string(ks.JWKS()), newKID)
	assert.Contains(t, string(ks.JWKS()), oldKID)

	c.Add(11 * time.Minute) // past the retire time
	require.NoError(t, ks.Reload(context.Background()))
	assert.NotContains(t, string(ks.JWKS()), oldKID, "retired keys leave the JWKS")
	assert.False(t, ks.Trusts(oldKID))
	assert.Error(t, verify(ks, old, c.Now()))

	info, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm(), "the key directory")
	files, err := filepath.Glob(filepath.Join(dir, "*.pem"))
	require.NoError(t, err)
	require.Len(t, files, 2)
	for _, f := range files {
		info, err := os.Stat(f)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), f)
	}
}

// TestRotatePrunes: the rows rotate in order in one directory.
func TestRotatePrunes(t *testing.T) {
	dir := t.TempDir()
	t0 := newClock().Now()
	tests := []struct {
		name  string
		at    time.Duration // after t0
		prune time.Duration
		files int // key files left
	}{
		{"the first key", 0, 30 * time.Minute, 1},
		{"a key superseded just now stays", time.Hour, 30 * time.Minute, 2},
		{"a key superseded longer than prune ago goes", 2 * time.Hour, 30 * time.Minute, 2},
		{"prune 0 keeps them all", 3 * time.Hour, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := keys.Rotate(dir, t0.Add(tt.at), tt.prune)
			require.NoError(t, err)
			files, err := filepath.Glob(filepath.Join(dir, "*.pem"))
			require.NoError(t, err)
			assert.Len(t, files, tt.files)
		})
	}
}

func TestSharedThroughTheStore(t *testing.T) {
	st := memory.New()
	c := newClock()
	load := func() *keys.Set {
		ks, err := keys.Load(context.Background(), keys.Config{Dir: t.TempDir(), Store: st, Retire: time.Hour, Now: c.Now})
		require.NoError(t, err)
		return ks
	}
	a := load()
	b := load() // loads after a published its key
	assert.NoError(t, verify(b, sign(t, a, c.Now()), c.Now()), "a token signed by instance A verifies on B")
	assert.Contains(t, string(b.JWKS()), kidOf(t, sign(t, a, c.Now())), "and B's JWKS shows A's key")

	third := load()
	token := sign(t, third, c.Now())
	c.Add(time.Second)
	assert.NoError(t, verify(a, token, c.Now()), "A learns the key of an instance started later, on the unknown kid")
}

// heldKeys is a store whose PublicKeys, once armed, waits for release: a
// lookup in flight.
type heldKeys struct {
	*memory.Store
	armed   chan struct{} // closed: lookups wait
	entered chan struct{} // gets a value as a lookup starts waiting
	release chan struct{}
}

func (h *heldKeys) PublicKeys(ctx context.Context, now time.Time) ([]store.PublicKey, error) {
	select {
	case <-h.armed:
		h.entered <- struct{}{}
		<-h.release
	default:
	}
	return h.Store.PublicKeys(ctx, now)
}

// TestAnUnknownKidWhileItIsLookedUp: requests that bring a kid this
// instance does not know yet, while the first of them looks it up in the
// store, wait for that lookup instead of refusing a valid token (the soak
// saw a live jwt session refused once, as another instance's first tokens
// reached this one).
func TestAnUnknownKidWhileItIsLookedUp(t *testing.T) {
	st := &heldKeys{Store: memory.New(), armed: make(chan struct{}), entered: make(chan struct{}, 16), release: make(chan struct{})}
	c := newClock()
	load := func() *keys.Set {
		ks, err := keys.Load(context.Background(), keys.Config{Dir: t.TempDir(), Store: st, Retire: time.Hour, Now: c.Now})
		require.NoError(t, err)
		return ks
	}
	a := load()
	token := sign(t, load(), c.Now()) // an instance started after A
	c.Add(time.Second)
	close(st.armed)

	const n = 8
	errs := make(chan error, n)
	go func() { errs <- verify(a, token, c.Now()) }()
	<-st.entered // the first lookup is in flight
	for range n - 1 {
		go func() { errs <- verify(a, token, c.Now()) }()
	}
	time.Sleep(50 * time.Millisecond) // the others arrive meanwhile
	close(st.release)
	for range n {
		assert.NoError(t, <-errs, "a valid token of another instance, while its key is looked up")
	}
}

func TestHS256(t *testing.T) {
	dir := t.TempDir()
	ks, err := keys.Load(context.Background(), keys.Config{Algorithm: keys.AlgHS256, Dir: dir})
	require.NoError(t, err)
	assert.Equal(t, keys.AlgHS256, ks.Algorithm())
	now := time.Now()
	assert.NoError(t, verify(ks, sign(t, ks, now), now))
	assert.JSONEq(t, `{"keys":[]}`, string(ks.JWKS()), "a shared secret is never published")
	info, err := os.Stat(filepath.Join(dir, "hs256.key"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	short := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(short, []byte("short"), 0o600))
	_, err = keys.Load(context.Background(), keys.Config{Algorithm: keys.AlgHS256, File: short})
	assert.ErrorIs(t, err, keys.ErrKeys)
	_, err = keys.Load(context.Background(), keys.Config{Algorithm: "RS256", Dir: dir})
	assert.ErrorIs(t, err, keys.ErrKeys)
}

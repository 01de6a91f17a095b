package session_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/wire"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// countingStore counts writes and can be made to fail.
type countingStore struct {
	store.Store
	touches, reads atomic.Int64
	fail           atomic.Bool
}

var errDown = errors.New("store down")

func (c *countingStore) Session(ctx context.Context, h []byte, now time.Time) (store.Session, bool, error) {
	c.reads.Add(1)
	if c.fail.Load() {
		return store.Session{}, false, errDown
	}
	return c.Store.Session(ctx, h, now)
}

func (c *countingStore) TouchSession(ctx context.Context, h []byte, exp time.Time) (bool, error) {
	c.touches.Add(1)
	if c.fail.Load() {
		return false, errDown
	}
	return c.Store.TouchSession(ctx, h, exp)
}

var ada = wire.User{ID: "u1", Email: "ada@example.com", Name: "Ada", Role: "user"}

func newDB(t *testing.T, l session.Lifetime) (*session.Database, *countingStore) {
	t.Helper()
	cs := &countingStore{Store: memory.New()}
	d, err := session.NewDatabase(cs, l)
	require.NoError(t, err)
	return d, cs
}

func TestIssueStoresOnlyTheHash(t *testing.T) {
	d, cs := newDB(t, session.DefaultLifetime)
	now := newClock().Now()
	tokenIssued, s, err := d.Issue(context.Background(), ada, session.Device{}, "aal1", now)
	token := tokenIssued.Token
	require.NoError(t, err)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	require.NoError(t, err)
	assert.Len(t, raw, 32, "256-bit id")
	assert.Equal(t, ada, s.User)
	assert.Equal(t, now.Add(30*time.Minute), s.Expires)
	assert.Equal(t, now.Add(12*time.Hour), s.AbsExpires)

	sum := sha256.Sum256(raw)
	rec, found, err := cs.Store.Session(context.Background(), sum[:], now)
	require.NoError(t, err)
	require.True(t, found, "stored under SHA-256 of the id")
	_, found, err = cs.Store.Session(context.Background(), []byte(token)[:32], now)
	require.NoError(t, err)
	assert.False(t, found, "not under the id itself")
	assert.Equal(t, "u1", rec.UserID)

	token2Issued, _, err := d.Issue(context.Background(), ada, session.Device{}, "aal1", now)
	token2 := token2Issued.Token
	require.NoError(t, err)
	assert.NotEqual(t, token, token2, "every sign-in gets a new id")
}

func TestRollingExpiry(t *testing.T) {
	d, _ := newDB(t, session.Lifetime{MaxAge: 30 * time.Minute, AbsoluteMaxAge: time.Hour, UpdateAge: 0})
	c := newClock()
	ctx := context.Background()
	tokenIssued, _, err := d.Issue(ctx, ada, session.Device{}, "aal1", c.Now())
	token := tokenIssued.Token
	require.NoError(t, err)

	c.Add(20 * time.Minute)
	s, _, found, err := d.Load(ctx, token, c.Now())
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, c.Now().Add(30*time.Minute), s.Expires, "a read moves expires to now+max-age")

	c.Add(29 * time.Minute) // 49m after sign-in, 29m idle
	s, _, found, err = d.Load(ctx, token, c.Now())
	require.NoError(t, err)
	require.True(t, found, "alive: idle less than max-age")
	assert.Equal(t, s.AbsExpires, s.Expires, "never past the absolute cap")

	c.Add(11*time.Minute + time.Second) // 60m01s: past the one-hour cap
	_, _, found, err = d.Load(ctx, token, c.Now())
	require.NoError(t, err)
	assert.False(t, found, "absolute cap ends it despite activity")
}

func TestIdleExpiry(t *testing.T) {
	d, _ := newDB(t, session.DefaultLifetime)
	c := newClock()
	ctx := context.Background()
	tokenIssued, _, err := d.Issue(ctx, ada, session.Device{}, "aal1", c.Now())
	token := tokenIssued.Token
	require.NoError(t, err)
	c.Add(30 * time.Minute)
	_, _, found, err := d.Load(ctx, token, c.Now())
	require.NoError(t, err)
	assert.False(t, found, "idle for max-age")
}

func TestUpdateAgeThrottlesWritesButStaysExact(t *testing.T) {
	d, cs := newDB(t, session.Lifetime{MaxAge: 30 * time.Minute, AbsoluteMaxAge: 12 * time.Hour, UpdateAge: time.Minute})
	c := newClock()
	ctx := context.Background()
	tokenIssued, _, err := d.Issue(ctx, ada, session.Device{}, "aal1", c.Now())
	token := tokenIssued.Token
	require.NoError(t, err)

	for range 50 { // 50 reads within the first 50 seconds
		c.Add(time.Second)
		_, _, found, err := d.Load(ctx, token, c.Now())
		require.NoError(t, err)
		require.True(t, found)
	}
	assert.Equal(t, int64(0), cs.touches.Load(), "no write within update-age")

	// The last read said expires = t0+50s+30m although the store has t0+30m.
	// Idle until just before that: still alive in this process.
	c.Add(30*time.Minute - time.Second)
	s, _, found, err := d.Load(ctx, token, c.Now())
	require.NoError(t, err)
	require.True(t, found, "the in-memory extension is honoured")
	assert.Equal(t, c.Now().Add(30*time.Minute), s.Expires)
	assert.Equal(t, int64(1), cs.touches.Load(), "a read past update-age writes once")
}

func TestUpdateAgeZeroWritesEveryRead(t *testing.T) {
	d, cs := newDB(t, session.Lifetime{MaxAge: 30 * time.Minute, AbsoluteMaxAge: 12 * time.Hour})
	c := newClock()
	tokenIssued, _, err := d.Issue(context.Background(), ada, session.Device{}, "aal1", c.Now())
	token := tokenIssued.Token
	require.NoError(t, err)
	for range 3 {
		c.Add(time.Second)
		_, _, _, err := d.Load(context.Background(), token, c.Now())
		require.NoError(t, err)
	}
	assert.Equal(t, int64(3), cs.touches.Load())
}

func TestMalformedTokensNeverReachTheStore(t *testing.T) {
	d, cs := newDB(t, session.DefaultLifetime)
	for _, tok := range []string{"", "x", "abc.def.ghi", string(make([]byte, 43)), "++++++++++++++++++++++++++++++++++++++++++=", base64.RawURLEncoding.EncodeToString(make([]byte, 31))} {
		_, _, found, err := d.Load(context.Background(), tok, time.Now())
		assert.NoError(t, err)
		assert.False(t, found)
	}
	assert.Equal(t, int64(0), cs.reads.Load())
	// A well-formed id the server never issued is looked up and not adopted.
	_, _, found, err := d.Load(context.Background(), base64.RawURLEncoding.EncodeToString(make([]byte, 32)), time.Now())
	assert.NoError(t, err)
	assert.False(t, found)
}

func TestRevoke(t *testing.T) {
	d, _ := newDB(t, session.DefaultLifetime)
	ctx := context.Background()
	now := newClock().Now()
	aIssued, _, err := d.Issue(ctx, ada, session.Device{}, "aal1", now)
	a := aIssued.Token
	require.NoError(t, err)
	bIssued, _, err := d.Issue(ctx, ada, session.Device{}, "aal1", now)
	b := bIssued.Token
	require.NoError(t, err)
	otherIssued, _, err := d.Issue(ctx, wire.User{ID: "u2", Email: "bob@example.com", Name: "Bob", Role: "user"}, session.Device{}, "aal1", now)
	other := otherIssued.Token
	require.NoError(t, err)

	require.NoError(t, d.Revoke(ctx, a, now))
	_, _, found, _ := d.Load(ctx, a, now)
	assert.False(t, found)
	_, _, found, _ = d.Load(ctx, b, now)
	assert.True(t, found)

	require.NoError(t, d.RevokeUser(ctx, "u1", now))
	_, _, found, _ = d.Load(ctx, b, now)
	assert.False(t, found)
	_, _, found, _ = d.Load(ctx, other, now)
	assert.True(t, found, "other users keep theirs")
	assert.NoError(t, d.Revoke(ctx, "garbage", now))
}

func TestStoreFailureIsUnavailable(t *testing.T) {
	d, cs := newDB(t, session.Lifetime{MaxAge: time.Minute, AbsoluteMaxAge: time.Hour})
	c := newClock()
	tokenIssued, _, err := d.Issue(context.Background(), ada, session.Device{}, "aal1", c.Now())
	token := tokenIssued.Token
	require.NoError(t, err)
	cs.fail.Store(true)
	_, _, found, err := d.Load(context.Background(), token, c.Now())
	assert.ErrorIs(t, err, session.ErrUnavailable)
	assert.False(t, found)
	cs.fail.Store(false)
	_, _, found, err = d.Load(context.Background(), token, c.Now())
	assert.NoError(t, err)
	assert.True(t, found, "recovers by itself")
}

func TestCleanup(t *testing.T) {
	d, _ := newDB(t, session.Lifetime{MaxAge: time.Minute, AbsoluteMaxAge: time.Hour, UpdateAge: 0})
	c := newClock()
	ctx := context.Background()
	oldIssued, _, err := d.Issue(ctx, ada, session.Device{}, "aal1", c.Now())
	old := oldIssued.Token
	require.NoError(t, err)
	c.Add(50 * time.Second)
	freshIssued, _, err := d.Issue(ctx, ada, session.Device{}, "aal1", c.Now())
	fresh := freshIssued.Token
	require.NoError(t, err)
	c.Add(20 * time.Second)
	n, err := d.Cleanup(ctx, c.Now())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, _, found, _ := d.Load(ctx, fresh, c.Now())
	assert.True(t, found)
	_, _, found, _ = d.Load(ctx, old, c.Now())
	assert.False(t, found)
}

func TestLifetimeValidation(t *testing.T) {
	tests := []struct {
		name string
		l    session.Lifetime
	}{
		{"max age under a second", session.Lifetime{MaxAge: time.Millisecond, AbsoluteMaxAge: time.Hour}},
		{"absolute below idle", session.Lifetime{MaxAge: time.Hour, AbsoluteMaxAge: time.Minute}},
		{"negative update age", session.Lifetime{MaxAge: time.Hour, AbsoluteMaxAge: time.Hour, UpdateAge: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := session.NewDatabase(memory.New(), tt.l)
			assert.ErrorIs(t, err, session.ErrBadLifetime)
		})
	}
}

func TestUpdateAgeCappedAtHalfMaxAge(t *testing.T) {
	// update-age 1h with max-age 10s would never write; it is lowered to 5s.
	d, cs := newDB(t, session.Lifetime{MaxAge: 10 * time.Second, AbsoluteMaxAge: time.Hour, UpdateAge: time.Hour})
	c := newClock()
	tokenIssued, _, err := d.Issue(context.Background(), ada, session.Device{}, "aal1", c.Now())
	token := tokenIssued.Token
	require.NoError(t, err)
	c.Add(6 * time.Second)
	_, _, found, err := d.Load(context.Background(), token, c.Now())
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, int64(1), cs.touches.Load())
}

// --- Manager: cookies over HTTP ---

func newManager(t *testing.T, c *clock, insecure bool) (*session.Manager, *countingStore) {
	d, cs := newDB(t, session.DefaultLifetime)
	return session.New(d, session.WithClock(c.Now), session.WithCookie(session.CookieConfig{Insecure: insecure})), cs
}

func TestManagerCookieAttributes(t *testing.T) {
	c := newClock()
	m, _ := newManager(t, c, false)
	w := httptest.NewRecorder()
	_, err := m.SignIn(w, httptest.NewRequest("POST", "/", nil), ada, "aal1")
	require.NoError(t, err)
	cookies := w.Result().Cookies()
	require.Len(t, cookies, 1)
	ck := cookies[0]
	assert.Equal(t, "__Host-sg_session", ck.Name)
	assert.True(t, ck.Secure)
	assert.True(t, ck.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
	assert.Equal(t, "/", ck.Path)
	assert.Empty(t, ck.Domain)
	assert.Equal(t, 12*3600, ck.MaxAge, "cookie lives until the absolute cap")

	mi, _ := newManager(t, c, true)
	w = httptest.NewRecorder()
	_, err = mi.SignIn(w, httptest.NewRequest("POST", "/", nil), ada, "aal1")
	require.NoError(t, err)
	ck = w.Result().Cookies()[0]
	assert.Equal(t, "sg_session", ck.Name)
	assert.False(t, ck.Secure)
	assert.True(t, ck.HttpOnly)
}

func TestManagerSignInRotatesAndSignOutEnds(t *testing.T) {
	c := newClock()
	m, _ := newManager(t, c, false)
	w := httptest.NewRecorder()
	_, err := m.SignIn(w, httptest.NewRequest("POST", "/", nil), ada, "aal1")
	require.NoError(t, err)
	first := w.Result().Cookies()[0]

	// Signing in again with the old cookie: new id, old one ended.
	r := httptest.NewRequest("POST", "/", nil)
	r.AddCookie(first)
	w = httptest.NewRecorder()
	_, err = m.SignIn(w, r, ada, "aal1")
	require.NoError(t, err)
	second := w.Result().Cookies()[0]
	assert.NotEqual(t, first.Value, second.Value)

	load := func(ck *http.Cookie) (*session.Session, *httptest.ResponseRecorder) {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(ck)
		w := httptest.NewRecorder()
		s, err := m.Load(w, r)
		require.NoError(t, err)
		return s, w
	}
	s, w1 := load(first)
	assert.Nil(t, s, "the pre-sign-in id is dead")
	require.Len(t, w1.Result().Cookies(), 1, "a dead cookie is cleared")
	assert.Equal(t, -1, w1.Result().Cookies()[0].MaxAge)
	s, _ = load(second)
	require.NotNil(t, s)
	assert.Equal(t, "Ada", s.User.Name)

	r = httptest.NewRequest("POST", "/", nil)
	r.AddCookie(second)
	w = httptest.NewRecorder()
	require.NoError(t, m.SignOut(w, r))
	assert.Equal(t, -1, w.Result().Cookies()[0].MaxAge)
	s, _ = load(second)
	assert.Nil(t, s, "replaying the cookie after sign-out fails")
}

func TestManagerLoadWithoutCookie(t *testing.T) {
	m, cs := newManager(t, newClock(), false)
	w := httptest.NewRecorder()
	s, err := m.Load(w, httptest.NewRequest("GET", "/", nil))
	assert.NoError(t, err)
	assert.Nil(t, s)
	assert.Empty(t, w.Result().Cookies())
	assert.Equal(t, int64(0), cs.reads.Load())
}

func TestManagerStoreFailureFailsClosed(t *testing.T) {
	c := newClock()
	m, cs := newManager(t, c, false)
	w := httptest.NewRecorder()
	_, err := m.SignIn(w, httptest.NewRequest("POST", "/", nil), ada, "aal1")
	require.NoError(t, err)
	ck := w.Result().Cookies()[0]
	cs.fail.Store(true)
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(ck)
	s, err := m.Load(httptest.NewRecorder(), r)
	assert.ErrorIs(t, err, session.ErrUnavailable)
	assert.Nil(t, s)
}

func TestWireIsUTCWholeSeconds(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	s := &session.Session{User: ada, Expires: time.Date(2026, 1, 2, 3, 4, 5, 999_000_000, loc)}
	w := s.Wire()
	assert.Equal(t, "2026-01-02T02:04:05Z", w.Expires.String())
	assert.Nil(t, (*session.Session)(nil).Wire())
}

func BenchmarkDatabaseLoad(b *testing.B) {
	d, err := session.NewDatabase(memory.New(), session.DefaultLifetime)
	require.NoError(b, err)
	now := time.Now()
	tokenIssued, _, err := d.Issue(context.Background(), ada, session.Device{}, "aal1", now)
	token := tokenIssued.Token
	require.NoError(b, err)
	for b.Loop() {
		_, _, _, _ = d.Load(context.Background(), token, now)
	}
}

func TestReportedExpiryIsTheEnforcedOne(t *testing.T) {
	d, _ := newDB(t, session.Lifetime{MaxAge: 30 * time.Second, AbsoluteMaxAge: time.Hour, UpdateAge: 0})
	c := newClock()
	c.Add(700 * time.Millisecond) // off the whole second
	ctx := context.Background()
	tokenIssued, s, err := d.Issue(ctx, ada, session.Device{}, "aal1", c.Now())
	token := tokenIssued.Token
	require.NoError(t, err)
	assert.Equal(t, time.Unix(s.Wire().Expires.Unix(), 0).UTC(), s.Expires, "the API's whole-second expiry is the real one")

	c.Add(10 * time.Second)
	s, _, found, err := d.Load(ctx, token, c.Now())
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, time.Unix(s.Wire().Expires.Unix(), 0).UTC(), s.Expires)

	_, _, found, err = d.Load(ctx, token, s.Expires.Add(-time.Nanosecond))
	require.NoError(t, err)
	require.True(t, found, "alive until the reported second")
	s, _, _, _ = d.Load(ctx, token, s.Expires.Add(-time.Nanosecond))
	_, _, found, err = d.Load(ctx, token, s.Expires)
	require.NoError(t, err)
	assert.False(t, found, "dead at the reported second")
}

func TestPeekDoesNotExtend(t *testing.T) {
	for _, strategy := range []string{"database", "jwt"} {
		t.Run(strategy, func(t *testing.T) {
			l := session.Lifetime{MaxAge: 10 * time.Minute, AbsoluteMaxAge: time.Hour, UpdateAge: 0}
			var s session.Strategy
			var token string
			c := newClock()
			if strategy == "database" {
				d, _ := newDB(t, l)
				issued, _, err := d.Issue(context.Background(), ada, session.Device{}, "aal1", c.Now())
				require.NoError(t, err)
				s, token = d, issued.Token
			} else {
				e := newJWT(t, l, func(cfg *session.JWTConfig) { cfg.AccessMaxAge = time.Hour })
				c = e.clock
				s, token = e.j, e.issue(t).Token
			}
			p := s.(session.Peeker)
			c.Add(9 * time.Minute)
			got, found, err := p.Peek(context.Background(), token, c.Now())
			require.NoError(t, err)
			require.True(t, found)
			assert.NotEmpty(t, got.Key)
			assert.Equal(t, ada, got.User)
			c.Add(2 * time.Minute) // 11 minutes idle: the peek did not count
			_, found, err = p.Peek(context.Background(), token, c.Now())
			require.NoError(t, err)
			assert.False(t, found)
			_, _, found, err = s.Load(context.Background(), token, c.Now())
			require.NoError(t, err)
			assert.False(t, found, "background reads never keep a session alive")
		})
	}
}

// Abandon ends a session SignIn has just issued and takes back its
// cookies: the response clears them, and the session's token, replayed,
// loads nothing (nor does its refresh token redeem).
func TestManagerAbandonEndsTheIssuedSession(t *testing.T) {
	for _, strategy := range []string{"database", "jwt"} {
		t.Run(strategy, func(t *testing.T) {
			var m *session.Manager
			switch strategy {
			case "database":
				m, _ = newManager(t, newClock(), false)
			case "jwt":
				e := newJWT(t, session.DefaultLifetime)
				m = session.New(e.j, session.WithClock(e.clock.Now))
			}
			w := httptest.NewRecorder()
			s, err := m.SignIn(w, httptest.NewRequest("POST", "/", nil), ada, "aal1")
			require.NoError(t, err)
			// Read from the header map: a recorder's Result freezes it.
			setCookies := func() []*http.Cookie { return (&http.Response{Header: w.Header()}).Cookies() }
			issued := setCookies()
			require.NotEmpty(t, issued)
			require.NoError(t, m.Abandon(context.Background(), w, s))

			cleared := setCookies()
			require.Len(t, cleared, len(issued), "one line per cookie")
			for _, ck := range cleared {
				assert.Equal(t, -1, ck.MaxAge, "%s is cleared", ck.Name)
				assert.Empty(t, ck.Value)
			}
			for _, ck := range issued {
				r := httptest.NewRequest("GET", "/", nil)
				r.AddCookie(ck)
				switch ck.Name {
				case session.CookieName:
					got, err := m.Load(httptest.NewRecorder(), r)
					require.NoError(t, err)
					assert.Nil(t, got, "the abandoned session loads nothing")
				case session.RefreshCookieName:
					_, err := m.Refresh(httptest.NewRecorder(), r)
					assert.ErrorIs(t, err, session.ErrRefreshInvalid, "its refresh token redeems nothing")
				}
			}
		})
	}
}

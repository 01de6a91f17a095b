package session_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/wire"
)

// hookStore runs onCreate, once, after the first CreateSession that follows
// arm.
type hookStore struct {
	*memory.Store
	mu       sync.Mutex
	onCreate func()
}

func (h *hookStore) arm(f func()) { h.mu.Lock(); h.onCreate = f; h.mu.Unlock() }

func (h *hookStore) CreateSession(ctx context.Context, s store.Session) error {
	err := h.Store.CreateSession(ctx, s)
	h.mu.Lock()
	f := h.onCreate
	h.onCreate = nil
	h.mu.Unlock()
	if f != nil {
		f()
	}
	return err
}

// strategyEnv is one strategy on a memory store with a clock.
type strategyEnv struct {
	strat session.Strategy
	st    *hookStore
	clock *clock
}

// forStrategies runs fn under the database and the jwt strategy, with
// the default lifetime.
func forStrategies(t *testing.T, fn func(t *testing.T, e *strategyEnv)) {
	t.Run("database", func(t *testing.T) {
		st := &hookStore{Store: memory.New()}
		d, err := session.NewDatabase(st, session.DefaultLifetime)
		require.NoError(t, err)
		fn(t, &strategyEnv{strat: d, st: st, clock: newClock()})
	})
	t.Run("jwt", func(t *testing.T) {
		st := &hookStore{Store: memory.New()}
		j := newJWTOn(t, st, session.DefaultLifetime)
		fn(t, &strategyEnv{strat: j.j, st: st, clock: j.clock})
	})
}

func (e *strategyEnv) issue(t *testing.T, aal string) (session.Issued, session.Session) {
	t.Helper()
	issued, s, err := e.strat.Issue(t.Context(), ada, session.Device{Addr: "192.0.2.1"}, aal, e.clock.Now())
	require.NoError(t, err)
	return issued, s
}

func (e *strategyEnv) load(t *testing.T, token string) (session.Session, bool) {
	t.Helper()
	s, _, found, err := e.strat.Load(t.Context(), token, e.clock.Now())
	require.NoError(t, err)
	return s, found
}

// keep reads the session of *token, as a client would, taking the renewed
// token when there is one (the jwt strategy's re-issue).
func (e *strategyEnv) keep(t *testing.T, token *string) (session.Session, bool) {
	t.Helper()
	s, renewed, found, err := e.strat.Load(t.Context(), *token, e.clock.Now())
	require.NoError(t, err)
	if renewed != "" {
		*token = renewed
	}
	return s, found
}

func (e *strategyEnv) count(t *testing.T) int {
	t.Helper()
	list, err := e.st.UserSessions(t.Context(), ada.ID, e.clock.Now())
	require.NoError(t, err)
	return len(list)
}

// TestSessionRecordsAssurance checks that a session carries the level the
// user proved at sign-in and when, through every read and in its JSON.
func TestSessionRecordsAssurance(t *testing.T) {
	forStrategies(t, func(t *testing.T, e *strategyEnv) {
		t0 := e.clock.Now()
		for _, tt := range []struct{ given, want string }{
			{store.AAL1, store.AAL1},
			{store.AAL2, store.AAL2},
			{"aal3", store.AAL1}, // never recorded as stronger than known
			{"", store.AAL1},
		} {
			issued, s := e.issue(t, tt.given)
			assert.Equal(t, tt.want, s.AAL, "issued %q", tt.given)
			assert.True(t, t0.Equal(s.AuthenticatedAt), "AuthenticatedAt %v", s.AuthenticatedAt)
			got, found := e.load(t, issued.Token)
			require.True(t, found)
			assert.Equal(t, tt.want, got.AAL, "loaded %q", tt.given)
			assert.True(t, t0.Equal(got.AuthenticatedAt), "loaded AuthenticatedAt %v", got.AuthenticatedAt)
		}
		_, s := e.issue(t, store.AAL2)
		w := s.Wire()
		assert.Equal(t, "aal2", w.AAL)
		assert.Equal(t, wire.UnixTime(t0.Unix()), w.AuthenticatedAt)
		assert.Equal(t, t0.UTC().Truncate(time.Second).Format(wire.TimeFormat), w.AuthenticatedAt.String())
	})
}

// TestReauthenticateRotates checks that re-authentication gives a new
// session id, authenticated now at the level proved, with the sign-in time
// and the absolute cap of the first sign-in; the old id ends.
func TestReauthenticateRotates(t *testing.T) {
	forStrategies(t, func(t *testing.T, e *strategyEnv) {
		t0 := e.clock.Now()
		old, first := e.issue(t, store.AAL1)
		e.clock.Add(4 * time.Minute) // within an access token's life
		cur, found := e.keep(t, &old.Token)
		require.True(t, found)

		t1 := e.clock.Now()
		issued, s, found, err := e.strat.Reauthenticate(t.Context(), cur.Key, store.AAL2, session.Device{}, t1)
		require.NoError(t, err)
		require.True(t, found)
		assert.NotEqual(t, old.Token, issued.Token)
		assert.NotEqual(t, cur.Key, s.Key, "a new session id")
		assert.Equal(t, store.AAL2, s.AAL)
		assert.True(t, t1.Equal(s.AuthenticatedAt), "AuthenticatedAt %v, want %v", s.AuthenticatedAt, t1)
		assert.True(t, t0.Equal(s.CreatedAt), "CreatedAt %v, want the first sign-in %v", s.CreatedAt, t0)
		assert.Equal(t, first.AbsExpires, s.AbsExpires, "the absolute cap")

		_, found = e.load(t, old.Token)
		assert.False(t, found, "the old id still works")
		got, found := e.load(t, issued.Token)
		require.True(t, found)
		assert.Equal(t, store.AAL2, got.AAL)
		assert.True(t, t1.Equal(got.AuthenticatedAt))
		assert.Equal(t, 1, e.count(t), "sessions of the user")

		// Re-authenticating with a password only is a password-only proof.
		e.clock.Add(time.Minute)
		issued, s, found, err = e.strat.Reauthenticate(t.Context(), got.Key, store.AAL1, session.Device{}, e.clock.Now())
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, store.AAL1, s.AAL)

		// Kept alive, it still ends at the first sign-in's cap.
		token := issued.Token
		for e.clock.Now().Before(first.AbsExpires.Add(-4 * time.Minute)) {
			e.clock.Add(4 * time.Minute)
			_, found := e.keep(t, &token)
			require.True(t, found, "at %v", e.clock.Now())
		}
		e.clock.Set(first.AbsExpires)
		_, found = e.load(t, token)
		assert.False(t, found, "alive past the absolute cap of the first sign-in")
	})
}

// TestReauthenticateEndedSession checks that an ended or unknown session
// is not re-authenticated, and that one ended while the new one is made
// takes the new one with it.
func TestReauthenticateEndedSession(t *testing.T) {
	forStrategies(t, func(t *testing.T, e *strategyEnv) {
		issued, s := e.issue(t, store.AAL1)
		require.NoError(t, e.strat.Revoke(t.Context(), issued.Token, e.clock.Now()))
		_, _, found, err := e.strat.Reauthenticate(t.Context(), s.Key, store.AAL2, session.Device{}, e.clock.Now())
		require.NoError(t, err)
		assert.False(t, found, "an ended session re-authenticated")
		_, _, found, err = e.strat.Reauthenticate(t.Context(), []byte("short"), store.AAL2, session.Device{}, e.clock.Now())
		require.NoError(t, err)
		assert.False(t, found, "a malformed key")
		assert.Equal(t, 0, e.count(t))

		// Signed out everywhere between the new record and the re-check.
		_, s = e.issue(t, store.AAL1)
		e.st.arm(func() {
			require.NoError(t, e.strat.RevokeUser(context.Background(), ada.ID, e.clock.Now()))
		})
		next, _, found, err := e.strat.Reauthenticate(t.Context(), s.Key, store.AAL2, session.Device{}, e.clock.Now())
		require.NoError(t, err)
		assert.False(t, found, "re-authenticated a session ended meanwhile")
		assert.Empty(t, next.Token)
		assert.Equal(t, 0, e.count(t), "sessions left after the sign-out everywhere")
	})
}

// TestJWTRefreshKeepsAssurance checks that the access tokens a refresh
// gives carry the level and the time of the last proof, not of the
// refresh.
func TestJWTRefreshKeepsAssurance(t *testing.T) {
	e := newJWT(t, session.DefaultLifetime)
	t0 := e.clock.Now()
	issued, _, err := e.j.Issue(t.Context(), ada, session.Device{}, store.AAL2, t0)
	require.NoError(t, err)
	for range 3 {
		e.clock.Add(4 * time.Minute)
		next, s, err := e.j.Refresh(t.Context(), issued.Refresh, e.clock.Now())
		require.NoError(t, err)
		assert.Equal(t, store.AAL2, s.AAL)
		assert.True(t, t0.Equal(s.AuthenticatedAt), "AuthenticatedAt %v after a refresh", s.AuthenticatedAt)
		got, _, found := e.load(t, next.Token)
		require.True(t, found)
		assert.Equal(t, store.AAL2, got.AAL)
		assert.True(t, t0.Equal(got.AuthenticatedAt), "AuthenticatedAt %v in the refreshed token", got.AuthenticatedAt)
		issued = next
	}
}

// TestManagerReauthenticate checks the Manager's cookies: the new session's
// replace the old ones, under both strategies.
func TestManagerReauthenticate(t *testing.T) {
	forStrategies(t, func(t *testing.T, e *strategyEnv) {
		m := session.New(e.strat, session.WithClock(e.clock.Now))
		w := httptest.NewRecorder()
		first, err := m.SignIn(w, httptest.NewRequest("POST", "/", nil), ada, store.AAL1)
		require.NoError(t, err)
		r := httptest.NewRequest("POST", "/", nil)
		for _, c := range w.Result().Cookies() {
			r.AddCookie(c)
		}
		e.clock.Add(time.Minute)
		w = httptest.NewRecorder()
		next, err := m.Reauthenticate(w, r, first, store.AAL2)
		require.NoError(t, err)
		require.NotNil(t, next)
		names := map[string]bool{}
		for _, c := range w.Result().Cookies() {
			names[c.Name] = true
		}
		assert.True(t, names[m.CookieName()], "new session cookie set")
		r = httptest.NewRequest("GET", "/", nil)
		for _, c := range w.Result().Cookies() {
			r.AddCookie(c)
		}
		got, err := m.Load(httptest.NewRecorder(), r)
		require.NoError(t, err)
		require.NotNil(t, got)
		assert.Equal(t, store.AAL2, got.AAL)

		// Once more with the old session: it ended.
		again, err := m.Reauthenticate(httptest.NewRecorder(), r, first, store.AAL2)
		require.NoError(t, err)
		assert.Nil(t, again)
	})
}

// TestManagerReauthenticatePublishesTheEnding: the old id's ending is a
// revoked event for that session, so services on the revocation feed drop
// it; nothing is published when nothing was rotated.
func TestManagerReauthenticatePublishesTheEnding(t *testing.T) {
	forStrategies(t, func(t *testing.T, e *strategyEnv) {
		m := session.New(e.strat, session.WithClock(e.clock.Now), session.WithEvents(e.st))
		w := httptest.NewRecorder()
		first, err := m.SignIn(w, httptest.NewRequest("POST", "/", nil), ada, store.AAL1)
		require.NoError(t, err)
		ch, err := e.st.Subscribe(t.Context())
		require.NoError(t, err)
		next, err := m.Reauthenticate(httptest.NewRecorder(), httptest.NewRequest("POST", "/", nil), first, store.AAL1)
		require.NoError(t, err)
		require.NotNil(t, next)
		select {
		case ev := <-ch:
			assert.Equal(t, store.EventRevoked, ev.Type)
			assert.Equal(t, ada.ID, ev.UserID)
			assert.Equal(t, first.Key, ev.SessionHash, "the old session")
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
		}
		again, err := m.Reauthenticate(httptest.NewRecorder(), httptest.NewRequest("POST", "/", nil), first, store.AAL1)
		require.NoError(t, err)
		assert.Nil(t, again)
		select {
		case ev := <-ch:
			t.Fatalf("an event for a rotation that did not happen: %+v", ev)
		case <-time.After(100 * time.Millisecond):
		}
	})
}

// TestManagerSignInOverASessionPublishesItsEnding: a sign-in that carries
// a session (a password change's rotation, signing in again) ends that one
// with a revoked event for it, before the new one's session-started, so its
// pages and services on the revocation feed drop it.
func TestManagerSignInOverASessionPublishesItsEnding(t *testing.T) {
	forStrategies(t, func(t *testing.T, e *strategyEnv) {
		m := session.New(e.strat, session.WithClock(e.clock.Now), session.WithEvents(e.st))
		w := httptest.NewRecorder()
		first, err := m.SignIn(w, httptest.NewRequest("POST", "/", nil), ada, store.AAL1)
		require.NoError(t, err)
		ch, err := e.st.Subscribe(t.Context())
		require.NoError(t, err)
		r := httptest.NewRequest("POST", "/", nil)
		for _, c := range w.Result().Cookies() {
			r.AddCookie(c)
		}
		next, err := m.SignIn(httptest.NewRecorder(), r, ada, store.AAL1)
		require.NoError(t, err)
		var got []store.Event
		for len(got) < 2 {
			select {
			case ev := <-ch:
				got = append(got, ev)
			case <-time.After(5 * time.Second):
				t.Fatalf("events so far: %+v", got)
			}
		}
		assert.Equal(t, store.EventRevoked, got[0].Type)
		assert.Equal(t, first.Key, got[0].SessionHash, "the session the request carried")
		assert.Equal(t, store.EventSessionStarted, got[1].Type)
		assert.Equal(t, next.Key, got[1].SessionHash)
	})
}

package auth_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/policy/policytest"
	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/auth"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

func mustDatabase(t *testing.T, st session.DatabaseStore) *session.Database {
	d, err := session.NewDatabase(st, session.DefaultLifetime)
	require.NoError(t, err)
	return d
}

func mustPolicy(t *testing.T) *policy.Policy {
	p, err := policy.New(policytest.DefaultPublic, policytest.DefaultAdmin)
	require.NoError(t, err)
	return p
}

// sse is an open event stream read line by line.
type sse struct {
	t      *testing.T
	resp   *http.Response
	events chan [2]string // event type, data
	cancel context.CancelFunc
	end    error // how reading ended (nil: a clean end), once events is closed
}

// err returns how the stream's body ended, once it has.
func (s *sse) err() error { return s.end }

// close hangs up, as a page that goes away does.
func (s *sse) close() {
	s.cancel()
	_ = s.resp.Body.Close()
}

// openEvents opens GET /api/auth/events with c's cookie and the headers
// hdr (name, value, …).
func (c *client) openEvents(t *testing.T, hdr ...string) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", c.e.srv.URL+"/api/auth/events", nil)
	require.NoError(t, err)
	if ck := c.cookie(); ck != nil {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	s := &sse{t: t, resp: resp, events: make(chan [2]string, 16), cancel: cancel}
	if resp.StatusCode != http.StatusOK {
		close(s.events)
		return s
	}
	go func() {
		sc := bufio.NewScanner(resp.Body)
		defer func() {
			s.end = sc.Err()
			close(s.events)
		}()
		var typ, data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "" && typ != "":
				s.events <- [2]string{typ, data}
				typ, data = "", ""
			}
		}
	}()
	return s
}

// next waits (bounded) for the next event; "" when the stream ended.
func (s *sse) next() (string, string) {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			return "", ""
		}
		return ev[0], ev[1]
	case <-time.After(10 * time.Second):
		s.t.Fatal("no event within 10 s")
		return "", ""
	}
}

func TestEventsNeedASession(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		s := e.client().openEvents(t)
		assert.Equal(t, http.StatusUnauthorized, s.resp.StatusCode)
	})
}

func TestEventsTellARevokedSession(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
		other := e.client()
		require.Equal(t, http.StatusOK, other.signIn("admin@example.com", "admin-password").StatusCode)

		s := c.openEvents(t)
		require.Equal(t, http.StatusOK, s.resp.StatusCode)
		assert.Equal(t, "text/event-stream", s.resp.Header.Get("Content-Type"))
		assert.Equal(t, "no-store", s.resp.Header.Get("Cache-Control"))
		typ, data := s.next()
		require.Equal(t, "ready", typ)
		assert.Contains(t, data, `"expires":`)
		otherStream := other.openEvents(t)
		typ, _ = otherStream.next()
		require.Equal(t, "ready", typ)

		// The same session signs out from another tab (same cookie).
		sameSession := e.client()
		sameSession.cookies[c.cookie().Name] = c.cookie()
		require.Equal(t, http.StatusOK, sameSession.postJSON("/api/auth/signout", nil).StatusCode)
		typ, _ = s.next()
		assert.Equal(t, "revoked", typ)
		typ, _ = s.next()
		assert.Equal(t, "", typ, "the stream ends after revoked")

		// The other user's stream heard nothing; signing them out
		// everywhere reaches it.
		require.NoError(t, e.mgr.RevokeUser(context.Background(), otherUserID(t, e, "admin@example.com")))
		typ, _ = otherStream.next()
		assert.Equal(t, "revoked", typ)
	})
}

// TestEventsTellOtherSessionsOfSignInsAndEndings: a page's device list
// learns at once that another session of its user began or ended
// ("sessions-changed"), and the stream goes on; other users' sign-ins, and
// the page's own, are not heard.
func TestEventsTellOtherSessionsOfSignInsAndEndings(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		first := e.client()
		require.Equal(t, http.StatusOK, first.signIn("user@example.com", "user-password").StatusCode)
		s := first.openEvents(t)
		typ, _ := s.next()
		require.Equal(t, "ready", typ)

		require.Equal(t, http.StatusOK, e.client().signIn("admin@example.com", "admin-password").StatusCode, "another user")
		second := e.client()
		require.Equal(t, http.StatusOK, second.signIn("user@example.com", "user-password").StatusCode)
		typ, data := s.next()
		assert.Equal(t, "sessions-changed", typ, "the same user signed in elsewhere (the admin's sign-in was not heard)")
		assert.Contains(t, data, `"expires":`)

		require.Equal(t, http.StatusOK, second.postJSON("/api/auth/signout", nil).StatusCode)
		typ, _ = s.next()
		assert.Equal(t, "sessions-changed", typ, "that session ended")

		// The stream goes on: its own session's end still reaches it.
		require.Equal(t, http.StatusOK, first.postJSON("/api/auth/signout", nil).StatusCode)
		typ, _ = s.next()
		assert.Equal(t, "revoked", typ)
	})
}

func otherUserID(t *testing.T, e *env, email string) string {
	u, found, err := e.store.UserByEmail(context.Background(), email)
	require.NoError(t, err)
	require.True(t, found)
	return u.ID
}

func TestEventsTellARefreshElsewhere(t *testing.T) {
	e := newEnv(t, withStrategy("jwt"))
	c := e.client()
	require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
	s := c.openEvents(t)
	typ, _ := s.next()
	require.Equal(t, "ready", typ)
	require.Equal(t, http.StatusOK, c.refresh().StatusCode)
	typ, data := s.next()
	assert.Equal(t, "refreshed", typ)
	assert.Contains(t, data, `"type":"refreshed"`)
}

func TestCloseEndsStreams(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
	s := c.openEvents(t)
	typ, _ := s.next()
	require.Equal(t, "ready", typ)
	e.auth.Close()
	typ, _ = s.next()
	assert.Equal(t, "", typ, "the stream ended for shutdown")
	assert.Equal(t, http.StatusServiceUnavailable, c.openEvents(t).resp.StatusCode, "no new streams after Close")
}

// TestCloseEndsAQuietStreamCleanly: a stream that wrote nothing for longer
// than its write timeout (between heartbeats) still ends with the chunked
// body's last chunk when the server shuts down, so the page sees the stream
// end rather than a broken connection.
func TestCloseEndsAQuietStreamCleanly(t *testing.T) {
	t.Cleanup(auth.SetStreamWriteTimeout(100 * time.Millisecond))
	e := newEnv(t)
	c := e.client()
	require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
	s := c.openEvents(t)
	require.Equal(t, http.StatusOK, s.resp.StatusCode)
	typ, _ := s.next()
	require.Equal(t, "ready", typ)
	time.Sleep(300 * time.Millisecond) // past the last write's deadline
	e.auth.Close()
	typ, _ = s.next()
	assert.Equal(t, "", typ, "the stream ended for shutdown")
	assert.NoError(t, s.err(), "the stream's end: a clean end of its body")
}

func TestEventsRoleChangedEndsTheStream(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
	s := c.openEvents(t)
	typ, _ := s.next()
	require.Equal(t, "ready", typ)
	require.NoError(t, e.mgr.RoleChanged(context.Background(), otherUserID(t, e, "user@example.com")))
	typ, _ = s.next()
	assert.Equal(t, "role-changed", typ)
	typ, _ = s.next()
	assert.Equal(t, "", typ, "the stream ends with the session")
}

func TestPasswordChangeEndsOnlyTheOtherSessionsStreams(t *testing.T) {
	e := newEnv(t)
	me, other := e.client(), e.client()
	require.Equal(t, http.StatusOK, me.signIn("user@example.com", "user-password").StatusCode)
	require.Equal(t, http.StatusOK, other.signIn("user@example.com", "user-password").StatusCode)
	otherStream := other.openEvents(t)
	typ, _ := otherStream.next()
	require.Equal(t, "ready", typ)
	r := me.do("POST", "/api/auth/password", jsonBody(`{"currentPassword":"user-password","newPassword":"another-password"}`), "Content-Type", "application/json")
	require.Equal(t, http.StatusOK, r.StatusCode)
	typ, _ = otherStream.next()
	assert.Equal(t, "revoked", typ)
	myStream := me.openEvents(t)
	typ, _ = myStream.next()
	assert.Equal(t, "ready", typ, "the changer's rotated session streams on")
}

// resyncStore lets a test hand the hub a resync, as a shared store does
// when its connection comes back.
type resyncStore struct {
	*flakyStore
	mu   sync.Mutex
	subs []chan store.Event
}

func (r *resyncStore) Subscribe(ctx context.Context) (<-chan store.Event, error) {
	ch := make(chan store.Event, 8)
	r.mu.Lock()
	r.subs = append(r.subs, ch)
	r.mu.Unlock()
	return ch, nil
}

func (r *resyncStore) resync() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ch := range r.subs {
		ch <- store.Event{Type: store.EventResync, At: time.Now()}
	}
}

func TestResyncMakesStreamsReadAgain(t *testing.T) {
	e := newEnv(t)
	rs := &resyncStore{flakyStore: e.store}
	a, err := app.New(t.Context(), app.Options{Store: rs, Now: e.clock.Now, PasswordParams: fastParams})
	require.NoError(t, err)
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	defer a.Close() // first: ends the event stream, which would hold srv.Close up
	e.srv = srv     // the client helpers talk to this server
	c := e.client()
	require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
	s := c.openEvents(t)
	typ, _ := s.next()
	require.Equal(t, "ready", typ)

	// The session ends without an event reaching this process (its store
	// connection was down), then the connection is back.
	_, err = e.store.DeleteUserSessions(context.Background(), otherUserID(t, e, "user@example.com"))
	require.NoError(t, err)
	rs.resync()
	typ, _ = s.next()
	assert.Equal(t, "revoked", typ, "the stream read its session again at once")
}

// TestEventStreamLimits: one session holds at most 8 open streams and one
// user at most 32; a stream that ends gives its slot back.
func TestEventStreamLimits(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		released := make(chan struct{}, 64)
		auth.SetStreamReleased(e.auth, func() { released <- struct{}{} })
		open := func(c *client) *sse {
			t.Helper()
			s := c.openEvents(t)
			require.Equal(t, http.StatusOK, s.resp.StatusCode)
			typ, _ := s.next()
			require.Equal(t, "ready", typ)
			return s
		}
		refused := func(c *client, msg string) {
			t.Helper()
			s := c.openEvents(t)
			require.Equal(t, http.StatusTooManyRequests, s.resp.StatusCode, msg)
			assert.NotEmpty(t, s.resp.Header.Get("Retry-After"))
			assert.Equal(t, "no-store", s.resp.Header.Get("Cache-Control"))
			var out wire.Error
			decode(t, s.resp, &out)
			assert.Contains(t, out.Error, "too many open event streams")
		}
		closeOne := func(s *sse) {
			t.Helper()
			s.close()
			select {
			case <-released:
			case <-time.After(10 * time.Second):
				t.Fatal("the stream's slot was not released")
			}
		}

		// Per session: the ninth stream is refused until one ends.
		first := e.client()
		require.Equal(t, http.StatusOK, first.signIn("user@example.com", "user-password").StatusCode)
		var firstStreams []*sse
		for range auth.MaxStreamsPerSession {
			firstStreams = append(firstStreams, open(first))
		}
		refused(first, "the ninth stream of one session")
		closeOne(firstStreams[0])
		firstStreams[0] = open(first)

		// Per user: four sessions fill the user's 32 slots.
		for range auth.MaxStreamsPerUser/auth.MaxStreamsPerSession - 1 {
			c := e.client()
			require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
			for range auth.MaxStreamsPerSession {
				open(c)
			}
		}
		fifth := e.client()
		require.Equal(t, http.StatusOK, fifth.signIn("user@example.com", "user-password").StatusCode)
		refused(fifth, "the 33rd stream of one user")
		other := e.client()
		require.Equal(t, http.StatusOK, other.signIn("admin@example.com", "admin-password").StatusCode)
		open(other) // another user is not limited by this one
		closeOne(firstStreams[3])
		open(fifth)
		refused(fifth, "full again")
	})
}

package session_test

import (
	"context"
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
	"github.com/sessionguard/sessionguard/server/store/memory"
)

// touchCounter counts a jwt store's TouchSession calls and can make them
// fail.
type touchCounter struct {
	jwtStore
	touches atomic.Int64
	fail    atomic.Bool
}

func (c *touchCounter) inner() jwtStore { return c.jwtStore }

func (c *touchCounter) TouchSession(ctx context.Context, h []byte, exp time.Time) (bool, error) {
	c.touches.Add(1)
	if c.fail.Load() {
		return false, errDown
	}
	return c.jwtStore.TouchSession(ctx, h, exp)
}

// A client that keeps sending the access token it signed in with (one that
// ignores Set-Cookie, requests already in flight when the renewal
// answered, or anyone replaying a token) costs a session at most one
// renewal per update age, as every other client does: the store is written
// and a token signed once, and the reads in between hold the rolling
// extension in memory like any read within the update age. Before, every
// such read past the update age wrote the record and signed a new token.
func TestJWTStaleTokenRenewsOncePerUpdateAge(t *testing.T) {
	l := session.Lifetime{MaxAge: 30 * time.Minute, AbsoluteMaxAge: 12 * time.Hour, UpdateAge: time.Minute}
	forJWTStores(t, func(t *testing.T, stName string) {
		tc := &touchCounter{jwtStore: openJWTStore(t, stName)}
		e := newJWTOn(t, tc, l)
		m := session.New(e.j, session.WithClock(e.clock.Now))
		issued, _, err := e.j.Issue(context.Background(), ada, session.Device{}, "aal1", e.clock.Now())
		require.NoError(t, err)

		// read sends the signed-in token and says whether the answer
		// renewed it.
		read := func() (renewed bool) {
			r := httptest.NewRequest("GET", "/api/get-session-status", nil)
			r.AddCookie(&http.Cookie{Name: session.CookieName, Value: issued.Token})
			w := httptest.NewRecorder()
			s, err := m.Load(w, r)
			if !assert.NoError(t, err) || !assert.NotNil(t, s, "the token is within its five minutes") {
				return false
			}
			assert.Equal(t, e.clock.Now().Truncate(time.Second).Add(30*time.Minute), s.Expires, "every read moves the idle expiry")
			return len(w.Result().Cookies()) > 0
		}

		e.clock.Add(90 * time.Second) // past the update age
		var renewals atomic.Int64
		var wg sync.WaitGroup
		for range 16 { // at once, as a page's requests in flight are
			wg.Go(func() {
				if read() {
					renewals.Add(1)
				}
			})
		}
		wg.Wait()
		for range 16 { // one after another, as a poller's are
			if read() {
				renewals.Add(1)
			}
		}
		assert.Equal(t, int64(1), renewals.Load(), "answers that renewed the token")
		assert.Equal(t, int64(1), tc.touches.Load(), "writes of the session record")

		// One update age later the stale token is due again, once.
		e.clock.Add(time.Minute)
		assert.True(t, read(), "renewed once the update age has passed again")
		assert.False(t, read())
		assert.Equal(t, int64(2), tc.touches.Load())

		// A renewal that failed leaves the next read to renew.
		e.clock.Add(time.Minute)
		tc.fail.Store(true)
		r := httptest.NewRequest("GET", "/api/get-session-status", nil)
		r.AddCookie(&http.Cookie{Name: session.CookieName, Value: issued.Token})
		_, err = m.Load(httptest.NewRecorder(), r)
		assert.ErrorIs(t, err, session.ErrUnavailable)
		tc.fail.Store(false)
		assert.True(t, read(), "the read after a failed renewal renews")
		assert.Equal(t, int64(4), tc.touches.Load())
	})
}

// While one read writes a due rolling extension, the reads that find the
// same write due hold the extension in memory instead of writing it again,
// under both strategies; the next write is due an update age later.
func TestOneWriteWhileAWriteIsInFlight(t *testing.T) {
	l := session.Lifetime{MaxAge: 30 * time.Minute, AbsoluteMaxAge: 12 * time.Hour, UpdateAge: time.Minute}
	for _, strategy := range []string{"database", "jwt"} {
		t.Run(strategy, func(t *testing.T) {
			gate := newPausingStore(memory.New())
			g := &touchCounter{jwtStore: gate}
			c := newClock()
			var st session.Strategy
			if strategy == "jwt" {
				e := newJWTOn(t, g, l)
				c = e.clock
				st = e.j
			} else {
				d, err := session.NewDatabase(g, l)
				require.NoError(t, err)
				st = d
			}
			issued, _, err := st.Issue(context.Background(), ada, session.Device{}, "aal1", c.Now())
			require.NoError(t, err)
			c.Add(90 * time.Second)

			gate.Arm("touch")
			first := make(chan error, 1)
			go func() {
				_, _, found, err := st.Load(context.Background(), issued.Token, c.Now())
				if err == nil && !found {
					err = errors.New("the writing read found no session")
				}
				first <- err
			}()
			<-gate.Reached()
			for range 8 {
				s, renewed, found, err := st.Load(context.Background(), issued.Token, c.Now())
				require.NoError(t, err)
				require.True(t, found)
				assert.Empty(t, renewed)
				assert.Equal(t, c.Now().Add(30*time.Minute), s.Expires, "the read holds the extension")
			}
			assert.Equal(t, int64(1), g.touches.Load(), "reads beside the write wrote too")
			gate.Resume()
			require.NoError(t, <-first)
			assert.Equal(t, int64(1), g.touches.Load())
		})
	}
}

package cache_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/cache"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/store/postgres"
	"github.com/sessionguard/sessionguard/server/store/redis"
	"github.com/sessionguard/sessionguard/server/store/storetest"
)

// eventWait bounds how long a test waits for something to cross the
// channel; the bound the cache keeps is far below it.
const eventWait = 5 * time.Second

// backend is a shared store's server: setup gives a test its URL and a
// function that opens a store on one fresh namespace there, at url (the
// server's, or a proxy's in front of it). It skips when the service is
// missing.
type backend struct {
	name  string
	setup func(tb testing.TB) (url string, open opener)
}

// opener opens a store at url on namespace ns ("" for a fresh one).
type opener func(tb testing.TB, url, ns string) store.Store

// namespace returns a fresh namespace (schema, key prefix) of be at url.
func namespace(tb testing.TB, be backend, url string) string {
	if be.name == "postgres" {
		return testenv.PostgresSchema(tb, url)
	}
	return testenv.RedisPrefix(tb, url)
}

var backends = []backend{
	{"postgres", func(tb testing.TB) (string, opener) {
		url := testenv.Postgres(tb)
		return url, func(tb testing.TB, url, ns string) store.Store {
			if ns == "" {
				ns = testenv.PostgresSchema(tb, url)
			}
			s, err := postgres.Open(tb.Context(), url, postgres.WithSchema(ns), postgres.WithQueryTimeout(2*time.Second))
			require.NoError(tb, err)
			return s
		}
	}},
	{"redis", func(tb testing.TB) (string, opener) {
		url := testenv.Redis(tb)
		return url, func(tb testing.TB, url, ns string) store.Store {
			if ns == "" {
				ns = testenv.RedisPrefix(tb, url)
			}
			s, err := redis.Open(tb.Context(), url, redis.WithPrefix(ns), redis.WithQueryTimeout(2*time.Second))
			require.NoError(tb, err)
			return s
		}
	}},
}

// shared wraps s in a shared cache that the test closes.
func shared(tb testing.TB, s store.Store, opts ...cache.Option) *cache.Store {
	c, err := cache.NewShared(s, 0, opts...)
	require.NoError(tb, err)
	tb.Cleanup(func() { c.Close() })
	return c
}

// current waits until c serves from memory.
func current(t *testing.T, c *cache.Store, why string) {
	t.Helper()
	require.Eventually(t, func() bool { return c.Stats().Current }, eventWait, 10*time.Millisecond, why)
}

func TestSharedConformanceOverMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		c, err := cache.NewShared(memory.New(), 0)
		require.NoError(t, err)
		return c
	})
}

func TestSharedConformance(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			url, open := be.setup(t)
			// The cache listens on a connection of its own, so that the
			// store under test starts listening at the suite's first
			// Subscribe, as it does alone: a store that listens already
			// may hand a new subscription an event published just before
			// it (still on its way), which the suite's no-replay case
			// refuses.
			storetest.Run(t, func(t *testing.T) store.Store {
				ns := namespace(t, be, url)
				channel := open(t, url, ns)
				t.Cleanup(func() { channel.Close() })
				c, err := cache.NewShared(open(t, url, ns), 0, cache.WithEvents(channel))
				require.NoError(t, err)
				return c
			})
		})
	}
}

// TestSharedWritesReachTheOtherInstance: a and b are two instances on one
// store; what a revokes, b stops serving from its cache.
func TestSharedWritesReachTheOtherInstance(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			url, open := be.setup(t)
			ctx := t.Context()
			ns := namespace(t, be, url)
			a, b := shared(t, open(t, url, ns)), shared(t, open(t, url, ns))
			current(t, b, "b's heartbeat comes back")
			t0 := time.Now()
			gone := func(h []byte) func() bool {
				return func() bool {
					_, found, err := b.Session(ctx, h, t0)
					return err == nil && !found
				}
			}

			one, other := record(t0, "ada"), record(t0, "ada")
			require.NoError(t, a.CreateSession(ctx, one))
			require.NoError(t, a.CreateSession(ctx, other))
			for range 3 {
				_, found, err := b.Session(ctx, one.IDHash, t0)
				require.NoError(t, err)
				require.True(t, found)
			}
			require.NoError(t, a.DeleteSession(ctx, one.IDHash))
			assert.Eventually(t, gone(one.IDHash), eventWait, 5*time.Millisecond, "a session deleted on a, on b")

			_, found, err := b.Session(ctx, other.IDHash, t0)
			require.NoError(t, err)
			require.True(t, found)
			_, err = a.DeleteUserSessions(ctx, "ada")
			require.NoError(t, err)
			assert.Eventually(t, gone(other.IDHash), eventWait, 5*time.Millisecond, "a user's sessions deleted on a, on b")

			revoked := func(user string, iat time.Time, id string) func() bool {
				return func() bool {
					r, err := b.Revoked(ctx, user, iat, t0, id)
					return err == nil && r
				}
			}
			require.False(t, revoked("bob", t0, "jti-1")(), "nothing denied yet")
			require.NoError(t, a.Deny(ctx, "jti-1", t0.Add(time.Hour)))
			assert.Eventually(t, revoked("bob", t0, "jti-1"), eventWait, 5*time.Millisecond, "an id denied on a, on b")
			require.NoError(t, a.SetUserValidAfter(ctx, "bob", t0.Add(time.Second)))
			assert.Eventually(t, revoked("bob", t0, "jti-2"), eventWait, 5*time.Millisecond, "valid-after moved on a, on b")
			assert.NotZero(t, b.Stats().Hits, "b served reads from memory")
		})
	}
}

// TestSharedBypassesADownOrSlowChannel takes b's channel away (cut, then
// slowed) while its store answers: b must then read the store, so that a
// revocation on a holds on b at once; once the channel is back, b's cache
// serves again, emptied first.
func TestSharedBypassesADownOrSlowChannel(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			url, open := be.setup(t)
			ctx := t.Context()
			proxy := testenv.NewProxy(t, testenv.HostPort(t, url))
			ns := namespace(t, be, url)
			channel := open(t, proxy.URL(t, url), ns)
			t.Cleanup(func() { channel.Close() })
			a := shared(t, open(t, url, ns))
			b := shared(t, open(t, url, ns), cache.WithEvents(channel))

			for _, fault := range []struct {
				name string
				make func()
			}{
				{"cut", proxy.Cut},
				{"slow", func() { proxy.Slow(3 * cache.DefaultBound) }},
			} {
				t.Run(fault.name, func(t *testing.T) {
					current(t, b, "b's heartbeat comes back")
					t0 := time.Now()
					s := record(t0, "ada")
					require.NoError(t, a.CreateSession(ctx, s))
					_, found, err := b.Session(ctx, s.IDHash, t0)
					require.NoError(t, err)
					require.True(t, found, "b reads the session, and keeps it")

					fault.make()
					require.Eventually(t, func() bool { return !b.Stats().Current }, eventWait, 10*time.Millisecond,
						"b stops using its cache")
					// a's invalidation cannot reach b now (a publishes
					// on a channel of its own, which works).
					require.NoError(t, a.DeleteSession(ctx, s.IDHash))
					_, found, err = b.Session(ctx, s.IDHash, t0)
					require.NoError(t, err)
					assert.False(t, found, "a revocation on a holds on b at once while b's channel is %s", fault.name)

					flushes := b.Stats().Flushes
					proxy.Restore()
					current(t, b, "b's cache serves again once the channel is back")
					assert.Greater(t, b.Stats().Flushes, flushes, "the cache was emptied before it served again")
					kept := record(t0, "ada")
					require.NoError(t, a.CreateSession(ctx, kept))
					hits := b.Stats().Hits
					for range 3 {
						_, found, err = b.Session(ctx, kept.IDHash, t0)
						require.NoError(t, err)
						require.True(t, found)
					}
					assert.Greater(t, b.Stats().Hits, hits, "reads served from memory again")
				})
			}
		})
	}
}

// TestSharedSubscribersSkipTheCachesTraffic: heartbeats and invalidations
// stay between the caches.
func TestSharedSubscribersSkipTheCachesTraffic(t *testing.T) {
	c, err := cache.NewShared(memory.New(), 0, cache.WithHeartbeat(5*time.Millisecond, 0))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch, err := c.Subscribe(ctx)
	require.NoError(t, err)
	require.NoError(t, c.DeleteSession(ctx, record(time.Now(), "ada").IDHash)) // an invalidation
	time.Sleep(50 * time.Millisecond)                                          // ten heartbeats
	require.NoError(t, c.Publish(ctx, store.Event{Type: store.EventRevoked, UserID: "ada", At: time.Now()}))
	e := <-ch
	assert.Equal(t, store.EventRevoked, e.Type, "the first event a subscriber sees")
}

// tightEvents is a channel whose subscription holds one event: every event
// a reader takes comes from a full buffer.
type tightEvents struct{ ch chan store.Event }

func (e tightEvents) Publish(context.Context, store.Event) error { return nil }
func (e tightEvents) Subscribe(ctx context.Context) (<-chan store.Event, error) {
	context.AfterFunc(ctx, func() { close(e.ch) })
	return e.ch, nil
}

// TestSharedFlushesWhenEventsMayBeLost: an event taken from a full buffer
// means the channel may have dropped the ones after it, so the cache starts
// again from the store.
func TestSharedFlushesWhenEventsMayBeLost(t *testing.T) {
	ev := tightEvents{make(chan store.Event, 1)}
	c := shared(t, memory.New(), cache.WithEvents(ev))
	for i := range 3 {
		ev.ch <- store.Event{Type: store.EventRevoked, UserID: "ada", At: time.Now()}
		require.Eventually(t, func() bool { return c.Stats().Flushes >= uint64(i+1) }, eventWait, time.Millisecond,
			"flush %d", i+1)
	}
}

// TestSharedDenyOfAForgottenIDLearnsNothing: a deny of an id whose entry the
// cache has dropped (a flush here; its own invalidation coming back does the
// same) must not take the time it wrote for the id's: the store keeps the
// later of two denials, and the cache no longer knows the first.
func TestSharedDenyOfAForgottenIDLearnsNothing(t *testing.T) {
	ctx := t.Context()
	ev := &echoEvents{ch: make(chan store.Event, 64)}
	c := shared(t, memory.New(), cache.WithEvents(ev))
	current(t, c, "the heartbeat comes back")
	t0 := time.Now()
	require.NoError(t, c.Deny(ctx, "jti-1", t0.Add(2*time.Hour)))
	flushes := c.Stats().Flushes
	require.NoError(t, ev.Publish(ctx, store.Event{Type: store.EventResync}))
	require.Eventually(t, func() bool { return c.Stats().Flushes > flushes }, eventWait, time.Millisecond, "the cache is flushed")
	current(t, c, "the heartbeat comes back after the flush")

	require.NoError(t, c.Deny(ctx, "jti-1", t0.Add(time.Hour)))
	hits := c.Stats().Hits
	revoked, err := c.Revoked(ctx, "ada", t0, t0.Add(2*time.Hour-time.Millisecond), "jti-1")
	require.NoError(t, err)
	assert.True(t, revoked, "denied until the later of the two times")
	assert.Greater(t, c.Stats().Hits, hits, "the check was served by the cache")
}

// echoEvents is a channel that hands every event published on it back to
// its subscription, as a store's channel does; a test may publish events no
// store would (a resync).
type echoEvents struct {
	mu     sync.Mutex
	closed bool
	ch     chan store.Event
}

func (e *echoEvents) Publish(_ context.Context, ev store.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.closed {
		select {
		case e.ch <- ev:
		default: // full: dropped, as a store's channel drops
		}
	}
	return nil
}

func (e *echoEvents) Subscribe(ctx context.Context) (<-chan store.Event, error) {
	context.AfterFunc(ctx, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.closed = true
		close(e.ch)
	})
	return e.ch, nil
}

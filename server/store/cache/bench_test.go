package cache_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/cache"
	"github.com/sessionguard/sessionguard/server/store/memory"
)

// BenchmarkPropagation measures how long after DeleteSession returns on
// instance a the other instance, b, stops serving the session from its
// cache, on each shared backend: the time for the invalidation to cross the
// channel. It reports the median and the 99th percentile (p50-ms, p99-ms)
// over the iterations; run with -benchtime 300x or more for a p99.
func BenchmarkPropagation(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			url, open := be.setup(b)
			ns := namespace(b, be, url)
			a, bb := shared(b, open(b, url, ns)), shared(b, open(b, url, ns))
			require.Eventually(b, func() bool { return bb.Stats().Current }, eventWait, 10*time.Millisecond)
			ctx := context.Background()
			t0 := time.Now()
			var took []time.Duration
			for b.Loop() {
				s := record(t0, "ada")
				require.NoError(b, a.CreateSession(ctx, s))
				if _, found, err := bb.Session(ctx, s.IDHash, t0); err != nil || !found {
					b.Fatalf("b: found=%v err=%v", found, err)
				}
				require.NoError(b, a.DeleteSession(ctx, s.IDHash))
				back := time.Now()
				// Served from memory until the invalidation arrives; then
				// read from the store, once.
				for {
					_, found, err := bb.Session(ctx, s.IDHash, t0)
					require.NoError(b, err)
					if !found {
						break
					}
					runtime.Gosched()
					if time.Since(back) > eventWait {
						b.Fatal("the invalidation never came")
					}
				}
				took = append(took, time.Since(back))
			}
			slices.Sort(took)
			ms := func(q float64) float64 {
				return float64(took[int(q*float64(len(took)-1))]) / float64(time.Millisecond)
			}
			b.ReportMetric(ms(0.5), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
			b.ReportMetric(ms(1), "max-ms")
		})
	}
}

// noStore is a store that keeps nothing: what the cache holds is all there
// is on the heap.
type noStore struct{ store.Store }

func (noStore) CreateSession(context.Context, store.Session) error { return nil }

// BenchmarkBytesPerSession measures the memory a cached session record
// takes (bytes/session), with a record as sign-in makes it: a 26-byte user
// id, e-mail, name, role, client address and a 110-byte user agent. Run it
// with -benchtime 1x: each iteration fills a cache of 100 000.
func BenchmarkBytesPerSession(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		c := cache.New(noStore{}, n)
		t0 := time.Now()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range n {
			s := record(t0, fmt.Sprintf("user-%021d", i))
			s.AAL, s.AuthenticatedAt = store.AAL1, t0
			s.ClientAddr = fmt.Sprintf("203.0.113.%d", i%256)
			s.UserAgent = strings.Clone("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
			require.NoError(b, c.CreateSession(context.Background(), s))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/session")
		runtime.KeepAlive(c)
	}
}

// userStore is noStore that also takes the deletion of a user's sessions.
type userStore struct{ noStore }

func (userStore) DeleteUserSessions(context.Context, string) (int, error) { return 0, nil }

// BenchmarkDeleteUserSessions measures ending one user's sessions in a
// full cache of 100 000 (ten per user): what every revocation of a user,
// disable or role change costs the cache, under its write lock while
// every status check waits.
func BenchmarkDeleteUserSessions(b *testing.B) {
	const n = 100_000
	c := cache.New(userStore{}, n)
	t0 := time.Now()
	for i := range n {
		require.NoError(b, c.CreateSession(context.Background(), record(t0, fmt.Sprintf("user-%d", i/10))))
	}
	i := 0
	for b.Loop() {
		user := fmt.Sprintf("user-%d", i%(n/10))
		i++
		if _, err := c.DeleteUserSessions(context.Background(), user); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		for range 10 { // put them back, outside the timing
			require.NoError(b, c.CreateSession(context.Background(), record(t0, user)))
		}
		b.StartTimer()
	}
}

// BenchmarkHit is what a status check asks of the cache: a cached
// session read, and a jwt revocation check of two ids already known, from
// one goroutine and from one per processor on the same session.
func BenchmarkHit(b *testing.B) {
	c := cache.New(memory.New(), 0)
	ctx := context.Background()
	t0 := time.Now()
	s := record(t0, "ada")
	require.NoError(b, c.CreateSession(ctx, s))
	_, err := c.Revoked(ctx, "ada", t0, t0, "sid", "family")
	require.NoError(b, err)
	for _, r := range []struct {
		name string
		f    func() error
	}{
		{"session", func() error {
			if _, found, err := c.Session(ctx, s.IDHash, t0); err != nil || !found {
				return fmt.Errorf("found=%v err=%v", found, err)
			}
			return nil
		}},
		{"revoked", func() error {
			if revoked, err := c.Revoked(ctx, "ada", t0, t0, "sid", "family"); err != nil || revoked {
				return fmt.Errorf("revoked=%v err=%v", revoked, err)
			}
			return nil
		}},
	} {
		b.Run(r.name+"/serial", func(b *testing.B) {
			for b.Loop() {
				if err := r.f(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(r.name+"/parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := r.f(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

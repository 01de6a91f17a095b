package auth_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/users"
)

// BenchmarkStatusDuringSignIns measures the status check's latency over
// loopback while nothing else runs, then during a burst of 200 parallel
// sign-ins with the real argon2id costs (users.DefaultParams), on the
// default store (SQLite in a locked directory). It reports the p99 of
// each and their ratio; the target is a burst p99 within 5× the resting
// one. The sub-benchmarks differ in how many hashes run at once: the
// default (half the CPUs) and every CPU. Run it once per sub-benchmark:
//
//	go test -run '^$' -bench StatusDuringSignIns -benchtime 1x ./server/auth
func BenchmarkStatusDuringSignIns(b *testing.B) {
	for _, tc := range []struct {
		name  string
		slots int
	}{
		{"slots=default", 0},
		{fmt.Sprintf("slots=%d(all CPUs)", runtime.GOMAXPROCS(0)), runtime.GOMAXPROCS(0)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				statusUnderSignIns(b, tc.slots)
			}
		})
	}
}

func statusUnderSignIns(b *testing.B, slots int) {
	const burst = 200
	a, err := app.New(b.Context(), app.Options{
		Store: exclusiveSQLite(b), HashConcurrency: slots, // PasswordParams: the real costs
		Accounts: []users.NewAccount{{Email: "user@example.com", Name: "Demo User", Role: "user", Password: "user-password"}},
	})
	require.NoError(b, err)
	defer a.Close()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64

	signIn := func() int {
		r, err := client.Post(srv.URL+"/api/auth/signin", "application/json",
			strings.NewReader(`{"email":"user@example.com","password":"user-password"}`))
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		return r.StatusCode
	}
	req, err := http.NewRequest("GET", srv.URL+"/api/get-session-status", nil)
	require.NoError(b, err)
	r, err := client.Post(srv.URL+"/api/auth/signin", "application/json",
		strings.NewReader(`{"email":"user@example.com","password":"user-password"}`))
	require.NoError(b, err)
	r.Body.Close()
	require.Equal(b, http.StatusOK, r.StatusCode)
	for _, ck := range r.Cookies() {
		req.AddCookie(ck)
	}

	// Four pages' worth of status checks, back to back, the whole time;
	// each latency is filed under the phase it started in.
	var (
		phase    atomic.Int32 // 0 rest, 1 burst, 2 done
		mu       sync.Mutex
		lat      [2][]time.Duration
		checkers sync.WaitGroup
	)
	for range 4 {
		checkers.Go(func() {
			for {
				p := phase.Load()
				if p == 2 {
					return
				}
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(start)
				mu.Lock()
				lat[p] = append(lat[p], d)
				mu.Unlock()
			}
		})
	}
	time.Sleep(2 * time.Second)
	phase.Store(1)
	var (
		signIns sync.WaitGroup
		ok      atomic.Int64
	)
	start := time.Now()
	for range burst {
		signIns.Go(func() {
			if signIn() == http.StatusOK {
				ok.Add(1)
			}
		})
	}
	signIns.Wait()
	took := time.Since(start)
	phase.Store(2)
	checkers.Wait()

	rest, during := percentile(lat[0], 99), percentile(lat[1], 99)
	b.ReportMetric(float64(rest.Microseconds()), "rest-p99-µs")
	b.ReportMetric(float64(during.Microseconds()), "burst-p99-µs")
	b.ReportMetric(float64(during)/float64(rest), "ratio")
	b.ReportMetric(float64(ok.Load()), "sign-ins-ok")
	b.ReportMetric(took.Seconds(), "burst-s")
	b.ReportMetric(float64(len(lat[1])), "checks-in-burst")
}

// percentile is the q-th percentile of d (0 for none).
func percentile(d []time.Duration, q int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)*q/100]
}

package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/users"
	"github.com/sessionguard/sessionguard/wire"
)

func TestParseStat(t *testing.T) {
	// A command name with spaces and a parenthesis, as /proc prints it;
	// utime 250 and stime 130 ticks.
	line := "4242 (my (odd) server) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 130 0 0 20 0 12 0 5000 1000000 2000 18446744073709551615\n"
	got, ok := parseStat(line)
	require.True(t, ok)
	assert.InDelta(t, 3.8, got, 1e-9)

	for _, bad := range []string{"", "4242 no parenthesis 1 2 3", "4242 (x) S 1 2", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u s"} {
		_, ok := parseStat(bad)
		assert.False(t, ok, "%q", bad)
	}
}

func TestCPUSecondsOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here: loadcmp reports no CPU per request on this system")
	}
	before, ok := cpuSeconds(os.Getpid())
	require.True(t, ok)
	// Spin until the clock ticks over (10 ms of CPU), for at most 10 s.
	after := before
	for end := time.Now().Add(10 * time.Second); after == before && time.Now().Before(end); {
		after, ok = cpuSeconds(os.Getpid())
		require.True(t, ok)
	}
	assert.Greater(t, after, before, "spinning shows as CPU time")
}

// TestSameHandlerSendsWhatTheStatusAnswerSends: the anchor with
// sessionguard's settings answers with the header names and body of the
// signed-in status answer of the server the sessionguard command runs
// (app.New, default strategy), so the two differ in what the check does.
func TestSameHandlerSendsWhatTheStatusAnswerSends(t *testing.T) {
	s, err := app.New(t.Context(), app.Options{
		Store: memory.New(), Accounts: app.DemoAccounts,
		PasswordParams: users.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
	})
	require.NoError(t, err)
	defer s.Close()
	sg := httptest.NewServer(s.Handler())
	defer sg.Close()
	cookie, err := signIn(sg.URL)
	require.NoError(t, err)

	names := func(url, cookie string) ([]string, string) {
		req, _ := http.NewRequest("GET", url+wire.PathStatus, nil)
		req.Header.Set("Cookie", cookie)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var n []string
		for k := range resp.Header {
			n = append(n, k)
		}
		slices.Sort(n)
		return n, string(b)
	}
	wantNames, wantBody := names(sg.URL, cookie)
	require.Contains(t, wantNames, "Sg-Session-Expires", "signed in")

	same := httptest.NewServer(sameHandler)
	defer same.Close()
	gotNames, gotBody := names(same.URL, cookie)
	assert.Equal(t, wantNames, gotNames)
	assert.JSONEq(t, wantBody, gotBody)
}

func TestMedian(t *testing.T) {
	assert.Zero(t, median(nil))
	assert.Equal(t, 3.0, median([]float64{5, 3, 1}))
	assert.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
	xs := []float64{3, 1, 2}
	median(xs)
	assert.Equal(t, []float64{3, 1, 2}, xs, "the rounds keep their order")
}

func TestMedianLinePairsEachRound(t *testing.T) {
	bare := &target{rounds: []float64{100, 50, 100}, cpus: []float64{10e-6, 20e-6, 10e-6}}
	mx := &target{rounds: []float64{90, 45, 95}, cpus: []float64{11e-6, 22e-6, 11e-6}}
	same := &target{rounds: []float64{95, 40, 90}, cpus: []float64{10.5e-6, 25e-6, 11e-6}}
	// A busy second round halves everything; paired with its own round's
	// anchor it still reads 0.90×.
	// A round whose CPU time could not be read (0) is left out of its median.
	sg := &target{rounds: []float64{80, 45, 85}, cpus: []float64{12e-6, 22e-6, 0}}
	got := medianLine(bare, mx, same, sg)
	assert.Equal(t, "median of the 3 rounds: sessionguard ÷ bare 0.85× (gorilla/mux 0.90×, same settings and headers 0.90×, sessionguard ÷ same settings and headers 0.94×); "+
		"server CPU per request: bare 10.0 µs, gorilla/mux 11.0 µs, same settings and headers 11.0 µs, sessionguard 17.0 µs", got)
}

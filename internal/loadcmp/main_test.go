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

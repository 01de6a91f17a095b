package main

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

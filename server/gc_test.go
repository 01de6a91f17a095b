package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gcSetting reads the collector's GOGC setting and heap goal, after a
// collection so the floor has tuned them for the heap as it is.
func gcSetting(t *testing.T) (percent int, goal uint64) {
	t.Helper()
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return int(int64(s[0].Value.Uint64())), s[1].Value.Uint64()
}

func gogc(t *testing.T) int {
	t.Helper()
	p, _ := gcSetting(t)
	return p
}

func TestServerRaisesTheCollectorsFloorByDefault(t *testing.T) {
	require.Equal(t, 100, gogc(t), "run the tests with GOGC unset")
	t.Run("default", func(t *testing.T) {
		startServer(t, "-store", "memory")
		percent, goal := gcSetting(t)
		assert.Greater(t, percent, 100)
		assert.InDelta(t, 32<<20, float64(goal), 2<<20, "heap goal at the 32 MiB floor (GOGC %d)", percent)
	})
	assert.Equal(t, 100, gogc(t), "a server that stopped leaves Go's default")
	t.Run("off", func(t *testing.T) {
		startServer(t, "-store", "memory", "-gc-floor-mib", "0")
		assert.Equal(t, 100, gogc(t))
	})
}

func TestGOGCInTheEnvironmentWins(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-addr", addr, "-store", "memory", "-static", staticDir(t)}, envMap(map[string]string{"GOGC": "100"}), nil, io.Discard, &logs)
	}()
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, 100, gogc(t), "the operator's GOGC holds")
	cancel()
	assert.Equal(t, 0, <-done)
	assert.True(t, strings.Contains(logs.String(), "GOGC is set, so -gc-floor-mib is not applied"), logs.String())
}

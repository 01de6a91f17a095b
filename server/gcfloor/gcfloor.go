// Package gcfloor keeps the garbage collector from running while the heap is
// still small: it lets the heap grow to a floor (say 32 MiB) before each
// collection, where Go's default collects at 4 MiB, and leaves Go's default
// (GOGC=100) alone once the live heap is large enough to set a higher goal
// by itself.
//
// A server like sessionguard keeps a small live heap (its caches, compiled
// patterns and connection buffers: about a megabyte) and allocates a few
// kilobytes per request, almost all of it in net/http. At Go's 4 MiB
// minimum it collects every thousand requests or so, and every collection
// marks the whole live heap again: at tens of thousands of requests a second
// that is a tenth of the server's CPU. With a 32 MiB floor it collects ten
// times less often, for some 30 MiB more memory at most.
//
// It does this with the collector's own settings and nothing else: after
// every collection it reads the live heap from runtime/metrics and sets
// GOGC (debug.SetGCPercent) to the largest value whose heap goal stays at or
// under the floor, never under 100. This is the "minimum heap" Go has no
// setting for (golang/go#23044), done without a heap ballast, so memory
// statistics stay true.
//
// A high GOGC multiplies whatever the next collection finds live: should a
// burst (a sign-in's 19 MiB argon2id buffer) be live just then, the goal the
// runtime sets from it is up to nine times that, until the tuner runs again
// after the collection. So while the floor holds, the tuner also sets a
// memory limit (debug.SetMemoryLimit) of twice the floor above the runtime's
// other memory: the collector then runs at that limit at the latest, and the
// tuner, seeing the burst live, goes back to Go's default and lifts the
// limit. A GOMEMLIMIT of the operator's is never raised.
package gcfloor

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// minHeap is the runtime's heap minimum at GOGC=100 (defaultHeapMinimum in
// runtime/mgcpacer.go). The runtime scales it by GOGC/100 and never sets a
// heap goal below it, so it bounds the percent that keeps the goal at the
// floor however small the heap.
const minHeap = 4 << 20

// basePercent is Go's default GOGC, kept whenever the floor asks for less.
const basePercent = 100

// floorPercent returns the GOGC value that puts the heap goal at floor
// bytes for a heap whose last collection found live bytes of live objects
// and scanned extra bytes of goroutine stacks and globals: the largest value
// whose goal,
//
//	max(minHeap × p/100, live + (live + extra) × p/100)
//
// (the runtime's formula in runtime/mgcpacer.go) is at most floor; 0 when
// the live heap alone reaches the floor. The tuner never sets less than 100.
func floorPercent(floor, live, extra uint64) int {
	if floor <= live {
		return 0
	}
	// The largest p with minHeap×p/100 ≤ floor, and with
	// (live+extra)×p/100 ≤ floor−live, in the runtime's integer division.
	p := (basePercent*(floor+1) - 1) / minHeap
	if scan := live + extra; scan > 0 {
		p = min(p, (basePercent*(floor-live+1)-1)/scan)
	}
	return int(min(p, 1<<30)) // GOGC is an int32 in the runtime
}

// tuner re-sets GOGC after every collection while it runs.
type tuner struct {
	floor       uint64
	before      int   // GOGC when Start was called, restored by stop
	beforeLimit int64 // the memory limit then (GOMEMLIMIT; math.MaxInt64 for none)
	stopped     atomic.Bool

	mu      sync.Mutex // one tune at a time (Start's and the cleanup's)
	samples []metrics.Sample
}

// running is the tuner of the process, if one runs: GOGC is one setting.
var running atomic.Bool

// Start keeps the heap goal at floor bytes or above until stop is called,
// which restores the GOGC value it found. A floor of 4 MiB or less changes
// nothing (that is Go's own minimum); nor does a process whose GOGC is off,
// or a Start while another one's floor holds.
func Start(floor uint64) (stop func()) {
	before := currentPercent()
	if floor <= minHeap || before < 0 || !running.CompareAndSwap(false, true) {
		return func() {}
	}
	t := &tuner{
		floor: floor,
		samples: []metrics.Sample{
			{Name: "/gc/heap/live:bytes"},
			{Name: "/gc/scan/stack:bytes"},
			{Name: "/gc/scan/globals:bytes"},
			{Name: "/memory/classes/total:bytes"},
			{Name: "/memory/classes/heap/released:bytes"},
			{Name: "/memory/classes/heap/objects:bytes"},
			{Name: "/memory/classes/heap/free:bytes"},
			{Name: "/memory/classes/heap/unused:bytes"},
		},
	}
	t.before = before
	t.beforeLimit = debug.SetMemoryLimit(-1) // reads it
	t.tune()
	t.arm()
	var once sync.Once
	return func() {
		once.Do(func() {
			t.stopped.Store(true)
			t.mu.Lock()
			defer t.mu.Unlock()
			debug.SetGCPercent(t.before)
			debug.SetMemoryLimit(t.beforeLimit)
			running.Store(false)
		})
	}
}

// arm asks the runtime to call tune once the collector has found a fresh
// object unreachable, which it does at the next collection (or the one
// after, for an object allocated while one is marking); tune arms again.
func (t *tuner) arm() {
	sentinel := new([32]byte) // over 16 bytes: the tiny allocator would batch it
	runtime.AddCleanup(sentinel, func(t *tuner) {
		if !t.stopped.Load() {
			t.tune()
			t.arm()
		}
	}, t)
}

// currentPercent reads GOGC without setting it: -1 when it is off.
func currentPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(int64(s[0].Value.Uint64()))
}

// tune sets GOGC for the live heap the last collection found.
func (t *tuner) tune() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped.Load() {
		return
	}
	metrics.Read(t.samples)
	v := func(i int) uint64 { return t.samples[i].Value.Uint64() }
	live, extra := v(0), v(1)+v(2)
	p := max(floorPercent(t.floor, live, extra), t.before)
	limit := t.beforeLimit
	if p > t.before {
		// The runtime's memory other than the heap's own (stacks,
		// metadata, buffers), which the limit counts too.
		other := v(3) - min(v(3), v(4)+v(5)+v(6)+v(7))
		limit = min(limit, int64(min(other+2*t.floor, math.MaxInt64/2)))
	}
	// Tighten first, then loosen: never a moment with the new percent and
	// the old limit, or the old percent and no limit.
	debug.SetMemoryLimit(min(limit, debug.SetMemoryLimit(-1)))
	debug.SetGCPercent(min(p, currentPercent()))
	debug.SetMemoryLimit(limit)
	debug.SetGCPercent(p)
}

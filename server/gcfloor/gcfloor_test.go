package gcfloor

import (
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const mib = 1 << 20

// percent is what the tuner sets for a heap, GOGC at 100 otherwise.
func percent(floor, live, extra uint64) int { return max(floorPercent(floor, live, extra), 100) }

// goal is the heap goal the runtime sets at GOGC=p for a heap of live bytes
// with extra bytes of stacks and globals (runtime/mgcpacer.go).
func goal(p int, live, extra uint64) uint64 {
	return max(minHeap*uint64(p)/100, live+(live+extra)*uint64(p)/100)
}

func TestPercentIsTheLargestWhoseGoalFitsTheFloor(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		floor := r.Uint64N(4096*mib) + 1
		live := r.Uint64N(2 * floor)
		extra := r.Uint64N(8 * mib)
		p := percent(floor, live, extra)
		require.GreaterOrEqual(t, p, 100)
		if p == 100 {
			// Even Go's default is over the floor, or only just under it.
			assert.Greater(t, goal(101, live, extra), floor, "floor %d live %d extra %d", floor, live, extra)
			continue
		}
		assert.LessOrEqual(t, goal(p, live, extra), floor, "floor %d live %d extra %d: percent %d", floor, live, extra, p)
		assert.Greater(t, goal(p+1, live, extra), floor, "floor %d live %d extra %d: percent %d is not the largest", floor, live, extra, p)
	}
}

func TestPercentOfKnownHeaps(t *testing.T) {
	for _, c := range []struct {
		name               string
		floor, live, extra uint64
		want               int
	}{
		{"small heap: the runtime's minimum, scaled, sets the goal", 32 * mib, 1 * mib, mib / 4, 800},
		{"a heap that needs less than the minimum's scaling", 32 * mib, 8 * mib, 0, 300},
		{"live heap at half the floor: Go's default reaches it", 32 * mib, 16 * mib, 0, 100},
		{"live heap over the floor", 32 * mib, 64 * mib, mib, 100},
		{"a floor under Go's minimum changes nothing", 2 * mib, 0, 0, 100},
		{"empty heap", 64 * mib, 0, 0, 1600},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, percent(c.floor, c.live, c.extra))
		})
	}
}

// gcState reads what the collector was last told and did.
func gcState() (percent int, goal, cycles uint64) {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/heap/goal:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return int(int64(s[0].Value.Uint64())), s[1].Value.Uint64(), s[2].Value.Uint64()
}

// settle runs collections until the tuner has seen one, so the goal is the
// one the floor sets for the heap as it now is.
func settle(t *testing.T, want func(percent int, goal uint64) bool) (percent int, goal uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(5 * time.Millisecond) // the cleanup runs on its own goroutine
		if percent, goal, _ = gcState(); want(percent, goal) {
			return percent, goal
		}
	}
	t.Fatalf("the collector did not settle: GOGC %d, goal %d bytes", percent, goal)
	return
}

var sink []byte

// churn allocates n bytes of garbage in 16 KiB pieces.
func churn(n int) {
	for i := 0; i < n; i += 16 << 10 {
		sink = make([]byte, 16<<10)
	}
	sink = nil
}

func TestFloorSetsTheGoalAndCollectsLessOften(t *testing.T) {
	before, _, _ := gcState()
	require.Equal(t, 100, before, "run with GOGC unset")

	// Go's default on this small heap: a goal of about 4 MiB.
	_, goal := settle(t, func(p int, _ uint64) bool { return p == 100 })
	assert.Less(t, goal, uint64(8*mib))
	_, _, c0 := gcState()
	churn(256 * mib)
	_, _, c1 := gcState()
	without := c1 - c0

	stop := Start(32 * mib)
	defer stop()
	percent, goal := settle(t, func(p int, g uint64) bool { return p > 100 })
	assert.InDelta(t, 32*mib, float64(goal), 2*mib, "heap goal with the floor (GOGC %d)", percent)
	_, _, c0 = gcState()
	churn(256 * mib)
	_, _, c1 = gcState()
	with := c1 - c0
	t.Logf("collections for 256 MiB of garbage: %d at Go's default, %d with a 32 MiB floor", without, with)
	// About ten times less often on an idle machine (86 against 8-9). A
	// busy one slows the concurrent mark, and the heap outgrows the goal
	// further before each collection ends: 29 against 10 was seen with
	// another test binary on the two cores.
	assert.Less(t, with*2, without, "the floor should collect at least twice less often")

	stop()
	percent, _ = settle(t, func(p int, _ uint64) bool { return true })
	assert.Equal(t, 100, percent, "stop restores GOGC")
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	percent, _, _ = gcState()
	assert.Equal(t, 100, percent, "nothing tunes after stop")
}

func TestLargeLiveHeapKeepsGoDefault(t *testing.T) {
	stop := Start(32 * mib)
	defer stop()
	settle(t, func(p int, _ uint64) bool { return p > 100 })

	live := make([]byte, 48*mib) // live through the settle below
	for i := range live {
		live[i] = 1 // touched, so it is really there; the runtime counts it either way
	}
	percent, goal := settle(t, func(p int, _ uint64) bool { return p == 100 })
	assert.Equal(t, 100, percent)
	assert.Greater(t, goal, uint64(96*mib), "goal is Go's own: twice the live heap")
	runtime.KeepAlive(live)
}

func TestOffAndSmallFloorsChangeNothing(t *testing.T) {
	old := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(old)
	stop := Start(32 * mib)
	percent, _, _ := gcState()
	assert.Equal(t, -1, percent, "GOGC=off stays off")
	stop()
	debug.SetGCPercent(old)

	stop = Start(4 * mib)
	defer stop()
	percent, _ = settle(t, func(int, uint64) bool { return true })
	assert.Equal(t, 100, percent)
}

func TestOneFloorAtATime(t *testing.T) {
	stop := Start(32 * mib)
	second := Start(64 * mib)
	_, goal := settle(t, func(p int, _ uint64) bool { return p > 100 })
	assert.InDelta(t, 32*mib, float64(goal), 2*mib, "the first floor holds")
	second()
	percent, _, _ := gcState()
	assert.Greater(t, percent, 100, "the second stop leaves the first floor")
	stop()
	percent, _, _ = gcState()
	assert.Equal(t, 100, percent)
}

var held []byte

// A burst of live memory that a collection finds while GOGC is high would
// set a heap goal of up to nine times the burst; the memory limit the floor
// sets keeps the goal within twice the floor of the rest, as Go's default
// would for such a burst. Without the limit this reached 175–239 MiB.
func TestBurstsDoNotMultiplyTheGoal(t *testing.T) {
	stop := Start(32 * mib)
	defer stop()
	settle(t, func(p int, _ uint64) bool { return p > 100 })
	var maxGoal uint64
	for i := range 200_000 {
		switch i % 2000 {
		case 0:
			held = make([]byte, 19*mib) // a sign-in's argon2id buffer
		case 1000:
			held = nil
		}
		sink = make([]byte, 4096)
		_, goal, _ := gcState()
		maxGoal = max(maxGoal, goal)
	}
	held = nil
	t.Logf("highest heap goal: %d MiB", maxGoal/mib)
	assert.Less(t, maxGoal, uint64(96*mib))
}

func TestTheOperatorsMemoryLimitHolds(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(20 * mib))
	stop := Start(32 * mib)
	settle(t, func(p int, _ uint64) bool { return p > 100 })
	assert.Equal(t, int64(20*mib), debug.SetMemoryLimit(-1), "never raised")
	stop()
	assert.Equal(t, int64(20*mib), debug.SetMemoryLimit(-1))

	debug.SetMemoryLimit(math.MaxInt64)
	stop = Start(32 * mib)
	settle(t, func(p int, _ uint64) bool { return p > 100 })
	assert.Less(t, debug.SetMemoryLimit(-1), int64(2*32*mib+32*mib), "a limit of twice the floor over the rest while the floor holds")
	stop()
	assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1), "stop restores it")
}

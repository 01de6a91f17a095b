package metrics

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The status check is the hot path, and every one of them counts its
// outcome and observes its session read in the store-latency histogram.
// With Prometheus' own counters and histograms each of those is an atomic
// write to a cache line that all cores share, so on a busy server the line
// travels from core to core with every check. The status outcomes and the
// store latencies are therefore counted in stripes instead: a sync.Pool
// hands each processor a stripe of its own, where it counts without
// sharing, and a scrape adds the stripes up. BenchmarkHotCounting measures
// both ways.

// Outcome is the answer a status check gave.
type Outcome int

// The status check outcomes, the label values of
// sessionguard_status_checks_total.
const (
	SignedIn Outcome = iota
	Anonymous
	StatusError
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"signed_in", "anonymous", "error"}

// Op is a session operation on the store.
type Op int

// The store operations, the label values of
// sessionguard_session_store_seconds.
const (
	OpLoad Op = iota
	OpIssue
	OpRefresh
	OpRevoke
	numOps
)

var opNames = [numOps]string{"load", "issue", "refresh", "revoke"}

// storeBuckets are the histogram's upper bounds (in seconds, as exposed;
// Prometheus buckets hold the observations at or below their bound).
var storeBuckets = [...]float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// storeBounds are storeBuckets as durations, what Since compares with.
var storeBounds = func() [len(storeBuckets)]time.Duration {
	var b [len(storeBuckets)]time.Duration
	for i, s := range storeBuckets {
		b[i] = time.Duration(s*1e9 + 0.5)
	}
	return b
}()

// stripe is one processor's counts. Its size is a multiple of 64 bytes, so
// each stripe, allocated on its own, starts and ends on a cache-line
// boundary and shares no line with another.
type stripe struct {
	status [numOutcomes]atomic.Uint64
	ops    [numOps]opCounts
	_      [stripePad]byte
}

// opCounts is one op's histogram: observations per bucket (the last one
// holds those above every bound) and their sum in nanoseconds.
type opCounts struct {
	buckets [len(storeBuckets) + 1]atomic.Uint64
	sumNs   atomic.Int64
}

const stripePad = 64 - (int(numOutcomes)*8+int(numOps)*(len(storeBuckets)+2)*8)%64

// stripes are the hot-path counts of one Metrics.
type stripes struct {
	all  []*stripe
	next atomic.Uint32
	pool sync.Pool // of *stripe, one of all
}

func newStripes() *stripes {
	// Twice as many stripes as processors: a processor whose pool is
	// empty (its stripe in use by a goroutine that was switched out) takes
	// another, and the pool drops what it holds at collections.
	s := &stripes{all: make([]*stripe, max(8, 2*runtime.GOMAXPROCS(0)))}
	for i := range s.all {
		s.all[i] = new(stripe)
	}
	s.pool.New = func() any { return s.all[int(s.next.Add(1))%len(s.all)] }
	return s
}

func (s *stripes) statusCheck(o Outcome) {
	st := s.pool.Get().(*stripe)
	st.status[o].Add(1)
	s.pool.Put(st)
}

func (s *stripes) observe(op Op, d time.Duration) {
	i := 0
	for i < len(storeBounds) && d > storeBounds[i] {
		i++
	}
	st := s.pool.Get().(*stripe)
	c := &st.ops[op]
	c.buckets[i].Add(1)
	c.sumNs.Add(int64(d))
	s.pool.Put(st)
}

// stripedCollector exposes the stripes as sessionguard_status_checks_total
// and sessionguard_session_store_seconds, the same families Prometheus'
// own counter and histogram vectors would.
type stripedCollector struct {
	s             *stripes
	status, store *prometheus.Desc
}

func newStripedCollector(s *stripes) *stripedCollector {
	return &stripedCollector{
		s: s,
		status: prometheus.NewDesc("sessionguard_status_checks_total",
			"GET /api/get-session-status answers by outcome (signed_in, anonymous, error).", []string{"outcome"}, nil),
		store: prometheus.NewDesc("sessionguard_session_store_seconds",
			"Latency of session operations on the store (load, issue, refresh, revoke), successful or not.", []string{"op"}, nil),
	}
}

func (c *stripedCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.status
	ch <- c.store
}

func (c *stripedCollector) Collect(ch chan<- prometheus.Metric) {
	for o, name := range outcomeNames {
		var n uint64
		for _, st := range c.s.all {
			n += st.status[o].Load()
		}
		ch <- prometheus.MustNewConstMetric(c.status, prometheus.CounterValue, float64(n), name)
	}
	for op, name := range opNames {
		// The count is the sum of the buckets read, so the histogram a
		// scrape sees is consistent even while checks go on.
		var perBucket [len(storeBuckets) + 1]uint64
		var sumNs int64
		for _, st := range c.s.all {
			oc := &st.ops[op]
			for i := range oc.buckets {
				perBucket[i] += oc.buckets[i].Load()
			}
			sumNs += oc.sumNs.Load()
		}
		cumulative := make(map[float64]uint64, len(storeBuckets))
		var count uint64
		for i, n := range perBucket {
			count += n
			if i < len(storeBuckets) {
				cumulative[storeBuckets[i]] = count
			}
		}
		ch <- prometheus.MustNewConstHistogram(c.store, count, float64(sumNs)/1e9, cumulative, name)
	}
}

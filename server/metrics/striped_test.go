package metrics

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// family returns the gathered metric family name of reg.
func family(t *testing.T, reg prometheus.Gatherer, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	t.Fatalf("no family %s", name)
	return nil
}

// labelled returns the metric of mf whose only label has value v.
func labelled(t *testing.T, mf *dto.MetricFamily, v string) *dto.Metric {
	t.Helper()
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == v {
			return m
		}
	}
	t.Fatalf("%s has no series %q", mf.GetName(), v)
	return nil
}

// TestStripedHistogramIsPrometheusOwn: the store-latency histogram gives
// the buckets, count and sum that Prometheus' own histogram gives for the
// same observations, bounds and beyond included.
func TestStripedHistogramIsPrometheusOwn(t *testing.T) {
	m := New()
	ref := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ref", Buckets: storeBuckets[:]})
	refReg := prometheus.NewRegistry()
	refReg.MustRegister(ref)
	var ds []time.Duration
	for _, b := range storeBounds {
		ds = append(ds, b-1, b, b+1)
	}
	ds = append(ds, 0, time.Microsecond, 3*time.Second, time.Hour)
	for _, d := range ds {
		m.hot.observe(OpIssue, d)
		ref.Observe(d.Seconds())
	}

	got := labelled(t, family(t, m.Registry, "sessionguard_session_store_seconds"), "issue").GetHistogram()
	want := family(t, refReg, "ref").GetMetric()[0].GetHistogram()
	assert.Equal(t, want.GetSampleCount(), got.GetSampleCount())
	assert.InDelta(t, want.GetSampleSum(), got.GetSampleSum(), 1e-9)
	require.Len(t, got.GetBucket(), len(want.GetBucket()))
	for i, b := range want.GetBucket() {
		assert.Equal(t, b.GetUpperBound(), got.GetBucket()[i].GetUpperBound())
		assert.Equal(t, b.GetCumulativeCount(), got.GetBucket()[i].GetCumulativeCount(), "le=%v", b.GetUpperBound())
	}
	// Nothing went to another op.
	assert.Zero(t, labelled(t, family(t, m.Registry, "sessionguard_session_store_seconds"), "load").GetHistogram().GetSampleCount())
}

// TestStripedSeriesShowFromTheStart: every outcome and op is exposed, at
// zero, before anything is counted.
func TestStripedSeriesShowFromTheStart(t *testing.T) {
	m := New()
	status := family(t, m.Registry, "sessionguard_status_checks_total")
	assert.Equal(t, dto.MetricType_COUNTER, status.GetType())
	for _, o := range outcomeNames {
		assert.Zero(t, labelled(t, status, o).GetCounter().GetValue())
	}
	store := family(t, m.Registry, "sessionguard_session_store_seconds")
	assert.Equal(t, dto.MetricType_HISTOGRAM, store.GetType())
	for _, op := range opNames {
		assert.Zero(t, labelled(t, store, op).GetHistogram().GetSampleCount())
	}
}

// TestStripedCountsAreExact: checks counted from many goroutines at once
// all arrive, and every scrape taken meanwhile is a valid histogram (its
// buckets rise, and the count is what the buckets hold).
func TestStripedCountsAreExact(t *testing.T) {
	m := New()
	const workers, each = 8, 5000
	stop := make(chan struct{})
	scrapes := make(chan error, 1)
	go func() {
		defer close(scrapes)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := scrapeLoad(m.Registry); err != nil {
				scrapes <- err
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				m.StatusCheck(Outcome(i % int(numOutcomes)))
				m.hot.observe(OpLoad, time.Duration(w*each+i)*time.Microsecond)
			}
		})
	}
	wg.Wait()
	close(stop)
	assert.NoError(t, <-scrapes)

	status := family(t, m.Registry, "sessionguard_status_checks_total")
	var total float64
	for o, name := range outcomeNames {
		want := 0 // each worker's checks with i%3 == o
		for i := range each {
			if i%int(numOutcomes) == o {
				want++
			}
		}
		v := labelled(t, status, name).GetCounter().GetValue()
		assert.Equal(t, float64(workers*want), v, name)
		total += v
	}
	assert.Equal(t, float64(workers*each), total)
	h := labelled(t, family(t, m.Registry, "sessionguard_session_store_seconds"), "load").GetHistogram()
	assert.Equal(t, uint64(workers*each), h.GetSampleCount())
	n := workers * each
	assert.InDelta(t, float64(n*(n-1)/2)*1e-6, h.GetSampleSum(), 1e-6, "sum of 0..n-1 µs")
}

// scrapeLoad gathers reg and checks its load histogram: buckets that rise,
// none above the count.
func scrapeLoad(reg prometheus.Gatherer) error {
	mfs, err := reg.Gather()
	if err != nil {
		return err
	}
	for _, mf := range mfs {
		if mf.GetName() != "sessionguard_session_store_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() != "load" {
				continue
			}
			h := m.GetHistogram()
			var last uint64
			for _, b := range h.GetBucket() {
				if c := b.GetCumulativeCount(); c < last || c > h.GetSampleCount() {
					return fmt.Errorf("inconsistent histogram: %v", h)
				}
				last = b.GetCumulativeCount()
			}
			return nil
		}
	}
	return errors.New("no load histogram")
}

// BenchmarkHotCounting is what one status check counts (its outcome and
// its load's latency), striped and with Prometheus' own counter and
// histogram, from one goroutine and from one per processor.
func BenchmarkHotCounting(b *testing.B) {
	m := New()
	striped := func() {
		m.Since(OpLoad, time.Now())
		m.StatusCheck(SignedIn)
	}
	counter := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c"}, []string{"outcome"}).WithLabelValues("signed_in")
	hist := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "h", Buckets: storeBuckets[:]}, []string{"op"}).WithLabelValues("load")
	shared := func() {
		hist.Observe(time.Since(time.Now()).Seconds())
		counter.Inc()
	}
	for _, c := range []struct {
		name string
		f    func()
	}{{"striped", striped}, {"prometheus", shared}} {
		b.Run(c.name+"/serial", func(b *testing.B) {
			for b.Loop() {
				c.f()
			}
		})
		b.Run(c.name+"/parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c.f()
				}
			})
		})
	}
}

package storetest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

// benchSessions is how many live sessions a benchmark store holds, so that a
// read is a lookup among many records, not the only one.
const benchSessions = 1000

// BenchmarkSessionRead measures Session, the read every request makes, on a
// store that open creates and the benchmark fills with live sessions. It runs
// the sub-benchmarks "serial" (one caller) and "parallel" (GOMAXPROCS
// callers), and closes the store at the end.
func BenchmarkSessionRead(b *testing.B, open func(b *testing.B) store.Store) {
	s, hashes, t0 := benchStore(b, open)
	read := func(b *testing.B, i int) bool {
		_, found, err := s.Session(b.Context(), hashes[i%len(hashes)], t0)
		if err != nil || !found {
			b.Errorf("Session: found=%v, err=%v", found, err)
			return false
		}
		return true
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if !read(b, i) {
				return
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for i := int(next.Add(benchSessions / 7)); pb.Next(); i++ {
				if !read(b, i) {
					return
				}
			}
		})
	})
}

// BenchmarkTouch measures TouchSession, the write of a rolling read, on a
// store that open creates and the benchmark fills with live sessions. It runs
// the sub-benchmarks "serial" and "parallel" like BenchmarkSessionRead.
func BenchmarkTouch(b *testing.B, open func(b *testing.B) store.Store) {
	s, hashes, t0 := benchStore(b, open)
	touch := func(b *testing.B, i int) bool {
		expires := t0.Add(idle + time.Duration(i%1000)*time.Millisecond)
		if err := s.TouchSession(b.Context(), hashes[i%len(hashes)], expires); err != nil {
			b.Errorf("TouchSession: %v", err)
			return false
		}
		return true
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if !touch(b, i) {
				return
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for i := int(next.Add(benchSessions / 7)); pb.Next(); i++ {
				if !touch(b, i) {
					return
				}
			}
		})
	})
}

// benchStore opens a store, closes it when b ends, and fills it with
// benchSessions sessions live at the returned time.
func benchStore(b *testing.B, open func(b *testing.B) store.Store) (store.Store, [][]byte, time.Time) {
	b.Helper()
	s := open(b)
	b.Cleanup(func() {
		if err := s.Close(); err != nil {
			b.Errorf("Close: %v", err)
		}
	})
	t0 := epoch()
	hashes := make([][]byte, benchSessions)
	for i := range hashes {
		sess := newSession("user", t0)
		if err := s.CreateSession(b.Context(), sess); err != nil {
			b.Fatalf("CreateSession: %v", err)
		}
		hashes[i] = sess.IDHash
	}
	return s, hashes, t0
}

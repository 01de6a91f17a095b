package storetest

import (
	"fmt"
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
	s := benchOpen(b, open)
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

// benchDenials is how many deny-list entries, and users with a valid-after
// time, a Revoked benchmark store holds.
const benchDenials = 1000

// BenchmarkRevoked measures Revoked, the check every jwt-strategy status
// request makes, with two ids (the token's and its session's) on a store
// that open creates and the benchmark fills with benchDenials denials and
// valid-after times. The ids are not denied and the token is issued after
// the user's valid-after time: the common answer, which must look at
// everything. It runs the sub-benchmarks "serial" and "parallel" like
// BenchmarkSessionRead.
func BenchmarkRevoked(b *testing.B, open func(b *testing.B) store.Store) {
	s := benchOpen(b, open)
	r, ok := s.(store.Revocations)
	if !ok {
		b.Fatalf("%T does not implement store.Revocations", s)
	}
	t0 := epoch()
	type check struct{ user, jti, sid string }
	checks := make([]check, benchDenials)
	for i := range checks {
		checks[i] = check{fmt.Sprintf("user-%d", i), fmt.Sprintf("jti-%d", i), fmt.Sprintf("sid:%d", i)}
		if err := r.Deny(b.Context(), fmt.Sprintf("jti-denied-%d", i), t0.Add(time.Hour)); err != nil {
			b.Fatalf("Deny: %v", err)
		}
		if err := r.SetUserValidAfter(b.Context(), checks[i].user, t0.Add(-time.Hour)); err != nil {
			b.Fatalf("SetUserValidAfter: %v", err)
		}
	}
	check1 := func(b *testing.B, i int) bool {
		c := checks[i%len(checks)]
		revoked, err := r.Revoked(b.Context(), c.user, t0, t0, c.jti, c.sid)
		if err != nil || revoked {
			b.Errorf("Revoked: revoked=%v, err=%v", revoked, err)
			return false
		}
		return true
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if !check1(b, i) {
				return
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for i := int(next.Add(benchDenials / 7)); pb.Next(); i++ {
				if !check1(b, i) {
					return
				}
			}
		})
	})
}

// BenchmarkRedeemRefreshToken measures RedeemRefreshToken, the write of
// every refresh, on a store that open creates. It runs the sub-benchmarks
// "first" (the token is unused: the refresh of a good client) and "again"
// (the token was used: a replay, or a double submit), both serial, on a
// store of about benchSessions tokens. "first" makes its tokens in batches
// of benchSessions, one family each, with the timer stopped, and deletes a
// batch when it has redeemed it, so the store does not grow with b.N.
func BenchmarkRedeemRefreshToken(b *testing.B, open func(b *testing.B) store.Store) {
	s := benchOpen(b, open)
	r, ok := s.(store.RefreshTokens)
	if !ok {
		b.Fatalf("%T does not implement store.RefreshTokens", s)
	}
	t0 := epoch()
	// batch makes benchSessions unused tokens in a family of their own.
	batch := func(b *testing.B) (family []byte, hashes [][]byte) {
		family = newHash()
		hashes = make([][]byte, benchSessions)
		for i := range hashes {
			tok := newRefreshToken("user", family, t0)
			if err := r.CreateRefreshToken(b.Context(), tok); err != nil {
				b.Fatalf("CreateRefreshToken: %v", err)
			}
			hashes[i] = tok.Hash
		}
		return family, hashes
	}
	redeem1 := func(b *testing.B, hash []byte, wantFirst bool) bool {
		_, first, found, err := r.RedeemRefreshToken(b.Context(), hash, t0)
		if err != nil || !found || first != wantFirst {
			b.Errorf("RedeemRefreshToken: first=%v, found=%v, err=%v", first, found, err)
			return false
		}
		return true
	}
	b.Run("first", func(b *testing.B) {
		b.ReportAllocs()
		family, unused := batch(b)
		for b.Loop() {
			if len(unused) == 0 {
				b.StopTimer()
				if _, err := r.DeleteFamily(b.Context(), family); err != nil {
					b.Fatalf("DeleteFamily: %v", err)
				}
				family, unused = batch(b)
				b.StartTimer()
			}
			if !redeem1(b, unused[0], true) {
				return
			}
			unused = unused[1:]
		}
		if _, err := r.DeleteFamily(b.Context(), family); err != nil {
			b.Fatalf("DeleteFamily: %v", err)
		}
	})
	b.Run("again", func(b *testing.B) {
		b.ReportAllocs()
		_, used := batch(b)
		for _, h := range used {
			if !redeem1(b, h, true) {
				return
			}
		}
		for i := 0; b.Loop(); i++ {
			if !redeem1(b, used[i%len(used)], false) {
				return
			}
		}
	})
}

// benchOpen opens a store and closes it when b ends.
func benchOpen(b *testing.B, open func(b *testing.B) store.Store) store.Store {
	b.Helper()
	s := open(b)
	b.Cleanup(func() {
		if err := s.Close(); err != nil {
			b.Errorf("Close: %v", err)
		}
	})
	return s
}

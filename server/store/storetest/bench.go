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
	serialAndParallel(b, benchSessions/7, read)
}

// BenchmarkTouch measures TouchSession, the write of a rolling read, on a
// store that open creates and the benchmark fills with live sessions. It runs
// the sub-benchmarks "serial" and "parallel" like BenchmarkSessionRead.
func BenchmarkTouch(b *testing.B, open func(b *testing.B) store.Store) {
	s, hashes, t0 := benchStore(b, open)
	touch := func(b *testing.B, i int) bool {
		expires := t0.Add(idle + time.Duration(i%1000)*time.Millisecond)
		if found, err := s.TouchSession(b.Context(), hashes[i%len(hashes)], expires); err != nil || !found {
			b.Errorf("TouchSession: found %v, %v", found, err)
			return false
		}
		return true
	}
	serialAndParallel(b, benchSessions/7, touch)
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
	r := s
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
	serialAndParallel(b, benchDenials/7, check1)
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
	r := s
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

// benchCounters is how many counters a counter benchmark store holds: one a
// client address or account that has failed to sign in lately.
const benchCounters = 1000

// BenchmarkIncr measures Incr, the write of every failed sign-in, on a store
// that open creates, over benchCounters keys with a ttl of 15 minutes. It runs
// the sub-benchmarks "serial" and "parallel" like BenchmarkSessionRead; the
// parallel callers increment different keys, as failures of different
// clients do.
func BenchmarkIncr(b *testing.B, open func(b *testing.B) store.Store) {
	c, keys, t0 := benchCounterStore(b, open, false)
	incr1 := func(b *testing.B, i int) bool {
		if _, err := c.Incr(b.Context(), keys[i%len(keys)], 15*time.Minute, t0); err != nil {
			b.Errorf("Incr: %v", err)
			return false
		}
		return true
	}
	serialAndParallel(b, benchCounters/7, incr1)
}

// BenchmarkCount measures Count, the read of every sign-in attempt, on a
// store that open creates and the benchmark fills with benchCounters live
// counters. It runs the sub-benchmarks "serial" and "parallel" like
// BenchmarkSessionRead.
func BenchmarkCount(b *testing.B, open func(b *testing.B) store.Store) {
	c, keys, t0 := benchCounterStore(b, open, true)
	count1 := func(b *testing.B, i int) bool {
		n, _, err := c.Count(b.Context(), keys[i%len(keys)], t0)
		if err != nil || n == 0 {
			b.Errorf("Count: n=%d, err=%v", n, err)
			return false
		}
		return true
	}
	serialAndParallel(b, benchCounters/7, count1)
}

// benchCounterStore opens a store, closes it when b ends, and returns it as
// store.FailureCounters with benchCounters keys, counted once each at the returned
// time when fill is set.
func benchCounterStore(b *testing.B, open func(b *testing.B) store.Store, fill bool) (store.FailureCounters, []string, time.Time) {
	b.Helper()
	s := benchOpen(b, open)
	c := s
	t0 := epoch()
	keys := make([]string, benchCounters)
	for i := range keys {
		keys[i] = fmt.Sprintf("ip:10.0.%d.%d", i/256, i%256)
		if fill {
			if _, err := c.Incr(b.Context(), keys[i], 15*time.Minute, t0); err != nil {
				b.Fatalf("Incr: %v", err)
			}
		}
	}
	return c, keys, t0
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

// benchUsers is how many users share the sessions of a UserSessions
// benchmark store: benchSessions/benchUsers sessions each, a long list of
// devices.
const benchUsers = 100

// BenchmarkUserSessions measures UserSessions, the read of a user's list of
// devices, on a store that open creates and the benchmark fills with
// benchSessions live sessions of benchUsers users. It runs the
// sub-benchmarks "serial" and "parallel" like BenchmarkSessionRead.
func BenchmarkUserSessions(b *testing.B, open func(b *testing.B) store.Store) {
	s := benchOpen(b, open)
	l := s
	t0 := epoch()
	users := make([]string, benchUsers)
	for i := range users {
		users[i] = fmt.Sprintf("user-%d", i)
	}
	for i := range benchSessions {
		// Made a millisecond apart, as sign-ins are, so the list is sorted
		// by time rather than by the tie-break.
		sess := newSession(users[i%benchUsers], t0.Add(-time.Duration(i)*time.Millisecond))
		if err := s.CreateSession(b.Context(), sess); err != nil {
			b.Fatalf("CreateSession: %v", err)
		}
	}
	const each = benchSessions / benchUsers
	list := func(b *testing.B, i int) bool {
		got, err := l.UserSessions(b.Context(), users[i%benchUsers], t0)
		if err != nil || len(got) != each {
			b.Errorf("UserSessions: %d sessions, want %d, err=%v", len(got), each, err)
			return false
		}
		return true
	}
	serialAndParallel(b, benchUsers/7, list)
}

// BenchmarkCountSessions measures CountSessions, the read of the
// active-sessions metric, on a store that open creates and the benchmark
// fills with benchSessions sessions live at the time it counts and as many
// that have expired by then (but are not yet deleted), so that the count
// must tell them apart. It runs serially: one scrape at a time asks.
func BenchmarkCountSessions(b *testing.B, open func(b *testing.B) store.Store) {
	s := benchOpen(b, open)
	c := s
	t0 := epoch()
	now := t0.Add(idle / 2)
	for i := range 2 * benchSessions {
		sess := newSession(fmt.Sprintf("user-%d", i%benchUsers), t0)
		if i%2 == 1 {
			sess.Expires = t0.Add(time.Minute) // dead at now
		}
		if err := s.CreateSession(b.Context(), sess); err != nil {
			b.Fatalf("CreateSession: %v", err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		n, err := c.CountSessions(b.Context(), now)
		if err != nil || n != benchSessions {
			b.Fatalf("CountSessions: %d, want %d, err=%v", n, benchSessions, err)
		}
	}
}

// serialAndParallel runs op as the sub-benchmarks "serial" and "parallel";
// op gets an index to pick its input by and reports false after a failure.
// Parallel goroutines start stride indexes apart, so they work on
// different records.
func serialAndParallel(b *testing.B, stride int64, op func(b *testing.B, i int) bool) {
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if !op(b, i) {
				return
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for i := int(next.Add(stride)); pb.Next(); i++ {
				if !op(b, i) {
					return
				}
			}
		})
	})
}

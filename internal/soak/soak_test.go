package main

import (
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestJudge checks the invariants every request keeps against the faults
// that excuse them: a soak that cannot fail would prove nothing.
func TestJudge(t *testing.T) {
	t0 := time.Now().Add(-time.Minute)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	s := &setup{name: "x/y", faults: &windows{}}
	a := &instance{s: s, name: "x/y#1"}
	b := &instance{s: s, name: "x/y#2"}
	s.inst = []*instance{a, b}
	s.faults.list = []*window{
		{kind: faultKill, instance: a, from: at(10 * time.Second), to: at(12 * time.Second)},
		{kind: faultCut, from: at(30 * time.Second), to: at(32 * time.Second)},
	}
	refused := syscall.ECONNREFUSED
	tests := []struct {
		name      string
		in        *instance
		from, to  time.Duration
		code      int
		err       error
		violation bool
	}{
		{"200", a, 0, time.Millisecond, 200, nil, false},
		{"500, faults or not", b, 31 * time.Second, 31 * time.Second, 500, nil, true},
		{"503 while nothing is wrong", a, 0, time.Millisecond, 503, nil, true},
		{"503 while the store is cut", b, 31 * time.Second, 31 * time.Second, 503, nil, false},
		{"503 in the settle time after the cut", b, 36 * time.Second, 36 * time.Second, 503, nil, false},
		{"503 after the settle time", b, 38 * time.Second, 38 * time.Second, 503, nil, true},
		{"refused by the killed instance", a, 11 * time.Second, 11 * time.Second, 0, refused, false},
		{"refused by the other instance meanwhile", b, 11 * time.Second, 11 * time.Second, 0, refused, true},
		{"refused while the store is cut", b, 31 * time.Second, 31 * time.Second, 0, refused, true},
		{"a hang", a, 0, hangAfter, 0, context.DeadlineExceeded, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder(io.Discard)
			judge(t.Context(), r, result{method: "GET", path: "/", in: tt.in, code: tt.code, err: tt.err, start: at(tt.from), end: at(tt.to)})
			assert.Equal(t, tt.violation, r.violationCount() > 0, "violations: %v", r.violations)
		})
	}
}

// TestWindowsLastEnd: a stream's deadline runs from the end of the last
// fault, and from now while one lasts.
func TestWindowsLastEnd(t *testing.T) {
	w := &windows{}
	assert.True(t, w.lastEnd().IsZero())
	f := w.open(faultCut, nil)
	assert.WithinDuration(t, time.Now(), w.lastEnd(), time.Second, "while it lasts")
	w.end(f)
	assert.Equal(t, f.to, w.lastEnd())
	assert.True(t, w.storeDown(f.from, f.from))
	assert.False(t, w.instanceDown(&instance{}, f.from, f.from), "a store fault downs no instance")
}

// TestStreamHeard: a stream has told its page of a revocation by an event
// that ends the session, or by ending.
func TestStreamHeard(t *testing.T) {
	for _, tt := range []struct {
		events []string
		ended  bool
		heard  bool
	}{
		{[]string{"ready"}, false, false},
		{[]string{"ready", "refreshed"}, false, false},
		{[]string{"ready", "revoked"}, false, true},
		{[]string{"ready", "role-changed"}, false, true},
		{[]string{"ready"}, true, true},
	} {
		s := &stream{events: tt.events, ended: tt.ended}
		assert.Equal(t, tt.heard, s.heard(), "%v, ended %v", tt.events, tt.ended)
	}
}

// TestWithinCacheBound: with -store-cache a revoked session accepted by
// another instance than the revoking one, in a request that began less than
// 0.5 s after the revocation returned, is allowed; by the revoking instance,
// later, or without the cache, it is not.
func TestWithinCacheBound(t *testing.T) {
	at := time.Now()
	a, b := &instance{name: "a"}, &instance{name: "b"}
	for _, tt := range []struct {
		name  string
		cache bool
		in    *instance
		after time.Duration
		want  bool
	}{
		{"no cache", false, b, 10 * time.Millisecond, false},
		{"cache, the other instance at once", true, b, 0, true},
		{"cache, the other instance within the bound", true, b, 499 * time.Millisecond, true},
		{"cache, the revoking instance", true, a, 0, false},
		{"cache, at the bound", true, b, 500 * time.Millisecond, false},
		{"cache, after it", true, b, 2 * time.Second, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := &simUser{s: &setup{cache: tt.cache}, r: newRecorder(io.Discard)}
			got := u.withinCacheBound(revokedCred{at: at, by: a}, result{in: tt.in, start: at.Add(tt.after)})
			assert.Equal(t, tt.want, got)
		})
	}
}

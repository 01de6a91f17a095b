package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// settle is how long after a fault ends its effects may still show: the
// store pools reconnect, the event listeners back off up to 2 s.
const settle = 5 * time.Second

// window is a time a fault disturbed a setup, and what it disturbed: the
// store (every instance) or one instance.
type window struct {
	kind     string
	instance *instance // nil: the whole setup (its store)
	from, to time.Time // to is zero while it lasts
}

// windows are a setup's faults.
type windows struct {
	mu   sync.Mutex
	list []*window
}

// open starts a fault window; close it with end.
func (w *windows) open(kind string, in *instance) *window {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := &window{kind: kind, instance: in, from: time.Now()}
	w.list = append(w.list, f)
	return f
}

func (w *windows) end(f *window) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f.to = time.Now()
}

// overlaps reports whether [from, to] overlaps a fault (with its settle
// time) that match takes; a fault that lasts counts as lasting past to.
func (w *windows) overlaps(from, to time.Time, match func(f *window) bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, f := range slices.Backward(w.list) {
		if !match(f) {
			continue
		}
		end := f.to
		if end.IsZero() {
			end = to.Add(time.Hour)
		}
		if !from.After(end.Add(settle)) && !to.Before(f.from) {
			return true
		}
	}
	return false
}

// during reports whether [from, to] overlaps a fault that concerns in: one
// of the whole setup, or one of in itself. A nil in asks about any fault of
// the setup.
func (w *windows) during(in *instance, from, to time.Time) bool {
	return w.overlaps(from, to, func(f *window) bool { return in == nil || f.instance == nil || f.instance == in })
}

// instanceDown reports whether [from, to] overlaps a fault of in itself:
// killed, stopped or restarting.
func (w *windows) instanceDown(in *instance, from, to time.Time) bool {
	return w.overlaps(from, to, func(f *window) bool { return f.instance == in })
}

// kindAt returns the kind of a fault of in itself that lasts at t, or "".
func (w *windows) kindAt(in *instance, t time.Time) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, f := range slices.Backward(w.list) {
		if f.instance == in && !t.Before(f.from) && (f.to.IsZero() || !t.After(f.to)) {
			return f.kind
		}
	}
	return ""
}

// storeDown reports whether [from, to] overlaps a fault of the setup's store.
func (w *windows) storeDown(from, to time.Time) bool {
	return w.overlaps(from, to, func(f *window) bool { return f.instance == nil })
}

// lastEnd is when the setup's last fault ended (now while one lasts).
func (w *windows) lastEnd() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	var last time.Time
	for _, f := range w.list {
		if f.to.IsZero() {
			return time.Now()
		}
		if f.to.After(last) {
			last = f.to
		}
	}
	return last
}

// recorder counts what happened and keeps every violation.
type recorder struct {
	mu         sync.Mutex
	requests   map[string]int
	faults     map[string]int
	checks     map[string]int
	violations []string
	quiet      []time.Duration // status checks outside any fault
	faulty     []time.Duration // status checks during one
	notes      []string
	out        io.Writer
	verbose    bool // print each fault
}

func newRecorder(out io.Writer) *recorder {
	return &recorder{requests: map[string]int{}, faults: map[string]int{}, checks: map[string]int{}, out: out}
}

// request counts one request of kind.
func (r *recorder) request(kind string) {
	r.mu.Lock()
	r.requests[kind]++
	r.mu.Unlock()
}

// checked counts one invariant held of kind (beside every request's).
func (r *recorder) checked(kind string) {
	r.mu.Lock()
	r.checks[kind]++
	r.mu.Unlock()
}

// fault counts one injected fault of kind, on what (an instance or a store).
func (r *recorder) fault(kind, what string) {
	r.mu.Lock()
	r.faults[kind]++
	r.mu.Unlock()
	if r.verbose {
		fmt.Fprintf(r.out, "%s fault %s: %s\n", time.Now().UTC().Format("15:04:05.000"), kind, what)
	}
}

// status records a status check's time.
func (r *recorder) status(took time.Duration, fault bool) {
	r.mu.Lock()
	if fault {
		r.faulty = append(r.faulty, took)
	} else {
		r.quiet = append(r.quiet, took)
	}
	r.mu.Unlock()
}

// violation records and prints a broken invariant with what showed it.
func (r *recorder) violation(setup, what, detail string) {
	line := fmt.Sprintf("VIOLATION [%s] %s: %s", setup, what, detail)
	r.mu.Lock()
	r.violations = append(r.violations, line)
	r.mu.Unlock()
	fmt.Fprintln(r.out, line)
}

// note prints and keeps a line for the report after the run.
func (r *recorder) note(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	r.mu.Lock()
	r.notes = append(r.notes, line)
	r.mu.Unlock()
	fmt.Fprintln(r.out, line)
}

func (r *recorder) violationCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.violations)
}

// percentile returns the p-th percentile (0–100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// counts formats a map of counts as "a=1 b=2", keys sorted.
func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	total := 0
	for k, v := range m {
		keys = append(keys, k)
		total += v
	}
	sort.Strings(keys)
	parts := []string{fmt.Sprintf("%d:", total)}
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// summary is the run's one line.
func (r *recorder) summary(d time.Duration, setups []*setup) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var names []string
	for _, s := range setups {
		names = append(names, fmt.Sprintf("%s×%d", s.name, len(s.inst)))
	}
	round := func(d time.Duration) time.Duration {
		if d < 10*time.Millisecond {
			return d.Round(10 * time.Microsecond)
		}
		return d.Round(time.Millisecond)
	}
	return fmt.Sprintf("soak %v [%s]: requests %s | faults %s | checked %s | violations %d | status p50/p99 %v/%v without faults (%d), %v/%v with (%d)",
		d.Round(time.Second), strings.Join(names, " "), counts(r.requests), counts(r.faults), counts(r.checks), len(r.violations),
		round(percentile(r.quiet, 50)), round(percentile(r.quiet, 99)), len(r.quiet),
		round(percentile(r.faulty, 50)), round(percentile(r.faulty, 99)), len(r.faulty))
}

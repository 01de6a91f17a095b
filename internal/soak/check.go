package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Leak bounds after the run, against an instance's levels right after it
// (last) started: generous for pools and caches that fill once, far below
// what a leak per request or per stream would leave after thousands.
const (
	quiet          = 3 * time.Second // after the load stops, before the measuring
	goroutineSlack = 40
	fdSlack        = 48
	heapSlack      = 48 << 20
)

// afterRun checks what the run left: each instance's goroutines,
// descriptors and heap, and each store's session records against the live
// sessions.
func afterRun(ctx context.Context, r *recorder, setups []*setup) {
	for _, s := range setups {
		for _, u := range s.users {
			for _, b := range u.browsers {
				if b.stream != nil {
					b.stream.close()
				}
			}
		}
	}
	transport.CloseIdleConnections()
	time.Sleep(quiet)
	for _, s := range setups {
		for _, in := range s.inst {
			in.mu.Lock()
			base := in.baseline
			in.mu.Unlock()
			end, err := in.metrics(ctx)
			if err != nil {
				r.violation(s.name, "no metrics after the run", err.Error())
				continue
			}
			r.note("soak: %s: after start %v; after the run %v", in.name, base, end)
			if end.goroutines > 2*base.goroutines+goroutineSlack || end.fds > base.fds+fdSlack || end.heap > 3*base.heap+heapSlack {
				r.violation(s.name, "resources not back near their start after the run",
					fmt.Sprintf("%s: after start %v, after the run %v (bounds: 2×+%d goroutines, +%d fds, 3×+%d MiB heap)",
						in.name, base, end, goroutineSlack, fdSlack, heapSlack>>20))
			}
		}
		countSessions(ctx, r, s)
	}
}

// countSessions compares, per account, the sessions the server lists with
// the ones the workload holds live (plus those whose answers were lost to
// faults, which may exist), and the store's session records with the sum.
func countSessions(ctx context.Context, r *recorder, s *setup) {
	in := s.inst[0]
	admin := &browser{cookies: map[string]string{}}
	res := send(ctx, r, in, "admin", http.MethodPost, "/api/auth/signin",
		fmt.Sprintf(`{"email":%q,"password":%q}`, adminEmail, adminPass), nil, "10.0.0.2")
	if !res.ok() {
		r.violation(s.name, "the administrator cannot sign in after the run", res.String())
		return
	}
	admin.apply(res)
	byEmail := map[string]*simUser{}
	for _, u := range s.users {
		byEmail[u.email] = u
	}
	// The store's live records are counted before the listing and after
	// it: a session that expires while the accounts are listed is in the
	// first count and may be missing from the list and the second.
	var before int
	if s.server != nil {
		var err error
		if before, err = s.server.count(ctx, s.ns); err != nil {
			r.violation(s.name, "cannot count the store's session records", err.Error())
			return
		}
	}
	total, live, uncertain := 0, 0, 0
	for email, id := range s.ids {
		list := send(ctx, r, in, "admin", http.MethodGet, "/api/admin/users/"+id+"/sessions", "", admin.cookies, "10.0.0.2")
		if !list.ok() {
			r.violation(s.name, "an account's sessions cannot be listed after the run", list.String())
			return
		}
		var devices struct {
			Sessions []json.RawMessage `json:"sessions"`
		}
		if err := json.Unmarshal([]byte(list.body), &devices); err != nil {
			r.violation(s.name, "an account's session list is not JSON", list.String())
			return
		}
		n := len(devices.Sessions)
		total += n
		u := byEmail[email]
		if u == nil {
			continue
		}
		live += len(u.browsers)
		uncertain += u.uncertain
		if n < len(u.browsers) || n > len(u.browsers)+u.uncertain {
			r.violation(s.name, "an account's sessions in the store are not its live ones",
				fmt.Sprintf("%s: the server lists %d; the workload holds %d live, and lost track of %d (answers lost to faults)", email, n, len(u.browsers), u.uncertain))
		}
	}
	if s.server == nil {
		r.note("soak: %s: %d sessions listed; the workload holds %d live and lost track of %d", s.name, total, live, uncertain)
		return
	}
	after, err := s.server.count(ctx, s.ns)
	if err != nil {
		r.violation(s.name, "cannot count the store's session records", err.Error())
		return
	}
	r.note("soak: %s: %d live session records in %s (%d before the listing); %d listed; the workload holds %d live and lost track of %d",
		s.name, after, s.store, before, total, live, uncertain)
	if total < after || total > before {
		r.violation(s.name, "the store's session records are not the listed sessions",
			fmt.Sprintf("%d live records in %s %q after the listing and %d before it, %d sessions listed over all accounts", after, s.store, s.ns, before, total))
	}
	if stale, err := s.server.stale(ctx, s.ns); err != nil {
		r.violation(s.name, "cannot count the store's expired records", err.Error())
	} else if stale > 0 {
		r.violation(s.name, "expired session records not cleaned up",
			fmt.Sprintf("%d records in %s %q died over %v ago (cleanup runs every minute)", stale, s.store, s.ns, staleAfter))
	}
}

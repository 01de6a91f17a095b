package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Fault kinds.
const (
	faultKill    = "kill-9"        // an instance killed, restarted on its port
	faultTerm    = "sigterm"       // an instance stopped under load, restarted
	faultCut     = "store-cut"     // the store's connections cut, then restored
	faultRestart = "store-restart" // the private store server restarted
)

// inflightEmail is the account of the sign-ins a SIGTERM must let finish.
const inflightEmail = "inflight@soak.test"

// injectFaults disturbs s every about `every` until ctx ends, going round
// its fault kinds in a shuffled order so that each comes up.
func injectFaults(ctx context.Context, r *recorder, s *setup, every time.Duration, rng *rand.Rand) {
	kinds := []string{faultKill, faultTerm}
	if s.proxy != nil {
		kinds = append(kinds, faultCut)
	}
	for i := 0; ; i++ {
		if i%len(kinds) == 0 {
			rng.Shuffle(len(kinds), func(a, b int) { kinds[a], kinds[b] = kinds[b], kinds[a] })
		}
		wait := every/2 + time.Duration(rng.Int64N(int64(every)))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		in := s.inst[rng.IntN(len(s.inst))]
		switch kinds[i%len(kinds)] {
		case faultKill:
			w := s.faults.open(faultKill, in)
			r.fault(faultKill)
			_ = in.stop(syscall.SIGKILL)
			restart(ctx, r, in)
			s.faults.end(w)
		case faultTerm:
			w := s.faults.open(faultTerm, in)
			r.fault(faultTerm)
			terminate(ctx, r, in)
			restart(ctx, r, in)
			s.faults.end(w)
		case faultCut:
			w := s.faults.open(faultCut, nil)
			r.fault(faultCut)
			s.proxy.Cut()
			select {
			case <-ctx.Done():
			case <-time.After(time.Second + time.Duration(rng.Int64N(int64(2*time.Second)))):
			}
			s.proxy.Restore()
			s.faults.end(w)
		}
	}
}

// restartStores restarts srv every about `every` until ctx ends; each setup
// on it is disturbed meanwhile.
func restartStores(ctx context.Context, r *recorder, srv *storeServer, setups []*setup, every time.Duration, rng *rand.Rand) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(every/2 + time.Duration(rng.Int64N(int64(every)))):
		}
		var ws []*window
		var on []*setup
		for _, s := range setups {
			if s.server == srv {
				ws = append(ws, s.faults.open(faultRestart, nil))
				on = append(on, s)
			}
		}
		r.fault(faultRestart)
		if err := srv.restart(context.WithoutCancel(ctx)); err != nil {
			for _, s := range on {
				r.violation(s.name, "the private store did not come back", err.Error())
			}
		}
		for i, s := range on {
			s.faults.end(ws[i])
		}
	}
}

// restart starts in again on its port; a store that is restarting too may
// make the first tries fail.
func restart(ctx context.Context, r *recorder, in *instance) {
	var err error
	for try := 0; try < 5; try++ {
		if err = in.start(context.WithoutCancel(ctx), r); err == nil {
			return
		}
		time.Sleep(time.Second)
	}
	r.violation(in.s.name, "an instance does not start again", fmt.Sprintf("%s: %v", in.name, err))
}

// inflight is how many sign-ins are in flight when an instance gets
// SIGTERM: argon2id keeps each busy long enough to be caught.
const inflight = 3

// terminate sends in SIGTERM while sign-ins are in flight: each must be
// answered 200, and the process must exit 0.
func terminate(ctx context.Context, r *recorder, in *instance) {
	var wrote sync.WaitGroup
	var done sync.WaitGroup
	res := make([]result, inflight)
	for i := range inflight {
		wrote.Add(1)
		var once sync.Once
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(wrote.Done) }}
		done.Go(func() {
			defer once.Do(wrote.Done)
			// A connection of its own: a request sent on an idle
			// keep-alive connection the server is closing at that moment
			// is lost in any HTTP/1.1 server, in flight or not.
			c := httptrace.WithClientTrace(withFreshConn(ctx), trace)
			res[i] = send(c, r, in, "signin-inflight", http.MethodPost, "/api/auth/signin",
				fmt.Sprintf(`{"email":%q,"password":"inflight-password"}`, inflightEmail), nil, fmt.Sprintf("10.250.%d.%d", in.port%250, i+1))
		})
	}
	wrote.Wait()
	time.Sleep(50 * time.Millisecond) // read by the server, hashing
	err := in.stop(syscall.SIGTERM)
	if err != nil {
		r.violation(in.s.name, "an instance's exit after SIGTERM", fmt.Sprintf("%s: %v\n%s", in.name, err, in.lastLogs()))
	}
	done.Wait()
	for _, got := range res {
		if got.err != nil && strings.Contains(got.err.Error(), "connection refused") {
			continue // not in flight after all: the connection was not accepted
		}
		switch {
		case got.ok():
			r.checked("inflight-completed")
		case ctx.Err() == nil:
			r.violation(in.s.name, "a request in flight at SIGTERM was not completed", got.String())
		}
	}
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/sessionguard/sessionguard/internal/faultproxy"
)

// Fault kinds.
const (
	faultKill    = "kill-9"        // an instance killed, restarted on its port
	faultTerm    = "sigterm"       // an instance stopped under load, restarted
	faultCut     = "store-cut"     // the store's connections cut, then restored
	faultOneWay  = "store-one-way" // the store link drops the bytes one way, then recovers
	faultSlow    = "store-slow"    // the store link slow, then fast again
	faultRestart = "store-restart" // the private store server restarted
)

// inflightEmail is the account of the sign-ins a SIGTERM must let finish.
const inflightEmail = "inflight@soak.test"

// injectFaults disturbs s every about `every` until ctx ends, going round
// its fault kinds in a shuffled order so that each comes up.
func injectFaults(ctx context.Context, r *recorder, s *setup, every time.Duration, rng *rand.Rand, allowed func(string) bool) {
	all := []string{faultKill, faultTerm}
	if s.proxy != nil {
		all = append(all, faultCut, faultOneWay, faultSlow)
	}
	var kinds []string
	for _, k := range all {
		if allowed(k) {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		return
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
			r.fault(faultKill, in.name)
			_ = in.stop(syscall.SIGKILL)
			restart(ctx, r, in)
			s.faults.end(w)
		case faultTerm:
			w := s.faults.open(faultTerm, in)
			r.fault(faultTerm, in.name)
			terminate(ctx, r, in)
			restart(ctx, r, in)
			s.faults.end(w)
		case faultCut, faultOneWay, faultSlow:
			kind := kinds[i%len(kinds)]
			w := s.faults.open(kind, nil)
			r.fault(kind, s.name)
			switch kind {
			case faultCut:
				s.proxy.Cut()
			case faultOneWay:
				s.proxy.Hold(faultproxy.Direction(rng.IntN(2)))
			case faultSlow:
				s.proxy.Slow(time.Duration(50+rng.IntN(200)) * time.Millisecond)
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second + time.Duration(rng.Int64N(int64(3*time.Second)))):
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
		r.fault(faultRestart, srv.kind)
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

// readContinue reads the interim "100 Continue" answer from br.
func readContinue(br *bufio.Reader) error {
	line, err := br.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		return fmt.Errorf("answered %q, not 100 Continue", strings.TrimSpace(line))
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if l == "\r\n" {
			return nil
		}
	}
}

// inflight is how many sign-ins are in flight when an instance gets
// SIGTERM.
const inflight = 3

// terminate sends in SIGTERM while sign-ins are in flight — their handlers
// started, each waiting for its body — then sends the bodies: each must be
// answered 200, and the process must exit 0.
//
// In flight means the handler runs: each request asks `Expect:
// 100-continue`, and the server answers "100 Continue" only when the
// handler first reads the body, so the signal goes only after all three
// said so. (Go's http.Server drops a request whose head it reads after
// shutdown began, closing the connection without an answer; waiting a
// fixed time for the heads to be read was not enough on a loaded machine.)
func terminate(ctx context.Context, r *recorder, in *instance) {
	body := fmt.Sprintf(`{"email":%q,"password":"inflight-password"}`, inflightEmail)
	conns := make([]net.Conn, 0, inflight)
	readers := make([]*bufio.Reader, 0, inflight)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range inflight {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(in.base, "http://"), 5*time.Second)
		if err != nil {
			r.violation(in.s.name, "cannot connect before SIGTERM", fmt.Sprintf("%s: %v", in.name, err))
			return
		}
		conns = append(conns, c)
		head := fmt.Sprintf("POST /api/auth/signin HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nX-Forwarded-For: 10.250.%d.%d\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
			strings.TrimPrefix(in.base, "http://"), len(body), in.port%250, i+1)
		_ = c.SetDeadline(time.Now().Add(hangAfter))
		if _, err := io.WriteString(c, head); err != nil {
			r.violation(in.s.name, "cannot send before SIGTERM", fmt.Sprintf("%s: %v", in.name, err))
			return
		}
		r.request("signin-inflight")
		br := bufio.NewReader(c)
		readers = append(readers, br)
		if err := readContinue(br); err != nil {
			r.violation(in.s.name, "a sign-in's handler did not start before SIGTERM", fmt.Sprintf("%s: %v", in.name, err))
			return
		}
	}
	stopped := make(chan error, 1)
	if r.verbose {
		fmt.Fprintf(r.out, "%s SIGTERM to %s\n", time.Now().UTC().Format("15:04:05.000"), in.name)
	}
	go func() { stopped <- in.stop(syscall.SIGTERM) }()
	time.Sleep(100 * time.Millisecond) // shutdown under way
	for i, c := range conns {
		start := time.Now()
		_, err := io.WriteString(c, body)
		var resp *http.Response
		if err == nil {
			resp, err = http.ReadResponse(readers[i], nil)
		}
		what := fmt.Sprintf("POST /api/auth/signin on %s, in flight (its handler waiting for the body, SIGTERM 0.1 s before the body): ", in.name)
		switch {
		case err != nil:
			r.violation(in.s.name, "a request in flight at SIGTERM was not completed", fmt.Sprintf("%serror %v after %v at %s", what, err, time.Since(start).Round(time.Millisecond), start.UTC().Format("15:04:05.000")))
		case resp.StatusCode == http.StatusServiceUnavailable && in.s.faults.storeDown(start, time.Now()):
			r.checked("inflight-503-store-away") // answered: the store was restarting too
		case resp.StatusCode != http.StatusOK:
			b, _ := io.ReadAll(resp.Body)
			r.violation(in.s.name, "a request in flight at SIGTERM was not completed", fmt.Sprintf("%s%d %s at %s", what, resp.StatusCode, b, start.UTC().Format("15:04:05.000")))
		default:
			r.checked("inflight-completed")
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
	if err := <-stopped; err != nil {
		r.violation(in.s.name, "an instance's exit after SIGTERM", fmt.Sprintf("%s: %v\n%s", in.name, err, in.lastLogs()))
	}
}

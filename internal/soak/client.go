package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Cookie names: the server's defaults (secure cookies).
const (
	sessionCookie = "__Host-sg_session"
	refreshCookie = "__Secure-sg_refresh"
)

// hangAfter bounds every request: the stores' calls are bounded (3 s), a
// sign-in waits for a hashing slot; an answer later than this is a hang.
const hangAfter = 15 * time.Second

// transport is the soak's one HTTP transport: its idle connections close
// before the server's would, so no request is sent on a connection the
// server is closing.
var transport = &http.Transport{
	DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	MaxIdleConnsPerHost: 64,
	IdleConnTimeout:     20 * time.Second,
}

var httpClient = &http.Client{
	Transport: transport,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// result is what a request got.
type result struct {
	method, path string
	in           *instance
	code         int
	body         string
	header       http.Header
	cookies      []*http.Cookie
	err          error
	start, end   time.Time
	sent         string // the credentials it carried, shortened
}

func (r result) took() time.Duration { return r.end.Sub(r.start) }

// String describes the request and its answer for a violation's report.
func (r result) String() string {
	ans := fmt.Sprintf("%d %s", r.code, strings.TrimSpace(r.body))
	if r.err != nil {
		ans = "error: " + r.err.Error()
	}
	if len(ans) > 300 {
		ans = ans[:300] + "…"
	}
	return fmt.Sprintf("%s %s on %s with %s at %s → %s in %v", r.method, r.path, r.in.name, r.sent,
		r.start.UTC().Format("15:04:05.000"), ans, r.took().Round(time.Millisecond))
}

// short shows the end of a credential, enough to tell them apart.
func short(v string) string {
	if len(v) > 10 {
		return "…" + v[len(v)-10:]
	}
	return v
}

// describe shows a cookie set.
func describe(c map[string]string) string {
	var parts []string
	for _, name := range []string{sessionCookie, refreshCookie} {
		if v, ok := c[name]; ok {
			parts = append(parts, strings.TrimPrefix(strings.TrimPrefix(name, "__Host-"), "__Secure-")+"="+short(v))
		}
	}
	if len(parts) == 0 {
		return "no cookies"
	}
	return strings.Join(parts, ",")
}

// send makes one request to in with the cookies and client address given,
// judges the invariants every request keeps, and returns what it got.
func send(ctx context.Context, r *recorder, in *instance, kind, method, path, body string, cookies map[string]string, ip string) result {
	r.request(kind)
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, hangAfter)
	defer cancel()
	res := result{method: method, path: path, in: in, sent: describe(cookies) + " from " + ip}
	req, err := http.NewRequestWithContext(ctx, method, in.base+path, strings.NewReader(body))
	if err != nil {
		res.err = err
		return res
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Forwarded-For", ip)
	for name, value := range cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	res.start = time.Now()
	resp, err := httpClient.Do(req)
	if err == nil {
		var b []byte
		b, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		res.code, res.body, res.header, res.cookies = resp.StatusCode, string(b), resp.Header, resp.Cookies()
	}
	res.end = time.Now()
	res.err = err
	judge(parent, r, res)
	return res
}

// judge checks what every request must keep: no hang, no 5xx but 503, and
// that only while a fault lasts; no failed connection but to an instance
// that is down. ctx is the request's context without its hang bound.
func judge(ctx context.Context, r *recorder, res result) {
	w := res.in.s.faults
	switch {
	case res.err != nil && errors.Is(res.err, context.DeadlineExceeded) && res.took() >= hangAfter:
		r.violation(res.in.s.name, "request hangs past "+hangAfter.String(), res.String())
	case res.err != nil && ctx.Err() != nil:
		// the soak is ending
	case res.err != nil:
		if !w.instanceDown(res.in, res.start, res.end) {
			r.violation(res.in.s.name, "request failed while its instance was up", res.String())
		}
	case res.code >= 500 && res.code != http.StatusServiceUnavailable:
		r.violation(res.in.s.name, "5xx other than 503", res.String())
	case res.code == http.StatusServiceUnavailable:
		if !w.during(res.in, res.start, res.end) {
			r.violation(res.in.s.name, "503 while the store and the instance were up", res.String())
		}
	}
}

// ok reports whether the request got an answer of 2xx.
func (r result) ok() bool { return r.err == nil && r.code >= 200 && r.code < 300 }

// stream is an open event stream of a browser's session.
type stream struct {
	in     *instance
	cancel context.CancelFunc

	mu     sync.Mutex
	events []string // names, in order
	ended  bool
	last   time.Time // when the last event came or the stream ended
	change chan struct{}
}

// openStream opens GET /api/auth/events; it returns nil when the server
// did not answer 200 (judged as any request).
func openStream(ctx context.Context, r *recorder, in *instance, cookies map[string]string, ip string) (*stream, result) {
	r.request("events")
	ctx, cancel := context.WithCancel(ctx)
	res := result{method: http.MethodGet, path: "/api/auth/events", in: in, sent: describe(cookies) + " from " + ip}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.base+res.path, nil)
	if err != nil {
		cancel()
		res.err = err
		return nil, res
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("X-Forwarded-For", ip)
	for name, value := range cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	res.start = time.Now()
	timer := time.AfterFunc(hangAfter, cancel) // until the answer's head
	resp, err := httpClient.Do(req)
	stopped := timer.Stop()
	res.end = time.Now()
	if err != nil {
		res.err = err
		if !stopped {
			res.err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
			r.violation(in.s.name, "event stream hangs past "+hangAfter.String(), res.String())
		} else if ctx.Err() == nil {
			judge(ctx, r, res)
		}
		cancel()
		return nil, res
	}
	res.code, res.header = resp.StatusCode, resp.Header
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res.body = string(b)
		judge(ctx, r, res)
		cancel()
		return nil, res
	}
	s := &stream{in: in, cancel: cancel, change: make(chan struct{}, 1)}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event:"); ok {
				s.mu.Lock()
				s.events = append(s.events, strings.TrimSpace(name))
				s.last = time.Now()
				s.mu.Unlock()
				s.signal()
			}
		}
		s.mu.Lock()
		s.ended = true
		s.last = time.Now()
		s.mu.Unlock()
		s.signal()
		// SIGTERM tells streams to reconnect: it ends them cleanly,
		// before the process exits.
		if err := sc.Err(); err != nil && ctx.Err() == nil && in.s.faults.kindAt(in, time.Now()) == faultTerm {
			s.mu.Lock()
			events := strings.Join(s.events, ",")
			s.mu.Unlock()
			ended := time.Now()
			time.Sleep(500 * time.Millisecond) // its last lines
			r.violation(in.s.name, "an event stream not ended cleanly by SIGTERM", fmt.Sprintf("%s on %s, opened %s, heard [%s], ended %s: %v\n%s's last lines:\n%s",
				res.sent, in.name, res.start.UTC().Format("15:04:05.000"), events, ended.UTC().Format("15:04:05.000"), err, in.name, in.lastLogs()))
		} else if err == nil && in.s.faults.kindAt(in, time.Now()) == faultTerm {
			r.checked("streams-ended-by-sigterm")
		}
	}()
	return s, res
}

func (s *stream) signal() {
	select {
	case s.change <- struct{}{}:
	default:
	}
}

// heard reports whether the stream told its page that the session ended
// (an event that ends the stream, or the end of the stream itself, after
// which a page reconnects and learns it).
func (s *stream) heard() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return true
	}
	for _, e := range s.events {
		switch e {
		case "revoked", "role-changed", "expired", "stale":
			return true
		}
	}
	return false
}

// isOpen reports whether the stream still runs.
func (s *stream) isOpen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.ended
}

func (s *stream) close() { s.cancel() }

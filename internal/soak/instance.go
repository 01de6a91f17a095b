package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sessionguard/sessionguard/internal/faultproxy"
)

// Server flags every instance gets (beside its store and strategy). The
// idle lifetime is long enough that no session of a run expires, and
// rolling writes happen every few seconds, so a kill drops little.
const (
	maxAge       = 10 * time.Minute
	updateAge    = 5 * time.Second
	accessMaxAge = time.Minute // jwt
	// freshAge is short, so that runs of minutes see sensitive requests of
	// older sessions answered 403 reauth_required (expected, not a
	// violation; the soak then signs its administrator in again).
	freshAge = 2 * time.Minute
)

// setup is one deployment: its instances on one store namespace, under one
// strategy.
type setup struct {
	name         string // e.g. postgres/jwt
	index        int    // from 1, in the order of -setups
	store        string // postgres, redis or sqlite
	strategy     string
	server       *storeServer      // nil for sqlite
	proxy        *faultproxy.Proxy // between the instances and server
	ns           string            // schema or key prefix
	inst         []*instance       // two on a shared store, one on SQLite
	users        []*simUser
	ids          map[string]string // e-mail → account id
	adminCookies map[string]string
	static       string   // the -static directory
	faults       *windows // when this setup was disturbed
	cache        bool     // the instances run with -store-cache
}

// instance is one server process of a setup, on a fixed port: a restart
// comes back where its clients look for it.
type instance struct {
	s    *setup
	name string // e.g. postgres/jwt#1
	port int
	base string // http://127.0.0.1:port
	data string
	bin  string

	mu       sync.Mutex
	p        *proc
	stopping bool // a stop the soak asked for: its exit is expected
	up       bool // it answered since it (last) started
	baseline metricsSample
}

// args are the instance's server flags.
func (in *instance) args() []string {
	s := in.s
	args := []string{"-addr", "127.0.0.1:" + strconv.Itoa(in.port), "-data", in.data, "-static", s.static,
		"-strategy", s.strategy, "-demo", "-log-level", "warn", "-trusted-proxies", "127.0.0.1",
		"-max-age", maxAge.String(), "-update-age", updateAge.String(), "-access-max-age", accessMaxAge.String(),
		"-fresh-age", freshAge.String()}
	if s.cache {
		args = append(args, "-store-cache")
	}
	return append(args, s.storeArgs()...)
}

// storeArgs are the store flags of the setup's instances and of useradd.
func (s *setup) storeArgs() []string {
	switch s.store {
	case "postgres":
		return []string{"-store", "postgres", "-store-url", s.proxyURL(), "-store-schema", s.ns}
	case "redis":
		return []string{"-store", "redis", "-store-url", s.proxyURL(), "-store-prefix", s.ns}
	}
	return []string{"-store", "sqlite"}
}

// proxyURL is the store's URL through the setup's fault proxy.
func (s *setup) proxyURL() string {
	return strings.Replace(s.server.url, "127.0.0.1:"+strconv.Itoa(s.server.port), s.proxy.Addr(), 1)
}

// env is the children's environment: the soak's without SG_* variables, so
// that only the flags configure them.
func env() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SG_") {
			out = append(out, kv)
		}
	}
	return out
}

// start runs the instance and waits until it listens, then takes its
// metrics' baseline.
func (in *instance) start(ctx context.Context, r *recorder) error {
	cmd := exec.Command(in.bin, in.args()...)
	cmd.Env = env()
	p, err := startProc(in.name, cmd, func(line string) {
		if strings.Contains(line, "panic") {
			r.violation(in.s.name, "the server logged a panic", in.name+": "+line)
		}
	})
	if err != nil {
		return err
	}
	in.mu.Lock()
	in.p = p
	in.stopping, in.up = false, false
	in.mu.Unlock()
	go in.watch(p, r)
	// It logs "listening" at info; the soak runs it at warn (a line per
	// request would cost more than the requests), so it asks /healthz.
	deadline := time.Now().Add(startWait)
	for !in.answers(ctx) {
		var why error
		switch {
		case p.exited():
			return fmt.Errorf("%s exited before it listened: %v\n%s", in.name, p.err, p.lastLogs())
		case ctx.Err() != nil:
			why = ctx.Err()
		case time.Now().After(deadline):
			why = fmt.Errorf("%s does not listen after %v\n%s", in.name, startWait, p.lastLogs())
		}
		if why != nil {
			_ = in.stop(syscall.SIGKILL)
			return why
		}
		time.Sleep(50 * time.Millisecond)
	}
	in.mu.Lock()
	in.up = true
	in.mu.Unlock()
	if m, err := in.metrics(ctx); err == nil {
		in.mu.Lock()
		in.baseline = m
		in.mu.Unlock()
	}
	return nil
}

// answers reports whether the instance answers /healthz (200 or 503: it
// listens).
func (in *instance) answers(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.base+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// watch reports an exit the soak did not ask for, once the instance
// answered (one that exits while it starts, e.g. because its store is away,
// fails start, which tries again).
func (in *instance) watch(p *proc, r *recorder) {
	<-p.done
	in.mu.Lock()
	expected := in.stopping || in.p != p || !in.up
	in.mu.Unlock()
	if !expected {
		r.violation(in.s.name, "instance exited on its own", fmt.Sprintf("%s: %v; its last lines:\n%s", in.name, p.err, p.lastLogs()))
	}
}

// lastLogs returns its last lines of output.
func (in *instance) lastLogs() string {
	in.mu.Lock()
	p := in.p
	in.mu.Unlock()
	if p == nil {
		return ""
	}
	return p.lastLogs()
}

// stop ends the instance with sig and waits for the exit.
func (in *instance) stop(sig syscall.Signal) error {
	in.mu.Lock()
	p := in.p
	in.stopping = true
	in.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.stop(sig, stopWait)
}

// metricsSample is what the soak reads of an instance's /metrics.
type metricsSample struct {
	goroutines, fds, heap float64
}

func (m metricsSample) String() string {
	return fmt.Sprintf("%.0f goroutines, %.0f fds, %.1f MiB heap", m.goroutines, m.fds, m.heap/(1<<20))
}

// metrics reads the instance's /metrics (served on -addr to loopback
// clients: the soak asks without X-Forwarded-For).
func (in *instance) metrics(ctx context.Context) (metricsSample, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.base+"/metrics", nil)
	if err != nil {
		return metricsSample{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return metricsSample{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return metricsSample{}, fmt.Errorf("%s/metrics: %d %s", in.base, resp.StatusCode, b)
	}
	var m metricsSample
	found := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		var dst *float64
		switch name {
		case "go_goroutines":
			dst = &m.goroutines
		case "process_open_fds":
			dst = &m.fds
		case "go_memstats_heap_inuse_bytes":
			dst = &m.heap
		default:
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return m, fmt.Errorf("%s/metrics: %s: %w", in.base, name, err)
		}
		*dst = v
		found++
	}
	if found < 3 {
		return m, fmt.Errorf("%s/metrics: go_goroutines, process_open_fds or go_memstats_heap_inuse_bytes missing", in.base)
	}
	return m, sc.Err()
}

// newSetup lays out a setup's directories and proxy; start runs it.
func newSetup(root, bin, store, strategy string, server *storeServer, n int) (*setup, error) {
	name := store + "/" + strategy
	s := &setup{name: name, store: store, strategy: strategy, server: server, ids: map[string]string{}, faults: &windows{}}
	dir := filepath.Join(root, store+"-"+strategy)
	s.static = filepath.Join(dir, "static")
	if err := os.MkdirAll(s.static, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(s.static, "index.html"), []byte("<!doctype html><html><head></head><body></body></html>"), 0o644); err != nil {
		return nil, err
	}
	s.ns = "soak_" + strategy
	if store == "redis" {
		s.ns = "soak:" + strategy + ":"
	}
	if server != nil {
		p, err := faultproxy.New("127.0.0.1:" + strconv.Itoa(server.port))
		if err != nil {
			return nil, err
		}
		s.proxy = p
	}
	for i := range n {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		data := filepath.Join(dir, "data"+strconv.Itoa(i+1))
		if store == "sqlite" {
			data = filepath.Join(dir, "data") // the one instance's
		}
		if err := os.MkdirAll(data, 0o700); err != nil {
			return nil, err
		}
		s.inst = append(s.inst, &instance{s: s, name: fmt.Sprintf("%s#%d", name, i+1), port: port,
			base: "http://127.0.0.1:" + strconv.Itoa(port), data: data, bin: bin})
	}
	return s, nil
}

// useradd creates an account with the command's useradd, on the setup's
// store, as an operator would.
func (s *setup) useradd(ctx context.Context, bin, email, role, password string) error {
	args := append([]string{"useradd", "-data", s.inst[0].data, "-email", email, "-name", "Soak " + email, "-role", role}, s.storeArgs()...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env()
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s useradd %s: %w\n%s", s.name, email, err, out)
	}
	return nil
}

// Command loadcmp compares, on loopback and in one run, how many requests per
// second bin/sessionguard answers on GET /api/get-session-status (signed in,
// SQLite store, default flags) against a bare net/http handler that writes the
// same body, against that handler behind gorilla/mux alone (what a router
// costs on the same machine), and against it with sessionguard's server
// settings (server/httpserver: its deadlines and limits) and the headers
// the status answer adds (what those cost, apart from what the status
// check does). All four get the same request, the session
// cookie included, so net/http and the kernel read the same bytes for each
// and the ratios show what sessionguard itself costs (the jwt strategy's
// cookie is some 650 bytes, which any server pays to read). Each server
// runs as a separate process; the load comes from wrk when it is installed,
// otherwise from a Go client built in here. The ratios are what
// docs/PERFORMANCE.md reports.
//
//	go run ./internal/loadcmp -bin bin/sessionguard -static static
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/sessionguard/sessionguard/server/httpserver"
	"github.com/sessionguard/sessionguard/wire"
)

func main() {
	bare := flag.String("serve-bare", "", "internal: serve the bare handler on this address")
	withMux := flag.String("serve-mux", "", "internal: serve the bare handler behind gorilla/mux on this address")
	same := flag.String("serve-same", "", "internal: serve the bare handler with sessionguard's server settings and headers on this address")
	bin := flag.String("bin", "bin/sessionguard", "the sessionguard binary")
	static := flag.String("static", "static", "static directory for sessionguard")
	duration := flag.Duration("duration", 5*time.Second, "length of each load run")
	conns := flag.Int("connections", 32, "concurrent keep-alive connections")
	rounds := flag.Int("rounds", 3, "alternating rounds per target; the best of each is reported")
	extra := flag.String("sg-flags", "", "extra flags for sessionguard, space-separated")
	flag.Parse()
	switch {
	case *bare != "":
		serve(*bare, bareHandler)
	case *withMux != "":
		r := mux.NewRouter()
		r.Handle(wire.PathStatus, bareHandler).Methods("GET", "HEAD")
		serve(*withMux, r)
	case *same != "":
		hs := httpserver.New(sameHandler)
		hs.Addr = *same
		fail(hs.ListenAndServe())
	default:
		if err := compare(*bin, *static, *extra, *duration, *conns, *rounds); err != nil {
			fmt.Fprintln(os.Stderr, "loadcmp:", err)
			os.Exit(1)
		}
	}
}

var body = []byte(`{"status":200}` + "\n")

var bareHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
})

// sameHandler is bareHandler with the headers sessionguard's signed-in
// status answer adds (default flags): no sniffing, no reading by another
// origin, and the session's expiry, formatted once a second as the status
// answer formats it.
var sameHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["X-Content-Type-Options"] = nosniff
	h["Cross-Origin-Resource-Policy"] = sameOrigin
	h["Sg-Session-Expires"] = expiresIn(30 * time.Minute)
	bareHandler(w, r)
})

var (
	nosniff    = []string{"nosniff"}
	sameOrigin = []string{"same-origin"}
	expiresAt  atomic.Pointer[expiresValue]
)

type expiresValue struct {
	unix int64
	v    []string
}

// expiresIn is now plus d as the header's value, made once a second.
func expiresIn(d time.Duration) []string {
	t := time.Now().Add(d).UTC().Truncate(time.Second)
	if e := expiresAt.Load(); e != nil && e.unix == t.Unix() {
		return e.v
	}
	e := &expiresValue{unix: t.Unix(), v: []string{t.Format(time.RFC3339)}}
	expiresAt.Store(e)
	return e.v
}

func serve(addr string, h http.Handler) { fail(http.ListenAndServe(addr, h)) }

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitUp(url string) error {
	for range 100 {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("server did not come up: " + url)
}

// target is one server under load: its best round, and each round's
// requests per second.
type target struct {
	label  string
	cmd    *exec.Cmd
	url    string
	best   result
	rounds []float64 // requests/s of each round
	cpus   []float64 // server CPU seconds per request of each round (0: unknown)
}

func compare(bin, static, extra string, d time.Duration, conns, rounds int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	data, err := os.MkdirTemp("", "loadcmp")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	sgArgs := []string{"-data", data, "-static", static, "-demo"}
	if extra != "" {
		sgArgs = append(sgArgs, strings.Fields(extra)...)
	}
	targets := []*target{
		{label: "bare net/http handler", cmd: exec.CommandContext(ctx, self, "-serve-bare")},
		{label: "gorilla/mux alone, with the bare handler", cmd: exec.CommandContext(ctx, self, "-serve-mux")},
		{label: "bare handler, sessionguard's server settings and headers", cmd: exec.CommandContext(ctx, self, "-serve-same")},
		{label: fmt.Sprintf("sessionguard GET %s (signed in, %s)", wire.PathStatus, flagNote(extra)), cmd: exec.CommandContext(ctx, bin, sgArgs...)},
	}
	sg := targets[len(targets)-1]
	for _, t := range targets {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		if t == sg {
			t.cmd.Args = append(t.cmd.Args, "-addr", addr)
		} else {
			t.cmd.Args = append(t.cmd.Args, addr)
		}
		t.cmd.Stdout, t.cmd.Stderr = nil, nil // /dev/null: log formatting is measured, terminal I/O is not
		if err := t.cmd.Start(); err != nil {
			return err
		}
		defer t.cmd.Process.Kill()
		t.url = "http://" + addr + wire.PathStatus
	}
	for _, t := range targets {
		up := t.url
		if t == sg {
			up = strings.TrimSuffix(t.url, wire.PathStatus) + "/healthz"
		}
		if err := waitUp(up); err != nil {
			return err
		}
	}
	cookie, err := signIn(strings.TrimSuffix(sg.url, wire.PathStatus))
	if err != nil {
		return err
	}
	gen := "wrk"
	if _, err := exec.LookPath("wrk"); err != nil {
		gen = "go-client"
	}
	// Check the status answer is the signed-in one before measuring it.
	if got, err := fetch(sg.url, cookie); err != nil || !strings.Contains(got, `"status":200`) {
		return fmt.Errorf("status check is not signed in: %q %v", got, err)
	}
	for range rounds {
		for _, t := range targets {
			r, err := measure(t.cmd.Process.Pid, gen, t.url, cookie, d, conns)
			if err != nil {
				return err
			}
			t.best = t.best.best(r)
			t.rounds = append(t.rounds, r.rps)
			t.cpus = append(t.cpus, r.cpuPerReq)
		}
	}
	bare, same := targets[0], targets[2]
	fmt.Printf("generator: %s, %d connections, %s per run, best of %d alternating rounds\n", gen, conns, d, rounds)
	fmt.Printf("| target | requests/s | ÷ bare | server CPU per request |\n|---|---|---|---|\n")
	for _, t := range targets {
		fmt.Printf("| %s | %.0f | %.2f× | %s |\n", t.label, t.best.rps, t.best.rps/bare.best.rps, t.best.cpu())
	}
	var perRound []string
	for i := range rounds {
		perRound = append(perRound, fmt.Sprintf("round %d: %.0f / %.0f = %.2f× (gorilla/mux %.2f×, same settings and headers %.2f×)", i+1,
			sg.rounds[i], bare.rounds[i], sg.rounds[i]/bare.rounds[i], targets[1].rounds[i]/bare.rounds[i], same.rounds[i]/bare.rounds[i]))
	}
	fmt.Printf("\neach round, sessionguard / bare: %s\n", strings.Join(perRound, "; "))
	fmt.Printf("sessionguard ÷ the bare handler with its server settings and headers: %.2f× (best rounds)\n", sg.best.rps/same.best.rps)
	fmt.Println(medianLine(bare, targets[1], same, sg))
	fmt.Println("server CPU per request: the server process's user and system time over the run (/proc), divided by the requests answered; from the best round")
	return nil
}

// medianLine says what the rounds say at their middle, which one lucky or
// unlucky round cannot move as it moves a best: the median of each round's
// sessionguard ÷ anchor ratio (the two measured a few seconds apart), and
// the median server CPU per request of each target.
func medianLine(bare, mx, same, sg *target) string {
	ratios := func(of, to *target) float64 {
		r := make([]float64, len(of.rounds))
		for i := range r {
			r[i] = of.rounds[i] / to.rounds[i]
		}
		return median(r)
	}
	line := fmt.Sprintf("median of the %d rounds: sessionguard ÷ bare %.2f× (gorilla/mux %.2f×, same settings and headers %.2f×, sessionguard ÷ same settings and headers %.2f×)",
		len(sg.rounds), ratios(sg, bare), ratios(mx, bare), ratios(same, bare), ratios(sg, same))
	var cpu []string
	for _, t := range []*target{bare, mx, same, sg} {
		known := slices.DeleteFunc(slices.Clone(t.cpus), func(c float64) bool { return c == 0 })
		cpu = append(cpu, result{cpuPerReq: median(known)}.cpu())
	}
	return line + fmt.Sprintf("; server CPU per request: bare %s, gorilla/mux %s, same settings and headers %s, sessionguard %s", cpu[0], cpu[1], cpu[2], cpu[3])
}

// median returns the middle value of xs (the mean of the two middle ones
// for an even count), 0 for none; xs is not changed.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

func flagNote(extra string) string {
	if extra == "" {
		return "sqlite"
	}
	if strings.Contains(" "+extra, " -store ") {
		return extra
	}
	return "sqlite, " + extra
}

func signIn(base string) (string, error) {
	resp, err := http.Post(base+wire.PathSignIn, "application/json",
		strings.NewReader(`{"email":"user@example.com","password":"user-password"}`))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(resp.Cookies()) == 0 {
		return "", fmt.Errorf("sign-in answered %s", resp.Status)
	}
	c := resp.Cookies()[0]
	return c.Name + "=" + c.Value, nil
}

func fetch(url, cookie string) (string, error) {
	req, _ := http.NewRequest("GET", url, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// result is one load run against one server: its requests per second and
// the server process's CPU seconds per request (0 where /proc cannot
// tell).
type result struct{ rps, cpuPerReq float64 }

func (r result) best(o result) result {
	if o.rps > r.rps {
		return o
	}
	return r
}

func (r result) cpu() string {
	if r.cpuPerReq == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f µs", r.cpuPerReq*1e6)
}

// measure runs load against url and reads pid's CPU time around it.
func measure(pid int, gen, url, cookie string, d time.Duration, conns int) (result, error) {
	before, okBefore := cpuSeconds(pid)
	rps, err := load(gen, url, cookie, d, conns)
	if err != nil {
		return result{}, err
	}
	r := result{rps: rps}
	if after, ok := cpuSeconds(pid); ok && okBefore && rps > 0 {
		r.cpuPerReq = (after - before) / (rps * d.Seconds())
	}
	return r, nil
}

// cpuSeconds returns a process's user plus system CPU time from
// /proc/PID/stat (Linux; clock ticks of 1/100 s, the USER_HZ of every Linux
// port Go builds for), and false where there is no such file.
func cpuSeconds(pid int) (float64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	return parseStat(string(b))
}

// parseStat reads utime plus stime, in seconds, from the text of a
// /proc/PID/stat file.
func parseStat(b string) (float64, bool) {
	// The command name (field 2) may hold spaces: fields are counted after
	// its closing parenthesis. utime and stime are fields 14 and 15.
	i := strings.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseFloat(f[11], 64)
	s, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (u + s) / 100, true
}

var wrkRPS = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

func load(gen, url, cookie string, d time.Duration, conns int) (float64, error) {
	if gen == "wrk" {
		args := []string{"-t2", "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(int(d.Seconds())) + "s"}
		if cookie != "" {
			args = append(args, "-H", "Cookie: "+cookie)
		}
		out, err := exec.Command("wrk", append(args, url)...).CombinedOutput()
		if err != nil {
			return 0, fmt.Errorf("wrk: %v: %s", err, out)
		}
		if strings.Contains(string(out), "Non-2xx") {
			return 0, fmt.Errorf("wrk saw errors: %s", out)
		}
		m := wrkRPS.FindSubmatch(out)
		if m == nil {
			return 0, fmt.Errorf("wrk output not understood: %s", out)
		}
		return strconv.ParseFloat(string(m[1]), 64)
	}
	return goLoad(url, cookie, d, conns)
}

// goLoad is the fallback generator: conns goroutines on keep-alive
// connections, each sending requests back to back for d.
func goLoad(url, cookie string, d time.Duration, conns int) (float64, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	var n, failed atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("GET", url, nil)
				if cookie != "" {
					req.Header.Set("Cookie", cookie)
				}
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, bufio.NewReader(resp.Body))
				resp.Body.Close()
				n.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		return 0, fmt.Errorf("%d requests failed", failed.Load())
	}
	return float64(n.Load()) / d.Seconds(), nil
}

package auth_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/wire"
)

// streamsEnv, when set, makes BenchmarkStreams the server process of its
// own run (see streamServer).
const streamsEnv = "SG_BENCH_STREAMS_SERVER"

// BenchmarkStreams opens 10,000 live event streams (GET /api/auth/events)
// on one server process over loopback: 1,000 users with ten sessions each,
// one stream per session, on the default store. The server runs in a child process (this test
// binary again), so its memory is its own: it reports the server's heap
// and stacks per open stream, measured after a GC with and without them,
// its goroutines per stream, and for 100 users revoked one after the
// other the p50 and p99 from the call that revokes to each of their ten
// streams receiving "revoked". Run it once:
//
//	go test -run '^$' -bench Streams -benchtime 1x ./server/auth
func BenchmarkStreams(b *testing.B) {
	if os.Getenv(streamsEnv) != "" {
		streamServer(b)
		return
	}
	const users, perUser, revoked = 1000, 10, 100
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkStreams$", "-test.benchtime=1x")
		cmd.Env = append(os.Environ(), streamsEnv+"="+strconv.Itoa(users*perUser))
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		require.NoError(b, err)
		outPipe, err := cmd.StdoutPipe()
		require.NoError(b, err)
		require.NoError(b, cmd.Start())
		out := bufio.NewScanner(outPipe)
		line := func() string {
			if !out.Scan() {
				b.Fatalf("the server process ended: %v", out.Err())
			}
			return out.Text()
		}
		ask := func(cmd, want string) string {
			fmt.Fprintln(in, cmd)
			for {
				if l := line(); strings.HasPrefix(l, want) {
					return l
				}
			}
		}
		addr := strings.TrimPrefix(line(), "addr ")
		tokens := map[string][]string{}
		for l := line(); l != "ready"; l = line() {
			f := strings.Fields(l) // token <user> <value>
			tokens[f[1]] = append(tokens[f[1]], f[2])
		}
		before := parseStats(b, ask("stats", "stats "))

		tr := &http.Transport{MaxIdleConnsPerHost: -1, DialContext: (&net.Dialer{}).DialContext}
		client := &http.Client{Transport: tr}
		got := map[string]chan time.Time{} // by user: when each stream heard "revoked"
		var ready sync.WaitGroup
		dial := make(chan struct{}, 256) // connections being opened at once
		ctx, cancel := context.WithCancel(context.Background())
		for user, list := range tokens {
			got[user] = make(chan time.Time, len(list))
			for _, tok := range list {
				ready.Add(1)
				go func() {
					dial <- struct{}{}
					req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+wire.PathEvents, nil)
					req.AddCookie(&http.Cookie{Name: session.CookieName, Value: tok})
					resp, err := client.Do(req)
					<-dial
					if err != nil || resp.StatusCode != http.StatusOK {
						b.Errorf("stream of %s: %v %v", user, err, resp)
						ready.Done()
						return
					}
					defer resp.Body.Close()
					sc := bufio.NewScanner(resp.Body)
					for sc.Scan() {
						switch sc.Text() {
						case "event: ready":
							ready.Done()
						case "event: revoked":
							got[user] <- time.Now()
							return
						}
					}
				}()
			}
		}
		ready.Wait()
		during := parseStats(b, ask("stats", "stats "))
		n := float64(users * perUser)
		b.ReportMetric((during["heap"]+during["stack"]-before["heap"]-before["stack"])/n, "server-B/stream")
		b.ReportMetric((during["goroutines"]-before["goroutines"])/n, "goroutines/stream")

		var lat, calls []time.Duration
		for i := range revoked {
			user := "u" + strconv.Itoa(i)
			start := time.Now()
			ask("revoke "+user, "revoked ")
			calls = append(calls, time.Since(start))
			for range perUser {
				select {
				case at := <-got[user]:
					lat = append(lat, at.Sub(start))
				case <-time.After(10 * time.Second):
					b.Fatalf("a stream of %s heard no revocation within 10 s", user)
				}
			}
		}
		b.ReportMetric(float64(percentile(lat, 50).Microseconds()), "revoke-p50-µs")
		b.ReportMetric(float64(percentile(lat, 99).Microseconds()), "revoke-p99-µs")
		b.ReportMetric(float64(percentile(calls, 99).Microseconds()), "call-p99-µs")
		cancel()
		fmt.Fprintln(in, "quit")
		require.NoError(b, cmd.Wait())
	}
}

// streamServer is the server side of BenchmarkStreams: it serves on
// loopback with n sessions (ten per user), prints their tokens, and then
// answers "stats", "revoke <user>" and "quit" on standard input.
func streamServer(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv(streamsEnv))
	dir, err := os.MkdirTemp("", "sg-streams-")
	require.NoError(b, err)
	defer os.RemoveAll(dir)
	// The default store: SQLite in a locked data directory.
	a, err := app.New(context.Background(), app.Options{DataDir: dir, PasswordParams: fastParams})
	require.NoError(b, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	srv := &http.Server{Handler: a.Handler()}
	srv.RegisterOnShutdown(a.HTTP().Close)
	go srv.Serve(ln)
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w, "addr", ln.Addr())
	for i := range n {
		u := wire.User{ID: "u" + strconv.Itoa(i/10), Email: fmt.Sprintf("u%d@example.com", i/10), Name: "U", Role: "user"}
		rec := httptest.NewRecorder()
		_, err := a.Sessions().SignIn(rec, httptest.NewRequest("POST", "/", nil), u, "aal1")
		require.NoError(b, err)
		fmt.Fprintln(w, "token", u.ID, rec.Result().Cookies()[0].Value)
	}
	fmt.Fprintln(w, "ready")
	w.Flush()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "stats":
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			fmt.Printf("stats heap=%d stack=%d goroutines=%d\n", m.HeapInuse, m.StackInuse, runtime.NumGoroutine())
		case "revoke":
			require.NoError(b, a.Sessions().RevokeUser(context.Background(), arg))
			fmt.Println("revoked", arg)
		case "quit":
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = srv.Shutdown(ctx)
			cancel()
			require.NoError(b, a.Close())
			return
		}
	}
}

// parseStats reads "stats k=v …" into numbers.
func parseStats(b *testing.B, line string) map[string]float64 {
	out := map[string]float64{}
	for _, kv := range strings.Fields(strings.TrimPrefix(line, "stats ")) {
		k, v, _ := strings.Cut(kv, "=")
		f, err := strconv.ParseFloat(v, 64)
		require.NoError(b, err, line)
		out[k] = f
	}
	return out
}

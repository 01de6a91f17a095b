package integration_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
)

// Bounds of the two-instance tests.
const (
	startWait = 30 * time.Second // from exec to "listening": migration, demo accounts
	stopWait  = 10 * time.Second // from SIGTERM to exit
	eventWait = 5 * time.Second  // for an event to cross instances; the target is well under 1 s
	askWait   = 10 * time.Second // for an answer to a request
)

// TestInstances runs two server processes, A and B, built as bin/sessionguard
// is, on one store, as two instances behind a load balancer would run, for
// each shared backend and strategy: they must behave as one server.
func TestInstances(t *testing.T) {
	bin := builder(t)
	backends := []struct {
		name string
		// store returns the store flags for a fresh namespace on the
		// service at url.
		store   func(t *testing.T, url string) []string
		service func(tb testing.TB) string
	}{
		{"postgres", func(t *testing.T, url string) []string {
			return []string{"-store", "postgres", "-store-url", url, "-store-schema", testenv.PostgresSchema(t, url)}
		}, testenv.Postgres},
		{"redis", func(t *testing.T, url string) []string {
			return []string{"-store", "redis", "-store-url", url, "-store-prefix", testenv.RedisPrefix(t, url)}
		}, testenv.Redis},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			url := b.service(t)
			for _, strategy := range []string{"database", "jwt"} {
				t.Run(strategy, func(t *testing.T) {
					args := append(b.store(t, url), "-strategy", strategy)
					testInstances(t, bin(t), strategy, args)
				})
			}
		})
	}
}

// testInstances starts A and B with args and checks them against each
// other.
func testInstances(t *testing.T, bin, strategy string, args []string) {
	static := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(static, "index.html"), []byte("<!doctype html><html><head></head><body></body></html>"), 0o600))
	// A first, so that B finds the schema migrated and the demo accounts
	// made; each with a -data of its own, so under jwt each signs with a
	// key of its own and finds the other's through the store.
	a := startInstance(t, bin, "A", append(args, "-data", t.TempDir(), "-static", static))
	b := startInstance(t, bin, "B", append(args, "-data", t.TempDir(), "-static", static))

	t.Run("SignedInOnAIsSignedInOnB", func(t *testing.T) {
		u := signIn(t, a, "user@example.com", "user-password")
		assert.JSONEq(t, `{"status":200}`, u.get(t, b, "/api/get-session-status").body, "status on B")
		sess := u.get(t, b, "/api/session")
		assert.Contains(t, sess.body, `"email":"user@example.com"`, "session on B")
	})

	if strategy == "jwt" {
		t.Run("TokensVerifyOnTheOtherInstance", func(t *testing.T) {
			fromA := signIn(t, a, "user@example.com", "user-password")
			fromB := signIn(t, b, "admin@example.com", "admin-password")
			kidA, kidB := keyID(t, fromA.cookies[sessionCookie]), keyID(t, fromB.cookies[sessionCookie])
			assert.NotEqual(t, kidA, kidB, "A and B sign with one key: the test shows nothing")
			assert.JSONEq(t, `{"status":200}`, fromA.get(t, b, "/api/get-session-status").body, "A's token (key %s) on B", kidA)
			assert.JSONEq(t, `{"status":200}`, fromB.get(t, a, "/api/get-session-status").body, "B's token (key %s) on A", kidB)
		})
	}

	t.Run("SignOutOnBEndsTheSessionOnA", func(t *testing.T) {
		u := signIn(t, a, "user@example.com", "user-password")
		stream := openEvents(t, a, u)
		stream.next(t, "ready")
		kept := u.clone() // B's answer clears the browser's cookies; the old ones go to A

		start := time.Now()
		out := u.post(t, b, "/api/auth/signout", `{}`)
		require.Equal(t, http.StatusOK, out.code, "sign-out on B: %s", out.body)
		status := kept.get(t, a, "/api/get-session-status")
		assert.JSONEq(t, `{"status":401}`, status.body, "status on A right after the sign-out on B")
		at := stream.next(t, "revoked")
		t.Logf("sign-out on B answered in %v; right after, A answered %s in %v; A's event stream got \"revoked\" %v after the sign-out request",
			out.took.Round(time.Microsecond), strings.TrimSpace(status.body), status.took.Round(time.Microsecond), at.Sub(start).Round(time.Microsecond))
	})

	t.Run("SignInLimitIsShared", func(t *testing.T) {
		// An account of its own: its limit blocks no other case.
		email := "nobody-" + hex.EncodeToString(randomBytes(4)) + "@example.com"
		body := `{"email":"` + email + `","password":"wrong"}`
		instances := []*instance{a, b}
		const free = 5 // failures before the account waits (auth.DefaultAccountBackoff)
		for i := range free {
			got := (&browser{}).post(t, instances[i%2], "/api/auth/signin", body)
			require.Equal(t, http.StatusUnauthorized, got.code, "failure %d, on %s: %s", i+1, instances[i%2].name, got.body)
		}
		// Per instance, A has counted 3 failures and B 2.
		for _, in := range []*instance{b, a} {
			got := (&browser{}).post(t, in, "/api/auth/signin", body)
			assert.Equal(t, http.StatusTooManyRequests, got.code, "after %d failures over A and B, on %s: %s", free, in.name, got.body)
			assert.NotEmpty(t, got.header.Get("Retry-After"), "Retry-After on %s", in.name)
		}
	})
}

// sessionCookie is the session cookie's name: secure cookies, as by default.
const sessionCookie = "__Host-sg_session"

// builder returns a function that builds the server once per test run, as
// ./build.sh does, and returns the binary's path. It is built only for the
// first test that runs, so a run whose tests all skip builds nothing.
func builder(t *testing.T) func(t *testing.T) string {
	dir := t.TempDir()
	var (
		once sync.Once
		bin  string
		err  error
	)
	return func(t *testing.T) string {
		t.Helper()
		once.Do(func() {
			start := time.Now()
			path := filepath.Join(dir, "sessionguard")
			cmd := exec.CommandContext(t.Context(), "go", "build", "-trimpath", "-o", path, "github.com/sessionguard/sessionguard/server")
			// GOFLAGS may hold flags of the test's own build.
			cmd.Env = append(os.Environ(), "GOFLAGS=")
			out, cerr := cmd.CombinedOutput()
			if cerr != nil {
				err = errors.New("go build ./server: " + cerr.Error() + "\n" + string(out))
				return
			}
			bin = path
			t.Logf("built the server in %v", time.Since(start).Round(time.Millisecond))
		})
		require.NoError(t, err)
		return bin
	}
}

// instance is one server process.
type instance struct {
	name string
	base string // http://host:port

	mu   sync.Mutex
	logs []string // its last log lines
}

// maxLogLines is how many of an instance's log lines a failing test shows.
const maxLogLines = 100

// startInstance runs bin with the demo accounts and args on a free port of
// 127.0.0.1, waits until it listens, and stops it with SIGTERM when t ends,
// failing t unless it exits with 0.
func startInstance(t *testing.T, bin, name string, args []string) *instance {
	t.Helper()
	in := &instance{name: name}
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-demo", "-log-level", "debug"}, args...)...)
	// Only the flags configure it: no SG_* variable of the test's
	// environment.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SG_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start(), "start %s", name)

	listening := make(chan string, 1)
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			in.log(line)
			if _, url, ok := strings.Cut(line, " url=http://"); ok && strings.Contains(line, "msg=listening") {
				url, _, _ = strings.Cut(url, " ")
				select {
				case listening <- "http://" + url:
				default:
				}
			}
		}
	}()
	exited := make(chan error, 1)
	go func() {
		<-logged // Wait closes the pipe: read it to the end first
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		defer func() {
			if t.Failed() {
				t.Logf("%s's last log lines:\n%s", name, strings.Join(in.lastLogs(), "\n"))
			}
		}()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			assert.NoError(t, err, "%s's exit after SIGTERM", name)
		case <-time.After(stopWait):
			_ = cmd.Process.Kill()
			t.Errorf("%s still runs %v after SIGTERM; killed", name, stopWait)
			<-exited
		}
	})

	select {
	case in.base = <-listening:
	case err := <-exited:
		t.Fatalf("%s exited before it listened: %v\n%s", name, err, strings.Join(in.lastLogs(), "\n"))
	case <-time.After(startWait):
		t.Fatalf("%s does not listen after %v\n%s", name, startWait, strings.Join(in.lastLogs(), "\n"))
	}
	t.Logf("%s listens on %s", name, in.base)
	return in
}

func (in *instance) log(line string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.logs = append(in.logs, line)
	if len(in.logs) > maxLogLines {
		in.logs = in.logs[len(in.logs)-maxLogLines:]
	}
}

func (in *instance) lastLogs() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.logs...)
}

// browser keeps the cookies it is sent, by name, whichever instance sent
// them, as a browser does for one site behind a load balancer. Go's cookie
// jar would not send the Secure cookies back over plain http.
type browser struct {
	cookies map[string]string
}

// answer is what a request got, and how long it took.
type answer struct {
	code   int
	body   string
	header http.Header
	took   time.Duration
}

func (br *browser) clone() *browser {
	c := &browser{cookies: make(map[string]string, len(br.cookies))}
	for k, v := range br.cookies {
		c.cookies[k] = v
	}
	return c
}

func (br *browser) get(t *testing.T, in *instance, path string) answer {
	return br.do(t, in, http.MethodGet, path, "")
}

func (br *browser) post(t *testing.T, in *instance, path, body string) answer {
	return br.do(t, in, http.MethodPost, path, body)
}

// request builds a request to in with the browser's cookies.
func (br *browser) request(ctx context.Context, t *testing.T, in *instance, method, path, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, in.base+path, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for name, value := range br.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	return req
}

func (br *browser) do(t *testing.T, in *instance, method, path, body string) answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), askWait)
	defer cancel()
	req := br.request(ctx, t, in, method, path, body)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "%s %s on %s", method, path, in.name)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	took := time.Since(start)
	for _, ck := range resp.Cookies() {
		if br.cookies == nil {
			br.cookies = make(map[string]string)
		}
		if ck.MaxAge < 0 {
			delete(br.cookies, ck.Name)
		} else {
			br.cookies[ck.Name] = ck.Value
		}
	}
	return answer{resp.StatusCode, string(b), resp.Header, took}
}

// signIn signs a new browser in on in.
func signIn(t *testing.T, in *instance, email, password string) *browser {
	t.Helper()
	br := &browser{}
	got := br.post(t, in, "/api/auth/signin", `{"email":"`+email+`","password":"`+password+`"}`)
	require.Equal(t, http.StatusOK, got.code, "sign-in on %s: %s", in.name, got.body)
	require.NotEmpty(t, br.cookies[sessionCookie], "sign-in on %s: no session cookie", in.name)
	return br
}

// keyID returns the kid in the header of a JWT.
func keyID(t *testing.T, token string) string {
	t.Helper()
	head, _, ok := strings.Cut(token, ".")
	require.True(t, ok, "not a JWT: %q", token)
	raw, err := base64.RawURLEncoding.DecodeString(head)
	require.NoError(t, err)
	var h struct {
		Kid string `json:"kid"`
	}
	require.NoError(t, json.Unmarshal(raw, &h))
	require.NotEmpty(t, h.Kid, "JWT header %s", raw)
	return h.Kid
}

// eventStream is an open GET /api/auth/events.
type eventStream struct {
	events chan sse
}

// sse is one event of a stream, and when it was read.
type sse struct {
	name, data string
	at         time.Time
}

// openEvents opens the event stream of br's session on in; it closes when
// t ends.
func openEvents(t *testing.T, in *instance, br *browser) *eventStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req := br.request(ctx, t, in, http.MethodGet, "/api/auth/events", "")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "event stream on %s", in.name)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode, "event stream on %s", in.name)
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream"), "Content-Type %q", resp.Header.Get("Content-Type"))

	s := &eventStream{events: make(chan sse, 16)}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					ev.at = time.Now()
					s.events <- ev
				}
				ev = sse{}
			case strings.HasPrefix(line, "event:"):
				ev.name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				ev.data = strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			}
		}
	}()
	return s
}

// next waits at most eventWait for the stream's next event, which must be
// named name, and returns when it was read.
func (s *eventStream) next(t *testing.T, name string) time.Time {
	t.Helper()
	timer := time.NewTimer(eventWait)
	defer timer.Stop()
	select {
	case ev, ok := <-s.events:
		require.True(t, ok, "the event stream ended before %q", name)
		require.Equal(t, name, ev.name, "event (data %s)", ev.data)
		return ev.at
	case <-timer.C:
		t.Fatalf("no %q event within %v", name, eventWait)
		return time.Time{}
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

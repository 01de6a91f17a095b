package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

// quietRedis drops the Redis client's own log lines: the soak pings a
// private Redis that is (re)starting, and says itself when one fails.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

func init() { goredis.SetLogger(quietRedis{}) }

// Bounds of the processes the soak runs.
const (
	startWait = 60 * time.Second // from exec to "listening" (a store that restarts at the same time included)
	stopWait  = 15 * time.Second // from SIGTERM to exit
)

// freePort returns a TCP port of 127.0.0.1 that nothing listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// proc is a child process: its own process group, so that a Ctrl-C in the
// terminal reaches the soak only (which stops the children in order), and
// killed with the soak should the soak die first.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once it exited and its output is read
	err  error         // its exit, once done is closed

	mu   sync.Mutex
	logs []string // its last lines of output
}

// maxLogLines is how many of a process's last lines of output it keeps.
const maxLogLines = 60

// startProc starts cmd; each line it writes (stdout and stderr) goes to
// onLine, when not nil, and to its log.
func startProc(name string, cmd *exec.Cmd, onLine func(string)) (*proc, error) {
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	w.Close()
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs = append(p.logs, line)
			if len(p.logs) > maxLogLines {
				p.logs = p.logs[len(p.logs)-maxLogLines:]
			}
			p.mu.Unlock()
			if onLine != nil {
				onLine(line)
			}
		}
		r.Close()
	}()
	go func() {
		p.err = cmd.Wait()
		// A child of the child (none here) could keep the pipe open: do
		// not wait for the output forever.
		select {
		case <-read:
		case <-time.After(2 * time.Second):
		}
		close(p.done)
	}()
	return p, nil
}

// lastLogs returns its last lines of output.
func (p *proc) lastLogs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// exited reports whether it has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends sig and waits at most wait for the exit, then kills it. It
// returns the exit's error, or one saying it had to be killed.
func (p *proc) stop(sig syscall.Signal, wait time.Duration) error {
	if p.exited() {
		return p.err
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return p.err
	case <-time.After(wait):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s still ran %v after %v; killed", p.name, wait, sig)
	}
}

// asUser makes cmd run as the account name when the soak runs as root
// (PostgreSQL refuses to run as root), and gives it the directories.
func asUser(cmd *exec.Cmd, name string, dirs ...string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("running as root, and there is no %q account to run PostgreSQL as: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, d := range dirs {
		if err := filepath.Walk(d, func(path string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, uid, gid)
		}); err != nil {
			return err
		}
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	return nil
}

// storeServer is a private PostgreSQL or Redis server in the soak's
// temporary directory, on a port of its own.
type storeServer struct {
	kind string // postgres or redis
	dir  string
	port int
	url  string

	mu sync.Mutex
	p  *proc
}

// pgBin is the directory of PostgreSQL's server programs: SG_SOAK_PGBIN,
// else the newest /usr/lib/postgresql/*/bin (Debian's), else where PATH
// finds initdb.
func pgBin() string {
	if d := os.Getenv("SG_SOAK_PGBIN"); d != "" {
		return d
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	best, bestVersion := "", -1
	for _, d := range dirs {
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		if _, serr := os.Stat(filepath.Join(d, "initdb")); err == nil && serr == nil && v > bestVersion {
			best, bestVersion = d, v
		}
	}
	if best != "" {
		return best
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return "/usr/lib/postgresql/15/bin"
}

// missingServices says which store programs are missing, or "".
func missingServices(kinds map[string]bool) string {
	var missing []string
	if kinds["postgres"] {
		for _, prog := range []string{"initdb", "postgres"} {
			if _, err := os.Stat(filepath.Join(pgBin(), prog)); err != nil {
				missing = append(missing, filepath.Join(pgBin(), prog))
			}
		}
	}
	if kinds["redis"] {
		if _, err := exec.LookPath("redis-server"); err != nil {
			missing = append(missing, "redis-server")
		}
	}
	return strings.Join(missing, ", ")
}

// newStoreServer creates (initdb) and starts a private server of kind under
// root.
func newStoreServer(ctx context.Context, kind, root string) (*storeServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &storeServer{kind: kind, dir: filepath.Join(root, kind), port: port}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	switch kind {
	case "postgres":
		s.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
		cmd := exec.CommandContext(ctx, filepath.Join(pgBin(), "initdb"), "-D", filepath.Join(s.dir, "data"),
			"-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")
		if err := asUser(cmd, "postgres", s.dir); err != nil {
			return nil, err
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("initdb: %w\n%s", err, out)
		}
	case "redis":
		s.url = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	}
	return s, s.start(ctx)
}

// start runs the server on its port and waits until it answers.
func (s *storeServer) start(ctx context.Context) error {
	var cmd *exec.Cmd
	switch s.kind {
	case "postgres":
		cmd = exec.Command(filepath.Join(pgBin(), "postgres"), "-D", filepath.Join(s.dir, "data"),
			"-p", strconv.Itoa(s.port), "-k", s.dir, "-c", "listen_addresses=127.0.0.1",
			"-c", "max_connections=300", "-c", "fsync=off", "-c", "synchronous_commit=off",
			"-c", "full_page_writes=off", "-c", "shared_buffers=32MB")
		if err := asUser(cmd, "postgres", s.dir); err != nil {
			return err
		}
	case "redis":
		cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
			"--appendonly", "yes", "--dir", s.dir, "--save", "", "--protected-mode", "no", "--daemonize", "no")
	}
	p, err := startProc(s.kind, cmd, nil)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.p = p
	s.mu.Unlock()
	deadline := time.Now().Add(startWait)
	for {
		err := s.ping(ctx)
		if err == nil {
			return nil
		}
		if p.exited() || time.Now().After(deadline) || ctx.Err() != nil {
			_ = p.stop(syscall.SIGKILL, time.Second)
			return fmt.Errorf("%s on port %d does not answer: %w\n%s", s.kind, s.port, err, p.lastLogs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ping connects to the server and asks it something.
func (s *storeServer) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	switch s.kind {
	case "postgres":
		c, err := pgx.Connect(ctx, s.url)
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		return c.Ping(ctx)
	default:
		opt, err := goredis.ParseURL(s.url)
		if err != nil {
			return err
		}
		c := goredis.NewClient(opt)
		defer c.Close()
		return c.Ping(ctx).Err()
	}
}

// restart stops the server as its administrator would (PostgreSQL: a fast
// shutdown; Redis: SIGTERM, which writes the append-only file) and starts
// it again on the same port with the same data.
func (s *storeServer) restart(ctx context.Context) error {
	if err := s.shutdown(); err != nil {
		return err
	}
	return s.start(ctx)
}

// shutdown stops the server; the data stays.
func (s *storeServer) shutdown() error {
	s.mu.Lock()
	p := s.p
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	sig := syscall.SIGTERM
	if s.kind == "postgres" {
		sig = syscall.SIGINT // fast shutdown: do not wait for the clients
	}
	if err := p.stop(sig, stopWait); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return err
		}
	}
	return nil
}

// staleAfter is how long after its death a session record must be gone:
// the server's cleanup runs every minute.
const staleAfter = 2 * time.Minute

// stale counts the session records of namespace ns that died more than
// staleAfter ago: cleanup missed them. Redis expires its keys itself.
func (s *storeServer) stale(ctx context.Context, ns string) (int, error) {
	if s.kind != "postgres" {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return 0, err
	}
	defer c.Close(context.Background())
	var n int
	err = c.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{ns, "sessions"}.Sanitize()+
		" WHERE LEAST(expires, abs_expires) <= now() - make_interval(secs => $1)", staleAfter.Seconds()).Scan(&n)
	return n, err
}

// count returns how many live session records the store holds in the
// namespace (PostgreSQL schema, Redis prefix) ns: PostgreSQL's not yet
// dead, Redis's keys (which expire with their sessions).
func (s *storeServer) count(ctx context.Context, ns string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	switch s.kind {
	case "postgres":
		c, err := pgx.Connect(ctx, s.url)
		if err != nil {
			return 0, err
		}
		defer c.Close(context.Background())
		var n int
		err = c.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{ns, "sessions"}.Sanitize()+" WHERE LEAST(expires, abs_expires) > now()").Scan(&n)
		return n, err
	default:
		opt, err := goredis.ParseURL(s.url)
		if err != nil {
			return 0, err
		}
		c := goredis.NewClient(opt)
		defer c.Close()
		n := 0
		iter := c.Scan(ctx, 0, ns+"s:*", 1000).Iterator()
		for iter.Next(ctx) {
			n++
		}
		return n, iter.Err()
	}
}

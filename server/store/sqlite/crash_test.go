//go:build unix

package sqlite_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
)

// crashChildEnv names the data directory of the writer that
// TestKillDuringWrites runs in a child process and kills.
const crashChildEnv = "SG_SQLITE_CRASH_CHILD"

// crashRounds is how many times the writer is killed, each time on the
// file the kill before left behind.
const crashRounds = 3

// TestKillDuringWrites: a process that writes sessions and accounts as
// fast as it can (create, touch, delete) is killed with SIGKILL in the
// middle of its writes. Each write it reported as committed, after the
// store returned, is in the file when it is opened again, deletes and
// touches included, and PRAGMA integrity_check is ok; the data directory's
// lock died with the process. The child is this test binary, run again
// with crashChildEnv set.
//
// SQLite's WAL with synchronous=NORMAL keeps every committed transaction
// when the process dies, as here; a power loss may take the last ones back
// (the OS has not written them yet), never the file's integrity.
func TestKillDuringWrites(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	dir := t.TempDir()
	var all []string
	for round := range crashRounds {
		lines := runAndKill(t, dir, 150+round*50)
		require.NotEmpty(t, lines, "round %d: the writer reported nothing", round)
		all = append(all, lines...)
		checkAfterCrash(t, dir, all, round+1)
	}
}

// runAndKill starts the writer on dir, reads its reports until it has made
// at least n, lets it run on for a random moment under 20 ms so that the
// kill lands anywhere in a write, kills it and returns its complete lines.
func runAndKill(t *testing.T, dir string, n int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringWrites$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	killed := false
	kill := func() {
		if !killed {
			killed = true
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	defer kill()

	r := bufio.NewReader(out)
	var lines []string
	read := func() error {
		line, err := r.ReadString('\n')
		if err == nil && strings.HasPrefix(line, "crash: ") { // a partial last line has no '\n'
			lines = append(lines, strings.TrimSpace(strings.TrimPrefix(line, "crash: ")))
		}
		return err
	}
	for len(lines) < n {
		if err := read(); err != nil {
			t.Fatalf("the writer stopped after %d reports: %v", len(lines), err)
		}
	}
	jitter, _ := rand.Int(rand.Reader, big.NewInt(int64(20*time.Millisecond)))
	time.Sleep(time.Duration(jitter.Int64()))
	kill()
	for read() == nil {
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, syscall.SIGKILL, exit.Sys().(syscall.WaitStatus).Signal(), "killed, not exited")
	return lines
}

// checkAfterCrash opens dir as the next server would and checks that each
// reported write is there.
func checkAfterCrash(t *testing.T, dir string, lines []string, kills int) {
	t.Helper()
	ctx := t.Context()
	wal := int64(0)
	if fi, err := os.Stat(filepath.Join(dir, sqlite.FileName+"-wal")); err == nil {
		wal = fi.Size() // left for recovery by the kill
	}
	srv, err := sqlite.OpenExclusive(ctx, dir)
	require.NoError(t, err, "the killed process's lock is gone")
	require.NoError(t, srv.Close())
	assertIntegrity(t, filepath.Join(dir, sqlite.FileName))

	s, err := sqlite.Open(ctx, filepath.Join(dir, sqlite.FileName))
	require.NoError(t, err)
	defer s.Close()
	now := time.Now()
	expires := map[string]int64{} // the latest touch of each session kept
	var kept, gone, users int
	for _, line := range lines {
		f := strings.Fields(line)
		switch f[0] {
		case "keep", "touch":
			h, err := hex.DecodeString(f[1])
			require.NoError(t, err)
			sess, found, err := s.Session(ctx, h, now)
			require.NoError(t, err)
			if !assert.True(t, found, "committed session %s is lost", f[1]) {
				continue
			}
			if f[0] == "touch" {
				ms, err := strconv.ParseInt(f[2], 10, 64)
				require.NoError(t, err)
				expires[f[1]] = max(expires[f[1]], ms)
				assert.GreaterOrEqual(t, sess.Expires.UnixMilli(), expires[f[1]], "a committed touch of %s is lost", f[1])
			}
			kept++
		case "gone":
			h, err := hex.DecodeString(f[1])
			require.NoError(t, err)
			_, found, err := s.Session(ctx, h, now)
			require.NoError(t, err)
			assert.False(t, found, "deleted session %s is back", f[1])
			gone++
		case "user":
			_, found, err := s.UserByID(ctx, f[1])
			require.NoError(t, err)
			assert.True(t, found, "committed account %s is lost", f[1])
			users++
		default:
			t.Fatalf("unknown report %q", line)
		}
	}
	t.Logf("after %d kills (the last left a WAL of %d bytes): %d session writes, %d deletes, %d accounts, all there", kills, wal, kept, gone, users)
}

// crashChild is the writer: it loops until it is killed (or a minute
// passes, should the parent be gone), reporting each write on stdout once
// the store has returned from it.
func crashChild(dir string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := sqlite.OpenExclusive(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(3)
	}
	report := func(format string, args ...any) {
		// One write(2) per line, unbuffered: once it returns, the parent
		// can read it whatever happens to this process.
		_, _ = io.WriteString(os.Stdout, "crash: "+fmt.Sprintf(format, args...)+"\n")
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(3)
	}
	run := rand.Text()[:8]
	now := time.Now()
	var prev []byte
	for i := 0; ctx.Err() == nil; i++ {
		if i%10 == 0 {
			id := fmt.Sprintf("%s-%d", run, i)
			u := store.User{ID: id, Email: id + "@example.com", Name: id, Role: "user", PasswordHash: "$argon2id$x", CreatedAt: now}
			if err := st.CreateUser(ctx, u); err != nil {
				fail(err)
			}
			report("user %s", id)
		}
		user := fmt.Sprintf("%s-%d", run, i/10*10) // the account of the last ten
		keep := crashSession(user, now)
		if err := st.CreateSession(ctx, keep); err != nil {
			fail(err)
		}
		report("keep %x", keep.IDHash)
		drop := crashSession(user, now)
		if err := st.CreateSession(ctx, drop); err != nil {
			fail(err)
		}
		if prev != nil {
			exp := now.Add(time.Hour + time.Duration(i)*time.Millisecond)
			if _, err := st.TouchSession(ctx, prev, exp); err != nil {
				fail(err)
			}
			report("touch %x %d", prev, exp.UnixMilli())
		}
		if err := st.DeleteSession(ctx, drop.IDHash); err != nil {
			fail(err)
		}
		report("gone %x", drop.IDHash)
		prev = keep.IDHash
	}
}

// crashSession is a live session of user with a random hash.
func crashSession(user string, now time.Time) store.Session {
	h := make([]byte, store.HashLen)
	_, _ = rand.Read(h)
	return store.Session{IDHash: h, UserID: user, Email: user + "@example.com", Name: user, Role: "user",
		CreatedAt: now, Expires: now.Add(time.Hour), AbsExpires: now.Add(12 * time.Hour)}
}

package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store/sqlite"
)

// fullDiskChildEnv is set in the child process that TestFullDisk runs in a
// mount namespace of its own.
const fullDiskChildEnv = "SG_FULL_DISK_CHILD"

// TestFullDisk runs the server on a 2 MiB tmpfs data directory and fills
// the disk: sign-ins answer 503 (never 500) with the reason in the log,
// signed-in sessions keep reading, the file passes integrity_check, and
// sign-ins work again once the space is freed.
//
// Mounting needs privileges: the test runs in a child process in a mount
// namespace of its own (as root), or in a user namespace too (otherwise),
// so that nothing is mounted where other processes see it. Where neither
// is allowed (unprivileged CI with user namespaces off) it is skipped with
// the reason; sqlite's TestFullDatabase checks the same answers everywhere
// by limiting the database's pages instead.
func TestFullDisk(t *testing.T) {
	if os.Getenv(fullDiskChildEnv) != "" {
		fullDisk(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFullDisk$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), fullDiskChildEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() != 0 {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Start()
	if err != nil {
		t.Skipf("skipped: cannot start a process in a mount namespace of its own to mount a small tmpfs (%v); TestFullDatabase in server/store/sqlite covers the answers", err)
	}
	err = cmd.Wait()
	if m := regexp.MustCompile(`(?m)^\s*fulldisk_linux_test\.go:\d+: (skipped: .*)$`).FindStringSubmatch(out.String()); m != nil && err == nil {
		t.Skip(m[1])
	}
	require.NoError(t, err, "the child:\n%s", out.String())
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "fulldisk_linux_test.go") {
			t.Log(strings.TrimSpace(line))
		}
	}
}

// fullDisk is TestFullDisk in the child process.
func fullDisk(t *testing.T) {
	// Mounts made here stay here, whatever the propagation of /.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		t.Skipf("skipped: cannot make the mount namespace private: %v", err)
	}
	data := t.TempDir()
	if err := syscall.Mount("tmpfs", data, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size=2m,mode=0700"); err != nil {
		t.Skipf("skipped: cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { assert.NoError(t, syscall.Unmount(data, 0)) })
	addAccount(t, data, "ada@example.com", "analytical-1843")

	var logs syncBuffer
	var c config
	require.NoError(t, parse(serveFlags("t", &c), []string{"-addr", "127.0.0.1:0", "-static", staticDir(t), "-data", data}, envMap(nil), io.Discard))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, ready, &logs) }()
	addr := <-ready
	before := signIn(t, addr, "ada@example.com", "analytical-1843")

	// Fill the disk.
	filler := filepath.Join(data, "filler")
	f, err := os.OpenFile(filler, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	require.NoError(t, err)
	chunk := make([]byte, 4096)
	for {
		if _, err = f.Write(chunk); err != nil {
			break
		}
	}
	require.ErrorIs(t, err, syscall.ENOSPC)
	require.NoError(t, f.Close())

	// The WAL may still have room in blocks it holds: sign in until a
	// sign-in finds none.
	refused := 0
	for attempt := 0; attempt < 200 && refused == 0; attempt++ {
		switch code := signInCode(t, addr); code {
		case http.StatusOK:
		case http.StatusServiceUnavailable:
			refused++
			t.Logf("sign-in %d on the full disk answered 503", attempt+1)
		default:
			t.Fatalf("sign-in on a full disk answered %d, want 503 (or 200 while the WAL has room)", code)
		}
	}
	require.Equal(t, 1, refused, "no sign-in was refused on a full disk")
	why := regexp.MustCompile(`level=ERROR .*database or disk is full.*`)
	assert.Eventually(t, func() bool { return why.MatchString(logs.String()) }, 5*time.Second, 10*time.Millisecond,
		"the log says why") // the server writes its log every 100 ms
	t.Log("log: " + why.FindString(logs.String()))
	assert.JSONEq(t, `{"status":200}`, sessionStatus(t, addr, before), "a signed-in session still reads")
	checkIntegrity(t, filepath.Join(data, sqlite.FileName))

	require.NoError(t, os.Remove(filler), "space returns")
	assert.Equal(t, http.StatusOK, signInCode(t, addr), "sign-in works again")
	cancel()
	require.NoError(t, <-done, "clean shutdown")
	checkIntegrity(t, filepath.Join(data, sqlite.FileName))
}

// signInCode is the status code of a sign-in to the test's account.
func signInCode(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/api/auth/signin", "application/json",
		strings.NewReader(`{"email":"ada@example.com","password":"analytical-1843"}`))
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// checkIntegrity runs PRAGMA integrity_check on the database at path.
func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	var res string
	err = db.QueryRow("PRAGMA integrity_check").Scan(&res)
	if errors.Is(err, sql.ErrNoRows) {
		t.Fatal("integrity_check answered nothing")
	}
	require.NoError(t, err)
	assert.Equal(t, "ok", res, "integrity_check of %s", path)
}

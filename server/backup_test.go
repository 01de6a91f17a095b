package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store/sqlite"
	"github.com/sessionguard/sessionguard/server/users"
)

// TestBackupAndRestore: a backup taken while the server runs, restored into
// a new data directory, serves the sessions and accounts it held: the
// cookie signed in before the backup is still signed in, the accounts sign
// in, and a session begun after the backup is not in it.
func TestBackupAndRestore(t *testing.T) {
	data := t.TempDir()
	addAccount(t, data, "ada@example.com", "analytical-1843")

	var c config
	require.NoError(t, parse(serveFlags("t", &c), []string{"-addr", "127.0.0.1:0", "-static", staticDir(t), "-data", data, "-log-level", "error"}, envMap(nil), io.Discard))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, ready, io.Discard) }()
	addr := <-ready
	before := signIn(t, addr, "ada@example.com", "analytical-1843")

	// While the server runs and holds the data directory.
	out := filepath.Join(t.TempDir(), "sessionguard-backup.db")
	var stdout, errOut bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"backup", "-data", data, "-o", out}, envMap(nil), nil, &stdout, &errOut), errOut.String())
	assert.Contains(t, stdout.String(), "backed up "+filepath.Join(data, sqlite.FileName)+" to "+out)
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	after := signIn(t, addr, "ada@example.com", "analytical-1843")

	errOut.Reset()
	assert.Equal(t, 1, run(context.Background(), []string{"backup", "-data", data, "-o", out}, envMap(nil), nil, io.Discard, &errOut))
	assert.Contains(t, errOut.String(), "file exists", "an existing file is not overwritten")
	cancel()
	require.NoError(t, <-done)

	// Restore: the copy is the database of a new data directory.
	restored := t.TempDir()
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(restored, sqlite.FileName), b, 0o600))
	addr = startServer(t, "-data", restored)
	assert.JSONEq(t, `{"status":200}`, sessionStatus(t, addr, before), "signed in before the backup")
	assert.JSONEq(t, `{"status":401}`, sessionStatus(t, addr, after), "signed in after the backup")
	signIn(t, addr, "ada@example.com", "analytical-1843")
}

// addAccount creates an account in the SQLite store of data, its password
// hashed with the least argon2id work, so that signing in costs the tests
// next to nothing (a hash is verified with the parameters it was made with).
func addAccount(t *testing.T, data, email, password string) {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(data, sqlite.FileName))
	require.NoError(t, err)
	defer st.Close()
	svc, err := users.New(ctx, st, users.NewHasher(users.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 1))
	require.NoError(t, err)
	_, err = svc.Create(ctx, users.NewAccount{Email: email, Name: email, Role: users.RoleUser, Password: password})
	require.NoError(t, err)
}

// TestBackupOfOtherStoresSaysWhatToBackUp: only the SQLite file is copied
// by the command; for the others it names their tools and exits 2.
func TestBackupOfOtherStoresSaysWhatToBackUp(t *testing.T) {
	o := filepath.Join(t.TempDir(), "b.db")
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-store", "postgres", "-store-schema", "sg_prod", "-o", o}, "pg_dump --schema=sg_prod"},
		{[]string{"-store", "redis", "-store-prefix", "prod:", "-o", o}, "RDB snapshot or AOF file, which hold the keys prod:*"},
		{[]string{"-store", "memory", "-o", o}, "keeps nothing"},
		{[]string{"-data", t.TempDir()}, "-o FILE is required"},
	} {
		var errOut bytes.Buffer
		code := run(context.Background(), append([]string{"backup"}, tt.args...), envMap(nil), nil, io.Discard, &errOut)
		assert.Equal(t, 2, code, tt.args)
		assert.Contains(t, errOut.String(), tt.msg)
	}
	_, err := os.Stat(o)
	assert.ErrorIs(t, err, os.ErrNotExist, "no file was written")
	var errOut bytes.Buffer
	empty := t.TempDir()
	assert.Equal(t, 1, run(context.Background(), []string{"backup", "-data", empty, "-o", filepath.Join(t.TempDir(), "b.db")}, envMap(nil), nil, io.Discard, &errOut))
	assert.Contains(t, errOut.String(), "no database in -data "+empty)
	_, err = os.Stat(filepath.Join(empty, sqlite.FileName))
	assert.ErrorIs(t, err, os.ErrNotExist, "none was created")
}

// signIn signs in on the server at addr and returns the session cookie.
func signIn(t *testing.T, addr, email, password string) *http.Cookie {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/api/auth/signin", "application/json",
		strings.NewReader(`{"email":"`+email+`","password":"`+password+`"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return resp.Cookies()[0]
}

// sessionStatus is the body of the session status for the cookie.
func sessionStatus(t *testing.T, addr string, cookie *http.Cookie) string {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/get-session-status", nil)
	req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

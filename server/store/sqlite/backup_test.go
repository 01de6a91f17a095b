package sqlite_test

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
)

// TestBackup: a copy taken while a writer keeps writing holds everything
// committed before it began, passes the integrity check, is 0600, opens as
// a store; an existing file is never overwritten.
func TestBackup(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	defer s.Close()
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	user := store.User{ID: "u1", Email: "grace@example.com", Name: "Grace", Role: "admin", PasswordHash: "$argon2id$x", CreatedAt: t0}
	require.NoError(t, s.CreateUser(ctx, user))
	before := make([]store.Session, 200)
	for i := range before {
		before[i] = session("u1", t0)
		require.NoError(t, s.CreateSession(ctx, before[i]))
	}

	// A writer that does not stop for the backup.
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var written atomic.Int64
	wg.Go(func() {
		for wctx.Err() == nil {
			if err := s.CreateSession(wctx, session("u2", t0)); err != nil && wctx.Err() == nil {
				t.Errorf("write during backup: %v", err)
				return
			}
			written.Add(1)
		}
	})
	for written.Load() < 50 { // the writer runs
		time.Sleep(time.Millisecond)
	}
	out := filepath.Join(t.TempDir(), "backup.db")
	require.NoError(t, s.Backup(ctx, out))
	during := written.Load()
	for written.Load() < during+50 { // and keeps running after
		time.Sleep(time.Millisecond)
	}
	stop()
	wg.Wait()

	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	assertIntegrity(t, out)

	cp, err := sqlite.Open(ctx, out)
	require.NoError(t, err)
	defer cp.Close()
	got, found, err := cp.UserByID(ctx, "u1")
	require.NoError(t, err)
	require.True(t, found, "the account is in the copy")
	assert.Equal(t, user, got)
	for _, sess := range before {
		_, found, err := cp.Session(ctx, sess.IDHash, t0)
		require.NoError(t, err)
		require.True(t, found, "a session committed before the backup is in the copy")
	}
	n, err := cp.DeleteUserSessions(ctx, "u2")
	require.NoError(t, err)
	assert.Positive(t, n, "the writer's sessions up to the backup are in the copy")
	assert.Less(t, int64(n), written.Load(), "those written after it are not")

	// Never overwrite: neither an earlier backup nor any other file.
	require.NoError(t, os.WriteFile(out, []byte("precious"), 0o600))
	err = s.Backup(ctx, out)
	require.ErrorIs(t, err, fs.ErrExist)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(b))
	assert.Error(t, s.Backup(ctx, s.Path()), "not onto the database itself")
	assert.ErrorIs(t, s.Backup(ctx, filepath.Join(t.TempDir(), "no", "such", "dir", "b.db")), fs.ErrNotExist)
}

// TestBackupBesideOpenExclusive: the server's store holds the data
// directory's lock; a second Open of the file (the backup command's) copies
// it while the server keeps writing.
func TestBackupBesideOpenExclusive(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	srv, err := sqlite.OpenExclusive(ctx, dir)
	require.NoError(t, err)
	defer srv.Close()
	t0 := time.Now().UTC()
	sess := session("u1", t0)
	require.NoError(t, srv.CreateSession(ctx, sess))

	side, err := sqlite.Open(ctx, filepath.Join(dir, sqlite.FileName))
	require.NoError(t, err)
	defer side.Close()
	out := filepath.Join(t.TempDir(), "backup.db")
	require.NoError(t, side.Backup(ctx, out))
	require.NoError(t, srv.CreateSession(ctx, session("u1", t0)), "the server writes on")

	assertIntegrity(t, out)
	cp, err := sqlite.Open(ctx, out)
	require.NoError(t, err)
	defer cp.Close()
	_, found, err := cp.Session(ctx, sess.IDHash, t0)
	require.NoError(t, err)
	assert.True(t, found)
}

// assertIntegrity runs PRAGMA integrity_check on the database at path.
func assertIntegrity(tb testing.TB, path string) {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(tb, err)
	defer db.Close()
	var res []string
	rows, err := db.Query("PRAGMA integrity_check")
	require.NoError(tb, err)
	defer rows.Close()
	for rows.Next() {
		var line string
		require.NoError(tb, rows.Scan(&line))
		res = append(res, line)
	}
	require.NoError(tb, rows.Err())
	assert.Equal(tb, []string{"ok"}, res, "integrity_check of %s", path)
}

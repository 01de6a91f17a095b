package sqlite_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
	"github.com/sessionguard/sessionguard/server/store/storetest"
)

// open opens a new database in a directory of its own.
func open(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "sessionguard.db"))
	require.NoError(tb, err)
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func BenchmarkSessionRead(b *testing.B) {
	storetest.BenchmarkSessionRead(b, func(b *testing.B) store.Store { return open(b) })
}

func BenchmarkTouch(b *testing.B) {
	storetest.BenchmarkTouch(b, func(b *testing.B) store.Store { return open(b) })
}

func BenchmarkRevoked(b *testing.B) {
	storetest.BenchmarkRevoked(b, func(b *testing.B) store.Store { return open(b) })
}

func BenchmarkRedeemRefreshToken(b *testing.B) {
	storetest.BenchmarkRedeemRefreshToken(b, func(b *testing.B) store.Store { return open(b) })
}

func BenchmarkIncr(b *testing.B) {
	storetest.BenchmarkIncr(b, func(b *testing.B) store.Store { return open(b) })
}

func BenchmarkCount(b *testing.B) {
	storetest.BenchmarkCount(b, func(b *testing.B) store.Store { return open(b) })
}

func BenchmarkUserSessions(b *testing.B) {
	storetest.BenchmarkUserSessions(b, func(b *testing.B) store.Store { return open(b) })
}

func BenchmarkCountSessions(b *testing.B) {
	storetest.BenchmarkCountSessions(b, func(b *testing.B) store.Store { return open(b) })
}

// session returns a live session with a random hash.
func session(userID string, t0 time.Time) store.Session {
	h := make([]byte, store.HashLen)
	rand.Read(h)
	return store.Session{
		IDHash: h, UserID: userID, Email: userID + "@example.com", Name: userID, Role: "user",
		CreatedAt: t0, Expires: t0.Add(time.Hour), AbsExpires: t0.Add(12 * time.Hour),
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessionguard.db")
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	sess := session("alice", t0)
	user := store.User{ID: "alice", Email: "alice@example.com", Name: "Alice", Role: "admin", PasswordHash: "$argon2id$x", CreatedAt: t0}

	s, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	require.NoError(t, s.CreateSession(t.Context(), sess))
	require.NoError(t, s.CreateUser(t.Context(), user))
	if found, err := s.TouchSession(t.Context(), sess.IDHash, t0.Add(2*time.Hour)); assert.NoError(t, err) {
		assert.True(t, found, "TouchSession found")
	}
	require.NoError(t, s.Close())

	s, err = sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })

	got, found, err := s.Session(t.Context(), sess.IDHash, t0.Add(90*time.Minute))
	require.NoError(t, err)
	require.True(t, found, "session lost on reopen")
	sess.Expires = t0.Add(2 * time.Hour)
	assert.Equal(t, sess, got)
	gotUser, found, err := s.UserByEmail(t.Context(), user.Email)
	require.NoError(t, err)
	require.True(t, found, "user lost on reopen")
	assert.Equal(t, user, gotUser)
}

func TestOpenNotDatabase(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
	}{
		{"short text", []byte("hello, world\n")},
		{"page of zeros and more", append(make([]byte, 4096), 'x')},
		{"sqlite magic with a broken header", []byte("SQLite format 3\x00" + string(make([]byte, 100)) + "garbage")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sessionguard.db")
			require.NoError(t, os.WriteFile(path, tt.content, 0o600))

			s, err := sqlite.Open(t.Context(), path)
			if s != nil {
				s.Close()
			}
			require.ErrorIs(t, err, sqlite.ErrNotDatabase)
			assert.Contains(t, err.Error(), path, "the error names the file")
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, tt.content, got, "the file was changed")
		})
	}
}

func TestOpenSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessionguard.db")
	s, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec("PRAGMA user_version = 1000")
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s, err = sqlite.Open(t.Context(), path)
	if s != nil {
		s.Close()
	}
	require.ErrorIs(t, err, sqlite.ErrSchemaTooNew)
	assert.Contains(t, err.Error(), "version 1000")
}

func TestOpenPermissions(t *testing.T) {
	t.Run("new", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data", "nested")
		path := filepath.Join(dir, "sessionguard.db")
		s, err := sqlite.Open(t.Context(), path)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		// A write makes sure that the WAL exists.
		require.NoError(t, s.CreateSession(t.Context(), session("alice", time.Now())))

		for _, d := range []string{dir, filepath.Dir(dir)} {
			assertMode(t, d, os.ModeDir|0o700)
		}
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			assertMode(t, f, 0o600)
		}
	})
	t.Run("existing file is made private", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sessionguard.db")
		require.NoError(t, os.WriteFile(path, nil, 0o644))
		require.NoError(t, os.Chmod(path, 0o644)) // whatever the umask
		s, err := sqlite.Open(t.Context(), path)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })

		assertMode(t, path, 0o600)
	})
}

// assertMode checks the type and permission bits of a file.
func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if assert.NoError(t, err) {
		assert.Equal(t, want, fi.Mode()&(os.ModeType|os.ModePerm), path)
	}
}

func TestOpenPathNeedsEscaping(t *testing.T) {
	// Characters that mean something in a URI must reach the file name.
	dir := t.TempDir()
	path := filepath.Join(dir, "a b?c=d&e#f%41.db")
	s, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	sess := session("alice", time.Now())
	require.NoError(t, s.CreateSession(t.Context(), sess))
	require.NoError(t, s.Close())

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "the database and nothing else, after Close")
	assert.Equal(t, filepath.Base(path), entries[0].Name())
	assert.Equal(t, path, s.Path())

	s, err = sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	_, found, err := s.Session(t.Context(), sess.IDHash, time.Now())
	require.NoError(t, err)
	assert.True(t, found)
}

func TestOpenRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := sqlite.Open(t.Context(), filepath.Join("data", "sessionguard.db"))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })

	wd, err := os.Getwd()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(wd, "data", "sessionguard.db"), s.Path())
	assert.FileExists(t, s.Path())
}

func TestOpenEmptyPath(t *testing.T) {
	s, err := sqlite.Open(t.Context(), "")
	assert.Nil(t, s)
	assert.Error(t, err)
}

func TestOpenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sessionguard.db"))
	assert.Nil(t, s)
	assert.ErrorIs(t, err, context.Canceled)
}

// TestTwoStoresOneFile stands for the server and a "useradd" run at the same
// time: two writers on one file wait for each other instead of failing.
func TestTwoStoresOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessionguard.db")
	var stores [2]*sqlite.Store
	for i := range stores {
		s, err := sqlite.Open(t.Context(), path)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		stores[i] = s
	}

	const n = 100
	t0 := time.Now()
	sessions := make([]store.Session, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sessions[i] = session(fmt.Sprintf("user-%d", i), t0)
			assert.NoError(t, stores[i%2].CreateSession(t.Context(), sessions[i]))
			_, err := stores[(i+1)%2].DeleteUserSessions(t.Context(), "nobody")
			assert.NoError(t, err)
		})
	}
	wg.Wait()

	for i, sess := range sessions {
		_, found, err := stores[(i+1)%2].Session(t.Context(), sess.IDHash, t0)
		require.NoError(t, err)
		assert.True(t, found, "session %d not seen by the other store", i)
	}
}

//go:build unix

package sqlite_test

import (
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
)

// TestOpenExclusive: one server per data directory; while it runs, a
// command that writes accounts opens the file beside it; the server's
// session reads come from memory, which is exact because no other process
// writes sessions.
func TestOpenExclusive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // created by OpenExclusive
	ctx := t.Context()
	st, err := sqlite.OpenExclusive(ctx, dir)
	require.NoError(t, err)

	_, err = sqlite.OpenExclusive(ctx, dir)
	assert.ErrorContains(t, err, "another sessionguard server is using "+dir, "a second server is refused")

	// A command beside the running server (useradd) writes accounts; the
	// server reads them at once (accounts are never cached).
	side, err := sqlite.Open(ctx, filepath.Join(dir, sqlite.FileName))
	require.NoError(t, err)
	defer side.Close()
	now := time.Now().UTC()
	require.NoError(t, side.CreateUser(ctx, store.User{ID: "u1", Email: "grace@example.com", Name: "Grace", Role: "user", PasswordHash: "$argon2id$x", CreatedAt: now}))
	_, found, err := st.UserByID(ctx, "u1")
	require.NoError(t, err)
	assert.True(t, found, "an account written beside the server")

	// Session reads are served from memory: a record the server created
	// stays readable to it even after something else removed it from the
	// file (which nothing may do while the lock is held).
	hash := make([]byte, store.HashLen)
	_, _ = rand.Read(hash)
	sess := store.Session{IDHash: hash, UserID: "u1", CreatedAt: now, Expires: now.Add(time.Hour), AbsExpires: now.Add(2 * time.Hour)}
	require.NoError(t, st.CreateSession(ctx, sess))
	require.NoError(t, side.DeleteSession(ctx, hash))
	_, found, err = st.Session(ctx, hash, now)
	require.NoError(t, err)
	assert.True(t, found, "read from the server's cache, not the file")

	require.NoError(t, st.Close())
	again, err := sqlite.OpenExclusive(ctx, dir)
	require.NoError(t, err, "Close releases the lock")
	_, found, err = again.Session(ctx, hash, now)
	require.NoError(t, err)
	assert.False(t, found, "a new server reads the file")
	require.NoError(t, again.Close())
}

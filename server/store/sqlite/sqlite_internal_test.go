package sqlite

import (
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

func openInternal(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "sessionguard.db"))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

func TestPragmas(t *testing.T) {
	s := openInternal(t)
	tests := []struct {
		pragma string
		write  string // on the writer
		read   string // on the readers
	}{
		{"journal_mode", "wal", "wal"},
		{"busy_timeout", "5000", "5000"},
		{"synchronous", "1", "1"}, // NORMAL
		{"foreign_keys", "1", "1"},
		{"query_only", "0", "1"},
		{"user_version", strconv.Itoa(len(migrations)), strconv.Itoa(len(migrations))},
	}
	for _, tt := range tests {
		t.Run(tt.pragma, func(t *testing.T) {
			for _, pool := range []struct {
				name string
				db   *sql.DB
				want string
			}{{"writer", s.write, tt.write}, {"readers", s.read, tt.read}} {
				var got string
				require.NoError(t, pool.db.QueryRowContext(t.Context(), "PRAGMA "+tt.pragma).Scan(&got))
				assert.Equal(t, pool.want, got, pool.name)
			}
		})
	}
}

func TestEveryReaderHasThePragmas(t *testing.T) {
	s := openInternal(t)
	// Hold as many reader connections as the pool allows at once, so that
	// each is a connection of its own, and ask each one.
	n := s.read.Stats().MaxOpenConnections
	conns := make([]*sql.Conn, n)
	for i := range conns {
		c, err := s.read.Conn(t.Context())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		conns[i] = c
	}
	for i, c := range conns {
		var mode string
		var timeout, queryOnly int
		require.NoError(t, c.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode))
		require.NoError(t, c.QueryRowContext(t.Context(), "PRAGMA busy_timeout").Scan(&timeout))
		require.NoError(t, c.QueryRowContext(t.Context(), "PRAGMA query_only").Scan(&queryOnly))
		assert.Equal(t, "wal", mode, "connection %d", i)
		assert.Equal(t, 5000, timeout, "connection %d", i)
		assert.Equal(t, 1, queryOnly, "connection %d", i)
	}
}

func TestReadersCannotWrite(t *testing.T) {
	s := openInternal(t)
	_, err := s.read.ExecContext(t.Context(), `DELETE FROM sessions`)
	assert.ErrorContains(t, err, "readonly")
}

func TestWriterIsOneConnection(t *testing.T) {
	s := openInternal(t)
	assert.Equal(t, 1, s.write.Stats().MaxOpenConnections)
}

// TestQueryPlans checks that the queries that run on every request, or on a
// table full of sessions, use an index rather than scan the table.
func TestQueryPlans(t *testing.T) {
	s := openInternal(t)
	tests := []struct {
		name  string
		query string
		args  []any
		index string
	}{
		{"session read", sqlSessionByHash, []any{make([]byte, 32), 0}, "PRIMARY KEY"},
		{"touch", sqlTouch, []any{0, make([]byte, 32)}, "PRIMARY KEY"},
		{"delete user sessions", `DELETE FROM sessions WHERE user_id = ?`, []any{"alice"}, "sessions_user_id"},
		{"delete expired sessions", `DELETE FROM sessions WHERE min(expires, abs_expires) <= ?`, []any{0}, "sessions_dies"},
		{"user by e-mail", `SELECT id FROM users WHERE email = ?`, []any{"a@example.com"}, "sqlite_autoindex_users"},
		{"user by id", `SELECT id FROM users WHERE id = ?`, []any{"alice"}, "sqlite_autoindex_users"},
		{"revoked without ids", sqlRevoked(0), []any{"alice", 0}, "SEARCH user_valid_after USING PRIMARY KEY (user_id=?)"},
		{"revoked: valid after", sqlRevoked(2), []any{"alice", 0, 0, "a", "b"}, "SEARCH user_valid_after USING PRIMARY KEY (user_id=?)"},
		{"revoked: denials", sqlRevoked(2), []any{"alice", 0, 0, "a", "b"}, "SEARCH denials USING PRIMARY KEY (id=?)"},
		{"revoked: many ids", sqlRevoked(9), []any{"alice", 0, 0, "a", "b", "c", "d", "e", "f", "g", "h", "i"}, "SEARCH denials USING PRIMARY KEY (id=?)"},
		{"user valid after", `SELECT valid_after FROM user_valid_after WHERE user_id = ?`, []any{"alice"}, "PRIMARY KEY"},
		{"delete expired denials", `DELETE FROM denials WHERE until <= ?`, []any{0}, "denials_until"},
		{"redeem", sqlRedeem, []any{0, make([]byte, 32), 0}, "PRIMARY KEY"},
		{"delete family", `DELETE FROM refresh_tokens WHERE session_hash = ?`, []any{make([]byte, 32)}, "refresh_tokens_family"},
		{"delete expired refresh tokens", `DELETE FROM refresh_tokens WHERE expires_at <= ?`, []any{0}, "refresh_tokens_expires_at"},
		{"secret", `SELECT value FROM secrets WHERE name = ?`, []any{"hmac"}, "PRIMARY KEY"},
		{"count", `SELECT n, last FROM counters WHERE key = ? AND expires > ?`, []any{"k", 0}, "PRIMARY KEY"},
		{"reset counter", `DELETE FROM counters WHERE key = ?`, []any{"k"}, "PRIMARY KEY"},
		{"sweep counters", sqlSweepCounters, []any{0}, "counters_expires"},
		{"list user sessions", sqlUserSessions, []any{"alice", 0}, "sessions_user_id"},
		{"count sessions", sqlCountSessions, []any{0}, "COVERING INDEX sessions_dies"},
		{"update user", sqlUpdateUser, []any{"Alice", "user", "$argon2id$x", true, "alice"}, "sqlite_autoindex_users"},
		// ListUsers reads every account, and so scans users: not here.
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := s.write.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tt.query, tt.args...)
			require.NoError(t, err)
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
				plan = append(plan, detail)
			}
			require.NoError(t, rows.Err())
			got := strings.Join(plan, "; ")
			assert.Contains(t, got, tt.index)
			assert.NotRegexp(t, `SCAN (sessions|users|denials|user_valid_after|refresh_tokens|secrets|counters)\b`, got)
		})
	}
}

// TestCountSessionsReadsTheIndexAlone checks that counting the live
// sessions opens the index of when a session dies and not the table: the
// plan says "COVERING INDEX" either way, the program of the statement shows
// whether each entry is looked up in the table.
func TestCountSessionsReadsTheIndexAlone(t *testing.T) {
	s := openInternal(t)
	rows, err := s.write.QueryContext(t.Context(), "EXPLAIN "+sqlCountSessions, 0)
	require.NoError(t, err)
	defer rows.Close()
	var opens []string
	for rows.Next() {
		var addr, p1, p2, p3, p5 int
		var opcode string
		var p4, comment any
		require.NoError(t, rows.Scan(&addr, &opcode, &p1, &p2, &p3, &p4, &p5, &comment))
		if opcode == "OpenRead" {
			opens = append(opens, fmt.Sprint(p4))
		}
	}
	require.NoError(t, rows.Err())
	assert.Len(t, opens, 1, "b-trees opened (key infos %v): the index, not the table too", opens)
}

// TestMigrate checks the migration mechanism with steps of its own: a later
// version appends a step, and a step that fails leaves the database as it was.
func TestMigrate(t *testing.T) {
	s := openInternal(t)
	version := func() int {
		var v int
		require.NoError(t, s.write.QueryRowContext(t.Context(), "PRAGMA user_version").Scan(&v))
		return v
	}
	tableExists := func(name string) bool {
		var n int
		require.NoError(t, s.write.QueryRowContext(t.Context(),
			`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n))
		return n == 1
	}
	require.Equal(t, len(migrations), version())

	t.Run("up to date is a no-op", func(t *testing.T) {
		require.NoError(t, migrate(t.Context(), s.write, migrations))
		assert.Equal(t, len(migrations), version())
	})

	t.Run("failing step rolls back every step", func(t *testing.T) {
		steps := append(migrations[:len(migrations):len(migrations)],
			`CREATE TABLE added (x INTEGER)`,
			`CREATE TABLE broken (`)
		assert.Error(t, migrate(t.Context(), s.write, steps))
		assert.Equal(t, len(migrations), version())
		assert.False(t, tableExists("added"), "step before the failing one kept")
	})

	t.Run("appended step is applied", func(t *testing.T) {
		steps := append(migrations[:len(migrations):len(migrations)], `CREATE TABLE added (x INTEGER)`)
		require.NoError(t, migrate(t.Context(), s.write, steps))
		assert.Equal(t, len(steps), version())
		assert.True(t, tableExists("added"))
	})

	t.Run("newer than the steps", func(t *testing.T) {
		assert.ErrorIs(t, migrate(t.Context(), s.write, migrations), ErrSchemaTooNew)
	})
}

func TestDSN(t *testing.T) {
	// The name must reach SQLite intact, and the parameters must be those
	// of the pool.
	write, read := dsn("/data/a b?#%.db", false), dsn("/data/a b?#%.db", true)
	for _, d := range []string{write, read} {
		assert.True(t, strings.HasPrefix(d, "file:///data/a%20b%3F%23%25.db?"), d)
	}
	assert.Contains(t, write, "_txlock=immediate")
	assert.NotContains(t, write, "_query_only")
	assert.Contains(t, read, "_query_only=1")
}

// TestUpgradeFromVersion1 opens a database written by the first release,
// with a session in it, and checks that Open brings it up to date and keeps
// the session.
func TestUpgradeFromVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessionguard.db")
	require.NoError(t, createFile(path))
	db, err := sql.Open("sqlite", dsn(path, false))
	require.NoError(t, err)
	require.NoError(t, migrate(t.Context(), db, migrations[:1]))
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	hash := make([]byte, 32)
	hash[0] = 1
	_, err = db.ExecContext(t.Context(),
		`INSERT INTO sessions (id_hash, user_id, email, name, role, created_at, expires, abs_expires)
		VALUES (?, 'alice', 'alice@example.com', 'Alice', 'user', ?, ?, ?)`,
		hash, millis(t0), millis(t0.Add(time.Hour)), millis(t0.Add(2*time.Hour)))
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s, err := Open(t.Context(), path)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })

	var version int
	require.NoError(t, s.write.QueryRowContext(t.Context(), "PRAGMA user_version").Scan(&version))
	assert.Equal(t, len(migrations), version)
	_, found, err := s.Session(t.Context(), hash, t0)
	require.NoError(t, err)
	assert.True(t, found, "session lost in the upgrade")
	require.NoError(t, s.Deny(t.Context(), "jti-1", t0.Add(time.Hour)), "a table of step 2")
	revoked, err := s.Revoked(t.Context(), "alice", t0, t0, "jti-1")
	require.NoError(t, err)
	assert.True(t, revoked)
	n, err := s.Incr(t.Context(), "k", time.Hour, t0)
	require.NoError(t, err, "a table of step 3")
	assert.Equal(t, int64(1), n)
}

// TestUpgradeFromVersion3 opens a database written before step 4, with an
// account and a session in it, and checks that Open brings it up to date:
// the session has an empty device, the account is enabled, and both can be
// listed, counted and changed.
func TestUpgradeFromVersion3(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessionguard.db")
	require.NoError(t, createFile(path))
	db, err := sql.Open("sqlite", dsn(path, false))
	require.NoError(t, err)
	require.NoError(t, migrate(t.Context(), db, migrations[:3]))
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	hash := make([]byte, 32)
	hash[0] = 1
	_, err = db.ExecContext(t.Context(),
		`INSERT INTO sessions (id_hash, user_id, email, name, role, created_at, expires, abs_expires)
		VALUES (?, 'alice', 'alice@example.com', 'Alice', 'user', ?, ?, ?)`,
		hash, millis(t0), millis(t0.Add(time.Hour)), millis(t0.Add(2*time.Hour)))
	require.NoError(t, err)
	_, err = db.ExecContext(t.Context(),
		`INSERT INTO users (id, email, name, role, password_hash, created_at)
		VALUES ('alice', 'alice@example.com', 'Alice', 'user', '$argon2id$x', ?)`, millis(t0))
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s, err := Open(t.Context(), path)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })

	var version int
	require.NoError(t, s.write.QueryRowContext(t.Context(), "PRAGMA user_version").Scan(&version))
	assert.Equal(t, len(migrations), version)
	want := store.Session{
		IDHash: hash, UserID: "alice", Email: "alice@example.com", Name: "Alice", Role: "user",
		CreatedAt: t0, Expires: t0.Add(time.Hour), AbsExpires: t0.Add(2 * time.Hour),
		AAL: store.AAL1, AuthenticatedAt: t0,
	}
	got, found, err := s.Session(t.Context(), hash, t0)
	require.NoError(t, err)
	require.True(t, found, "session lost in the upgrade")
	assert.Equal(t, want, got, "the session, with an empty device, proved with a password at sign-in")
	list, err := s.UserSessions(t.Context(), "alice", t0)
	require.NoError(t, err)
	assert.Equal(t, []store.Session{want}, list)
	n, err := s.CountSessions(t.Context(), t0)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)

	user := store.User{ID: "alice", Email: "alice@example.com", Name: "Alice", Role: "user", PasswordHash: "$argon2id$x", CreatedAt: t0}
	gotUser, found, err := s.UserByID(t.Context(), "alice")
	require.NoError(t, err)
	require.True(t, found, "account lost in the upgrade")
	assert.Equal(t, user, gotUser, "the account, enabled")
	users, err := s.ListUsers(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []store.User{user}, users)
	disabled := true
	_, found, err = s.UpdateUser(t.Context(), user.ID, store.UserChange{Disabled: &disabled})
	require.NoError(t, err)
	require.True(t, found)
	gotUser, _, err = s.UserByEmail(t.Context(), user.Email)
	require.NoError(t, err)
	assert.True(t, gotUser.Disabled, "disabled after the upgrade")

	// The columns keep their rules: a flag is 0 or 1.
	_, err = s.write.ExecContext(t.Context(), `UPDATE users SET disabled = 2 WHERE id = 'alice'`)
	assert.ErrorContains(t, err, "CHECK constraint failed")
}

// TestIncrSweepsForgottenCounters checks that every sweepEvery-th Incr
// removes the counters forgotten at its now, and only those.
func TestIncrSweepsForgottenCounters(t *testing.T) {
	s := openInternal(t)
	t0 := time.Now().UTC()
	incr := func(key string, ttl time.Duration, now time.Time) {
		t.Helper()
		_, err := s.Incr(t.Context(), key, ttl, now)
		require.NoError(t, err)
	}
	rows := func() int {
		var n int
		require.NoError(t, s.read.QueryRowContext(t.Context(), `SELECT count(*) FROM counters`).Scan(&n))
		return n
	}
	// sweepEvery-1 calls: keys k0 to k1020, the even ones for an hour and
	// the odd ones for a minute, then k0 again for a minute and k1 again
	// for an hour: the last increment's ttl counts.
	const keys = sweepEvery - 3
	for i := range keys {
		ttl := time.Minute
		if i%2 == 0 {
			ttl = time.Hour
		}
		incr("k"+strconv.Itoa(i), ttl, t0)
	}
	incr("k0", time.Minute, t0)
	incr("k1", time.Hour, t0)
	require.Equal(t, keys, rows(), "before the sweep")

	// Two minutes on, the sweepEvery-th call sweeps before it counts.
	later := t0.Add(2 * time.Minute)
	incr("new", time.Hour, later)
	live := (keys + 1) / 2 // as many as the even keys: k0 out, k1 in
	assert.Equal(t, live+1, rows(), "after the sweep: the live ones and the new one")
	n, _, err := s.Count(t.Context(), "k1", later)
	require.NoError(t, err)
	assert.Equal(t, int64(2), n, "a live counter after the sweep")
}

// TestBackupFileDoesNotMigrate: a backup copies the file as it is. A
// database at an older schema version (as a newer binary would find a live
// file of an older server) stays at that version, and so does its copy;
// a missing database is an error, never an empty file created in its place.
func TestBackupFileDoesNotMigrate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "old.db")
	require.NoError(t, createFile(path))
	db, err := sql.Open("sqlite", dsn(path, false))
	require.NoError(t, err)
	require.NoError(t, migrate(t.Context(), db, migrations[:1]))
	require.NoError(t, db.Close())
	require.Greater(t, len(migrations), 1, "this binary knows newer versions")

	version := func(p string) int {
		t.Helper()
		db, err := sql.Open("sqlite", backupDSN(p))
		require.NoError(t, err)
		defer db.Close()
		var v int
		require.NoError(t, db.QueryRow(`PRAGMA user_version`).Scan(&v))
		return v
	}
	out := filepath.Join(dir, "copy.db")
	require.NoError(t, BackupFile(t.Context(), path, out))
	assert.Equal(t, 1, version(path), "the live file is not migrated")
	assert.Equal(t, 1, version(out), "the copy is the file as it was")

	missing := filepath.Join(dir, "missing.db")
	err = BackupFile(t.Context(), missing, filepath.Join(dir, "copy2.db"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.NoFileExists(t, missing, "nothing created in its place")
	assert.NoFileExists(t, filepath.Join(dir, "copy2.db"))
}

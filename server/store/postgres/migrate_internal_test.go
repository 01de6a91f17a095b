package postgres

import (
	"context"
	neturl "net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
)

// TestMigrate checks the migration mechanism with steps of its own: a later
// version appends a step, and a step that fails leaves the schema as it was.
func TestMigrate(t *testing.T) {
	url := testenv.Postgres(t)
	pool, err := pgxpool.New(t.Context(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	schema := testenv.PostgresSchema(t, url)

	version := func() int {
		var v int
		require.NoError(t, pool.QueryRow(t.Context(),
			`SELECT max(version) FROM `+pgx.Identifier{schema, migrationsTable}.Sanitize()).Scan(&v))
		return v
	}
	tableExists := func(name string) bool {
		var ok bool
		require.NoError(t, pool.QueryRow(t.Context(),
			`SELECT to_regclass($1) IS NOT NULL`, pgx.Identifier{schema, name}.Sanitize()).Scan(&ok))
		return ok
	}

	require.NoError(t, migrate(t.Context(), pool, schema, migrations))
	require.Equal(t, len(migrations), version())
	for _, table := range []string{"sessions", "users", "denials", "user_valid_after", "refresh_tokens", "public_keys", "secrets", "counters", "second_factors", "recovery_codes"} {
		assert.True(t, tableExists(table), "table %s", table)
	}

	t.Run("up to date is a no-op", func(t *testing.T) {
		require.NoError(t, migrate(t.Context(), pool, schema, migrations))
		assert.Equal(t, len(migrations), version())
	})

	t.Run("failing step rolls back every step", func(t *testing.T) {
		steps := append(migrations[:len(migrations):len(migrations)],
			`CREATE TABLE added (x integer)`,
			`CREATE TABLE broken (`)
		assert.Error(t, migrate(t.Context(), pool, schema, steps))
		assert.Equal(t, len(migrations), version())
		assert.False(t, tableExists("added"), "step before the failing one kept")
	})

	t.Run("appended step is applied in the schema", func(t *testing.T) {
		steps := append(migrations[:len(migrations):len(migrations)], `CREATE TABLE added (x integer)`)
		require.NoError(t, migrate(t.Context(), pool, schema, steps))
		assert.Equal(t, len(steps), version())
		assert.True(t, tableExists("added"))
		var public bool
		require.NoError(t, pool.QueryRow(t.Context(), `SELECT to_regclass('public.added') IS NOT NULL`).Scan(&public))
		assert.False(t, public, "the step's table landed in public")
	})

	t.Run("newer than the steps", func(t *testing.T) {
		assert.ErrorIs(t, migrate(t.Context(), pool, schema, migrations), ErrSchemaTooNew)
	})
}

// TestQueryPlans checks that the queries that run on every request, or on a
// table full of records, can use an index (sequential scans are switched off,
// so that the plan shows whether an index exists for the query, whatever the
// size of the test's tables).
func TestQueryPlans(t *testing.T) {
	url := testenv.Postgres(t)
	s, err := Open(t.Context(), url, WithSchema(testenv.PostgresSchema(t, url)))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	now := time.Now()
	hash := make([]byte, 32)
	tests := []struct {
		name  string
		query string
		args  []any
		index string
	}{
		{"session read", s.q.session, []any{hash, now}, "sessions_pkey"},
		{"touch", s.q.touch, []any{hash, now}, "sessions_pkey"},
		{"delete user sessions", s.q.deleteUserSessions, []any{"alice"}, "sessions_user_id"},
		{"list user sessions", s.q.userSessions, []any{"alice", now}, "sessions_user_id"},
		{"delete expired sessions", s.q.deleteExpired, []any{now}, "sessions_dies"},
		{"count sessions", s.q.countSessions, []any{now}, "sessions_dies"},
		{"user by e-mail", s.q.userByEmail, []any{"a@example.com"}, "users_email_key"},
		{"user by id", s.q.userByID, []any{"alice"}, "users_pkey"},
		{"revoked", s.q.revoked[2], []any{"alice", now, now, "jti", "sid:1"}, "denials_pkey"},
		{"revoked with many ids", s.q.revokedAny, []any{"alice", now, now, []string{"a", "b", "c", "d", "e"}}, "denials_pkey"},
		{"delete expired denials", s.q.deleteExpiredDenials, []any{now}, "denials_until"},
		{"redeem", s.q.redeem, []any{hash, now}, "refresh_tokens_pkey"},
		{"delete family", s.q.deleteFamily, []any{hash}, "refresh_tokens_family"},
		{"count", s.q.count, []any{"k", now}, "counters_pkey"},
		{"sweep counters", s.q.sweepCounters, []any{now}, "counters_expires"},
		{"delete expired refresh tokens", s.q.deleteExpiredRefreshTokens, []any{now}, "refresh_tokens_expires_at"},
	}
	conn, err := s.pool.Acquire(t.Context())
	require.NoError(t, err)
	defer conn.Release()
	_, err = conn.Exec(t.Context(), `SET enable_seqscan = off`)
	require.NoError(t, err)
	defer conn.Exec(context.Background(), `RESET enable_seqscan`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := conn.Query(t.Context(), "EXPLAIN "+tt.query, tt.args...)
			require.NoError(t, err)
			plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			got := ""
			for _, line := range plan {
				got += line + "\n"
			}
			assert.Contains(t, got, tt.index)
			assert.NotContains(t, got, "Seq Scan")
		})
	}
}

// TestTouchCommitsAsyncOnlyItself checks that the asynchronous commit of a
// touch stays in the touch's transaction: the next statement on the same
// connection commits synchronously again.
func TestTouchCommitsAsyncOnlyItself(t *testing.T) {
	url := testenv.Postgres(t)
	// One connection, so the statement after the touch runs where it ran.
	dsn, err := neturl.Parse(url)
	require.NoError(t, err)
	q := dsn.Query()
	q.Set("pool_max_conns", "1")
	dsn.RawQuery = q.Encode()
	s, err := Open(t.Context(), dsn.String(), WithSchema(testenv.PostgresSchema(t, url)))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	var before string
	require.NoError(t, s.pool.QueryRow(t.Context(), `SHOW synchronous_commit`).Scan(&before))
	require.NotEqual(t, "off", before, "the test server commits asynchronously anyway")

	hash := make([]byte, 32)
	_, err = s.TouchSession(t.Context(), hash, time.Now()) // no such session: the statement runs all the same
	require.NoError(t, err)
	var after string
	require.NoError(t, s.pool.QueryRow(t.Context(), `SHOW synchronous_commit`).Scan(&after))
	assert.Equal(t, before, after)
}

// TestUpgradeKeepsSessionsAsAAL1 migrates a schema that holds a session
// from before step 6 and checks that the session reads as proved with a
// password at sign-in: aal1 at its creation.
func TestUpgradeKeepsSessionsAsAAL1(t *testing.T) {
	url := testenv.Postgres(t)
	pool, err := pgxpool.New(t.Context(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	schema := testenv.PostgresSchema(t, url)
	require.NoError(t, migrate(t.Context(), pool, schema, migrations[:5]))
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	hash := make([]byte, 32)
	hash[0] = 1
	_, err = pool.Exec(t.Context(), `INSERT INTO `+pgx.Identifier{schema, "sessions"}.Sanitize()+`
		(id_hash, user_id, email, name, role, created_at, expires, abs_expires)
		VALUES ($1, 'alice', 'alice@example.com', 'Alice', 'user', $2, $3, $4)`,
		hash, t0, t0.Add(time.Hour), t0.Add(2*time.Hour))
	require.NoError(t, err)

	require.NoError(t, migrate(t.Context(), pool, schema, migrations))
	var (
		aal   string
		authn time.Time
	)
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT aal, authenticated_at FROM `+
		pgx.Identifier{schema, "sessions"}.Sanitize()+` WHERE id_hash = $1`, hash).Scan(&aal, &authn))
	assert.Equal(t, "aal1", aal)
	assert.True(t, t0.Equal(authn), "authenticated_at %v, want the creation %v", authn, t0)
}

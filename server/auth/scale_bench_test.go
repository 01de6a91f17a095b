package auth_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // the "sqlite" driver, to seed the file directly

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/postgres"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
)

// BenchmarkStatusManySessions measures the status check (in process, as
// BenchmarkStatus does) with a thousand and with a million other live
// sessions in the store: SQLite as the command opens it (a locked data
// directory, its reads cached) and PostgreSQL (every check reads the
// store; with SG_TEST_POSTGRES_URL). It also reports how long app.New
// takes on such a store: the server must start without reading them. The
// sessions are written by one SQL statement each, in the stores' own
// schema, so seeding a million takes seconds, not the hours of a million
// API sign-ins. Run it on its own (seeding is not timed):
//
//	go test -run '^$' -bench StatusManySessions -benchtime 200000x ./server/auth
func BenchmarkStatusManySessions(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("sqlite/sessions=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			st, err := sqlite.Open(b.Context(), filepath.Join(dir, sqlite.FileName)) // migrates
			require.NoError(b, err)
			require.NoError(b, st.Close())
			seedSQLite(b, filepath.Join(dir, sqlite.FileName), n)
			start := time.Now()
			ex, err := sqlite.OpenExclusive(b.Context(), dir)
			require.NoError(b, err)
			b.Cleanup(func() { ex.Close() })
			scaleStatus(b, ex, start)
		})
	}
	for _, n := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("postgres/sessions=%d", n), func(b *testing.B) {
			url := testenv.Postgres(b)
			schema := testenv.PostgresSchema(b, url)
			seed, err := postgres.Open(b.Context(), url, postgres.WithSchema(schema)) // migrates
			require.NoError(b, err)
			require.NoError(b, seed.Close())
			seedPostgres(b, url, schema, n)
			start := time.Now()
			st, err := postgres.Open(b.Context(), url, postgres.WithSchema(schema))
			require.NoError(b, err)
			b.Cleanup(func() { st.Close() })
			scaleStatus(b, st, start)
		})
	}
}

// scaleStatus starts the server on st (opened at start), signs one user
// in and times status checks.
func scaleStatus(b *testing.B, st store.Store, start time.Time) {
	a := benchApp(b, app.Options{Store: st})
	started := time.Since(start)
	h := a.Handler()
	runStatus(b, h, signedIn(b, h))
	b.ReportMetric(float64(started.Microseconds())/1000, "start-ms")
}

// seedSQLite writes n live sessions of 1,000 users into the SQLite file.
func seedSQLite(b *testing.B, path string, n int) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	require.NoError(b, err)
	defer db.Close()
	now := time.Now().UnixMilli()
	_, err = db.ExecContext(b.Context(), `
		WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
		INSERT INTO sessions (id_hash, user_id, email, name, role, created_at, expires, abs_expires)
		SELECT randomblob(32), 'seed-' || (i % 1000), 'seed' || (i % 1000) || '@example.com', 'Seed', 'user', ?, ?, ?
		FROM c`, n, now, now+int64(time.Hour/time.Millisecond), now+int64(12*time.Hour/time.Millisecond))
	require.NoError(b, err)
	var count int
	require.NoError(b, db.QueryRowContext(b.Context(), `SELECT count(*) FROM sessions`).Scan(&count))
	require.Equal(b, n, count)
}

// seedPostgres writes n live sessions of 1,000 users into the schema.
func seedPostgres(b *testing.B, url, schema string, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(b, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, fmt.Sprintf(`
		INSERT INTO %s.sessions (id_hash, user_id, email, name, role, created_at, expires, abs_expires, authenticated_at)
		SELECT sha256(int8send(i)), 'seed-' || (i %% 1000), 'seed' || (i %% 1000) || '@example.com', 'Seed', 'user',
		       now(), now() + interval '1 hour', now() + interval '12 hours', now()
		FROM generate_series(1, $1::bigint) AS i`, pgx.Identifier{schema}.Sanitize()), n)
	require.NoError(b, err)
	_, err = conn.Exec(ctx, fmt.Sprintf(`ANALYZE %s.sessions`, pgx.Identifier{schema}.Sanitize()))
	require.NoError(b, err)
}

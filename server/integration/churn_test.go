package integration_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/session/keys"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/postgres"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
	"github.com/sessionguard/sessionguard/wire"
)

// churnCyclesVar sets the number of cycles of TestChurn per store and
// strategy (docs/RELIABILITY.md measures 100000); churnVacuumVar=off leaves
// PostgreSQL unvacuumed until the end, to measure what autovacuum saves.
const (
	churnCyclesVar = "SG_CHURN_CYCLES"
	churnVacuumVar = "SG_CHURN_VACUUM"
)

const (
	churnLive  = 100         // sessions alive at any time
	churnUsers = 20          // accounts they belong to
	churnTick  = time.Second // the clock's step per cycle
	// cleanupEvery is how many cycles pass between cleanups of expired
	// records: the server runs one a minute. PostgreSQL's tables are
	// vacuumed as often, as autovacuum would (its naptime is a minute; it
	// vacuums a table once 50 rows and a fifth of it are dead).
	cleanupEvery = 60
	// churnAccess is the jwt strategy's access-token lifetime here: the
	// deny list keeps a revoked session's ids that long (plus leeway).
	churnAccess = 5 * time.Minute
)

// churnStore is a store under churn and how to weigh it.
type churnStore struct {
	st store.Store
	// size is the bytes the store's records take on disk; live is the
	// bytes they need, packed; rows counts the rows of a table.
	size, live func(t *testing.T) int64
	rows       func(t *testing.T, table string) int64
	// bound is the most size may be for live bytes of records.
	bound func(live int64) int64
	// vacuum is what the store's own upkeep does meanwhile (PostgreSQL's
	// autovacuum); nil where nothing is needed. late, instead, is that
	// upkeep left until the end: the size is measured before and after
	// it, and not held to the bounds.
	vacuum, late func(t *testing.T)
	// note says more about the size, for the log.
	note func(t *testing.T) string
}

// TestChurn: sessions created and ended by the thousand (through the
// strategies, as sign-in and sign-out do, without argon2id) do not grow
// the store without bound. Each cycle issues a session and revokes the
// oldest of churnLive; expired records are cleaned up as the server does.
// At the end the tables hold the live records only (the live sessions, and
// under jwt their refresh tokens and the deny list's unexpired entries),
// the store's size is a small multiple of what those need, and the last
// third of the churn did not grow it. SQLite reuses the pages that deletes
// free (its free list); PostgreSQL reuses the space of dead rows once
// VACUUM has marked it. SG_CHURN_CYCLES sets the cycles per store and
// strategy (1000 by default).
func TestChurn(t *testing.T) {
	cycles := 1000
	if v := os.Getenv(churnCyclesVar); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, churnCyclesVar)
		cycles = n
	}
	t.Run("sqlite", func(t *testing.T) {
		for _, strategy := range []string{"database", "jwt"} {
			t.Run(strategy, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), sqlite.FileName)
				s, err := sqlite.Open(t.Context(), path)
				require.NoError(t, err)
				defer s.Close()
				db, err := sql.Open("sqlite", path) // to count rows
				require.NoError(t, err)
				defer db.Close()
				pragma := func(t *testing.T, name string) int64 {
					var n int64
					require.NoError(t, db.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&n))
					return n
				}
				churn(t, strategy, cycles, churnStore{st: s,
					// The database's pages, those still in the WAL too:
					// the file's size once checkpointed.
					size: func(t *testing.T) int64 { return pragma(t, "page_count") * pragma(t, "page_size") },
					live: func(t *testing.T) int64 {
						cp := filepath.Join(t.TempDir(), "compact.db")
						require.NoError(t, s.Backup(t.Context(), cp)) // VACUUM INTO: the live pages only
						return fileSize(t, cp)
					},
					rows: func(t *testing.T, table string) int64 {
						var n int64
						require.NoError(t, db.QueryRowContext(t.Context(), "SELECT count(*) FROM "+table).Scan(&n))
						return n
					},
					bound: func(live int64) int64 { return live*3/2 + 32<<10 },
					note: func(t *testing.T) string {
						return fmt.Sprintf("%d pages free for reuse; file %d bytes, WAL %d (checkpointed at 1000 pages, then reused)",
							pragma(t, "freelist_count"), fileSize(t, path), fileSize(t, path+"-wal"))
					},
				})
			})
		}
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := testenv.Postgres(t)
		for _, strategy := range []string{"database", "jwt"} {
			t.Run(strategy, func(t *testing.T) {
				schema := testenv.PostgresSchema(t, dsn)
				s, err := postgres.Open(t.Context(), asyncCommits(t, dsn), postgres.WithSchema(schema))
				require.NoError(t, err)
				defer s.Close()
				conn, err := pgx.Connect(t.Context(), dsn)
				require.NoError(t, err)
				defer conn.Close(context.Background())
				cs := churnStore{st: s,
					size: func(t *testing.T) int64 { return pgSize(t, conn, schema) },
					live: func(t *testing.T) int64 { return pgLiveSize(t, conn, schema) },
					rows: func(t *testing.T, table string) int64 {
						var n int64
						require.NoError(t, conn.QueryRow(t.Context(), "SELECT count(*) FROM "+pgx.Identifier{schema, table}.Sanitize()).Scan(&n))
						return n
					},
					// Dead rows wait for the next VACUUM, and a table or
					// index is never smaller than a page or two.
					bound:  func(live int64) int64 { return 3*live + 64<<10 },
					vacuum: func(t *testing.T) { pgVacuum(t, conn, schema, "VACUUM") },
				}
				if os.Getenv(churnVacuumVar) == "off" {
					cs.vacuum, cs.late = nil, cs.vacuum
				}
				churn(t, strategy, cycles, cs)
			})
		}
	})
}

// churn runs the cycles on cs through the strategy and checks the store.
func churn(t *testing.T, strategy string, cycles int, cs churnStore) {
	ctx := t.Context()
	now := time.Now().Truncate(time.Second)
	clock := func() time.Time { return now }
	var st session.Strategy
	var err error
	if strategy == "jwt" {
		set, err := keys.Load(ctx, keys.Config{Store: cs.st, Retire: time.Hour, Now: clock})
		require.NoError(t, err)
		key := make([]byte, 32)
		rand.Read(key)
		st, err = session.NewJWT(session.JWTConfig{Keys: set, Store: cs.st, RefreshKey: key,
			Lifetime: session.DefaultLifetime, AccessMaxAge: churnAccess})
		require.NoError(t, err)
	} else {
		st, err = session.NewDatabase(cs.st, session.DefaultLifetime)
		require.NoError(t, err)
	}
	cleaner := st.(session.Cleaner)
	live := make([]string, 0, churnLive) // the live sessions' tokens, oldest first
	issue := func(i int) {
		u := wire.User{ID: fmt.Sprintf("user-%d", i%churnUsers), Email: fmt.Sprintf("user-%d@example.com", i%churnUsers), Name: "Churn", Role: "user"}
		issued, _, err := st.Issue(ctx, u, session.Device{Addr: "192.0.2.1", UserAgent: "churn/1.0"}, "aal1", now)
		require.NoError(t, err)
		live = append(live, issued.Token)
	}
	for i := range churnLive {
		issue(i)
	}
	start := time.Now()
	var twoThirds int64
	var sizes []string // every tenth of the way
	for i := range cycles {
		now = now.Add(churnTick)
		issue(i)
		require.NoError(t, st.Revoke(ctx, live[0], now))
		live = live[1:]
		if (i+1)%cleanupEvery == 0 {
			_, err := cleaner.Cleanup(ctx, now)
			require.NoError(t, err)
			if cs.vacuum != nil {
				cs.vacuum(t)
			}
		}
		if i+1 == cycles*2/3 {
			twoThirds = cs.size(t)
		}
		if (i+1)%max(cycles/10, 1) == 0 {
			sizes = append(sizes, fmt.Sprintf("%d:%d", i+1, cs.size(t)))
		}
	}
	elapsed := time.Since(start)
	_, err = cleaner.Cleanup(ctx, now)
	require.NoError(t, err)

	// The tables hold the live records only.
	assert.Equal(t, int64(churnLive), cs.rows(t, "sessions"), "sessions")
	if strategy == "jwt" {
		assert.Equal(t, int64(churnLive), cs.rows(t, "refresh_tokens"), "a refresh token per live session")
		// Two entries per revocation (the token, the session), each kept
		// until the access token would have expired, plus leeway.
		denied := 2 * int64((churnAccess+5*time.Second)/churnTick+1)
		assert.LessOrEqual(t, cs.rows(t, "denials"), denied, "deny-list entries")
	} else {
		assert.Zero(t, cs.rows(t, "refresh_tokens"))
		assert.Zero(t, cs.rows(t, "denials"))
	}

	note := ""
	if cs.late != nil {
		before := cs.size(t)
		cs.late(t)
		note = fmt.Sprintf("; never vacuumed: %d bytes, after VACUUM %d", before, cs.size(t))
	}
	size, need := cs.size(t), cs.live(t)
	if cs.note != nil {
		note += "; " + cs.note(t)
	}
	t.Logf("%d cycles in %v (%.0f/s), %d sessions live: %d bytes on disk, %d for the live records alone%s; bytes by cycle: %s",
		cycles, elapsed.Round(time.Millisecond), float64(cycles)/elapsed.Seconds(), len(live), size, need, note, strings.Join(sizes, " "))
	if cs.late != nil {
		return // a measurement: without its upkeep the store is not held to the bounds
	}
	assert.LessOrEqual(t, size, cs.bound(need), "the store's size is set by its live records")
	assert.LessOrEqual(t, size, twoThirds+twoThirds/10+16<<10, "the last third of the churn does not grow the store")
}

// asyncCommits adds synchronous_commit=off to a PostgreSQL URL: commits
// do not wait for the disk, which changes no size and makes the test
// quicker.
func asyncCommits(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Size()
}

// pgSize is the size of the schema's tables, their indexes and TOAST.
func pgSize(t *testing.T, conn *pgx.Conn, schema string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
		WHERE ns.nspname = $1 AND c.relkind = 'r'`, schema).Scan(&n))
	return n
}

// pgLiveSize is what the schema's tables take once rewritten with their
// live rows only (VACUUM FULL, which locks them: for tests).
func pgLiveSize(t *testing.T, conn *pgx.Conn, schema string) int64 {
	t.Helper()
	pgVacuum(t, conn, schema, "VACUUM FULL")
	return pgSize(t, conn, schema)
}

// pgVacuum runs the command (VACUUM, VACUUM FULL) on the schema's tables.
func pgVacuum(t *testing.T, conn *pgx.Conn, schema, command string) {
	t.Helper()
	rows, err := conn.Query(t.Context(), `SELECT c.relname FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
		WHERE ns.nspname = $1 AND c.relkind = 'r'`, schema)
	require.NoError(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	tables := make([]string, len(names))
	for i, name := range names {
		tables[i] = pgx.Identifier{schema, name}.Sanitize()
	}
	_, err = conn.Exec(t.Context(), command+" "+strings.Join(tables, ", "))
	require.NoError(t, err)
}

package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/store/postgres"
)

// versions returns the versions recorded in schema's migration table, in
// order.
func versions(t *testing.T, url, schema string) []int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT version FROM `+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+` ORDER BY version`)
	require.NoError(t, err)
	v, err := pgx.CollectRows(rows, pgx.RowTo[int])
	require.NoError(t, err)
	return v
}

// TestOpenAgainIsANoOp opens one schema twice in a row: the second Open
// applies nothing and finds the first one's records.
func TestOpenAgainIsANoOp(t *testing.T) {
	url := testenv.Postgres(t)
	schema := testenv.PostgresSchema(t, url)
	s, err := postgres.Open(t.Context(), url, postgres.WithSchema(schema))
	require.NoError(t, err)
	want := versions(t, url, schema)
	require.NotEmpty(t, want)
	t0 := time.Now()
	sess := session("alice", t0)
	require.NoError(t, s.CreateSession(t.Context(), sess))
	require.NoError(t, s.Close())

	s, err = postgres.Open(t.Context(), url, postgres.WithSchema(schema))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	assert.Equal(t, want, versions(t, url, schema), "steps recorded after the second Open")
	_, found, err := s.Session(t.Context(), sess.IDHash, t0)
	require.NoError(t, err)
	assert.True(t, found, "session lost on reopen")
}

// TestOpenRace starts many instances on one new schema at once: each step is
// applied once, and every Open succeeds.
func TestOpenRace(t *testing.T) {
	url := testenv.Postgres(t)
	schema := testenv.PostgresSchema(t, url)
	const instances = 8
	stores := make([]*postgres.Store, instances)
	errs := make([]error, instances)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range instances {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = postgres.Open(t.Context(), url, postgres.WithSchema(schema))
		})
	}
	close(start)
	wg.Wait()
	for i, s := range stores {
		if assert.NoError(t, errs[i], "instance %d", i) {
			t.Cleanup(func() { assert.NoError(t, s.Close()) })
		}
	}

	got := versions(t, url, schema)
	want := make([]int, len(got))
	for i := range want {
		want[i] = i + 1
	}
	assert.Equal(t, want, got, "each step once, in order")
	// They share one schema: a session written by one is read by another.
	t0 := time.Now()
	sess := session("alice", t0)
	require.NoError(t, stores[0].CreateSession(t.Context(), sess))
	_, found, err := stores[instances-1].Session(t.Context(), sess.IDHash, t0)
	require.NoError(t, err)
	assert.True(t, found)
}

func TestOpenSchemaTooNew(t *testing.T) {
	url := testenv.Postgres(t)
	schema := testenv.PostgresSchema(t, url)
	s, err := postgres.Open(t.Context(), url, postgres.WithSchema(schema))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	query(t, url, `INSERT INTO `+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+` (version) VALUES (1000)`)

	s, err = postgres.Open(t.Context(), url, postgres.WithSchema(schema))
	if s != nil {
		s.Close()
	}
	require.ErrorIs(t, err, postgres.ErrSchemaTooNew)
	assert.Contains(t, err.Error(), "version 1000")
	assert.Contains(t, err.Error(), schema, "the error names the schema")
}

// TestOpenExistingSchema opens a schema that exists but is empty, as an
// administrator creates one for a role without CREATE on the database.
func TestOpenExistingSchema(t *testing.T) {
	url := testenv.Postgres(t)
	schema := testenv.PostgresSchema(t, url)
	query(t, url, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize())

	s, err := postgres.Open(t.Context(), url, postgres.WithSchema(schema))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	assert.Equal(t, schema, s.Schema())
	assert.NotEmpty(t, versions(t, url, schema))
}

// TestSchemaNeedsQuoting keeps the tables in a schema whose name is not a
// plain identifier.
func TestSchemaNeedsQuoting(t *testing.T) {
	url := testenv.Postgres(t)
	schema := testenv.PostgresSchema(t, url) + `-Odd "name"; DROP`
	t.Cleanup(func() { testenv.DropSchema(t, url, schema) })
	s, err := postgres.Open(t.Context(), url, postgres.WithSchema(schema))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })

	t0 := time.Now()
	sess := session("alice", t0)
	require.NoError(t, s.CreateSession(t.Context(), sess))
	var n int
	query(t, url, `SELECT count(*) FROM `+pgx.Identifier{schema, "sessions"}.Sanitize(), &n)
	assert.Equal(t, 1, n, "sessions in the schema")
}

func TestOpenFails(t *testing.T) {
	url := testenv.Postgres(t)
	tests := []struct {
		name string
		dsn  string
		opts []postgres.Option
		msg  string
	}{
		{"empty schema", url, []postgres.Option{postgres.WithSchema("")}, "empty schema name"},
		{"zero timeout", url, []postgres.Option{postgres.WithQueryTimeout(0)}, "query timeout 0s"},
		{"negative timeout", url, []postgres.Option{postgres.WithQueryTimeout(-time.Second)}, "query timeout -1s"},
		{"not a DSN", "postgres://[::1", nil, "postgres: open"},
		{"nobody listens", "postgres://postgres@127.0.0.1:1/test?sslmode=disable", nil, "postgres: open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := postgres.Open(t.Context(), tt.dsn, tt.opts...)
			if s != nil {
				s.Close()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestOpenCancelled(t *testing.T) {
	url := testenv.Postgres(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s, err := postgres.Open(ctx, url, postgres.WithSchema(testenv.PostgresSchema(t, url)))
	assert.Nil(t, s)
	assert.ErrorIs(t, err, context.Canceled)
}

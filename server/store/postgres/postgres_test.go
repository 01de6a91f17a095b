package postgres_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/postgres"
	"github.com/sessionguard/sessionguard/server/store/storetest"
)

// open opens a store in a schema of its own on the test server; the caller
// closes it.
func open(tb testing.TB, url string, opts ...postgres.Option) *postgres.Store {
	tb.Helper()
	opts = append([]postgres.Option{postgres.WithSchema(testenv.PostgresSchema(tb, url))}, opts...)
	s, err := postgres.Open(tb.Context(), url, opts...)
	require.NoError(tb, err)
	return s
}

// query runs a query of the test's own on url and scans one row into dest.
func query(t *testing.T, url, sql string, dest ...any) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	if len(dest) == 0 {
		_, err = conn.Exec(t.Context(), sql)
	} else {
		err = conn.QueryRow(t.Context(), sql).Scan(dest...)
	}
	require.NoError(t, err, sql)
}

func TestStore(t *testing.T) {
	url := testenv.Postgres(t)
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, url) })
}

func BenchmarkSessionRead(b *testing.B) {
	url := testenv.Postgres(b)
	storetest.BenchmarkSessionRead(b, func(b *testing.B) store.Store { return open(b, url) })
}

func BenchmarkTouch(b *testing.B) {
	url := testenv.Postgres(b)
	storetest.BenchmarkTouch(b, func(b *testing.B) store.Store { return open(b, url) })
}

func BenchmarkRevoked(b *testing.B) {
	url := testenv.Postgres(b)
	storetest.BenchmarkRevoked(b, func(b *testing.B) store.Store { return open(b, url) })
}

func BenchmarkRedeemRefreshToken(b *testing.B) {
	url := testenv.Postgres(b)
	storetest.BenchmarkRedeemRefreshToken(b, func(b *testing.B) store.Store { return open(b, url) })
}

func BenchmarkUserSessions(b *testing.B) {
	url := testenv.Postgres(b)
	storetest.BenchmarkUserSessions(b, func(b *testing.B) store.Store { return open(b, url) })
}

func BenchmarkCountSessions(b *testing.B) {
	url := testenv.Postgres(b)
	storetest.BenchmarkCountSessions(b, func(b *testing.B) store.Store { return open(b, url) })
}

// TestOutage takes the database away behind a proxy and brings it back.
func TestOutage(t *testing.T) {
	url := testenv.Postgres(t)
	const timeout = 500 * time.Millisecond
	p := testenv.NewProxy(t, testenv.HostPort(t, url))
	s := open(t, p.URL(t, url), postgres.WithQueryTimeout(timeout))
	t.Cleanup(func() { assert.NoError(t, s.Close()) })

	storetest.RunOutage(t, s, p, 10*timeout)
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

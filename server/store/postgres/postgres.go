// Package postgres is the PostgreSQL store, for several sessionguard
// instances that share their sessions and accounts: github.com/jackc/pgx/v5
// with a pgxpool.Pool.
//
// Open creates the store's schema (DefaultSchema, or the one WithSchema
// names) and its tables, and migrates them: the applied steps are rows of
// schema_migrations, applied in one transaction under an advisory lock, so
// instances that start at once do not race. Times are timestamptz (to the
// microsecond) and come back in UTC.
//
// Every call is bounded by the query timeout (WithQueryTimeout) on top of
// the caller's context, so a database that stops answering makes calls fail
// within that time. A call that fails on a broken connection makes the pool
// drop its idle connections, which broke with it in all likelihood, and a
// call that is safe to repeat (a read, a touch, a delete of one session) is
// tried once more on a new connection: when the database returns, service
// resumes by itself. Queries go through pgx's per-connection statement cache,
// so the hot read is a prepared statement; a DSN with
// default_query_exec_mode=simple_protocol suits a transaction-pooling
// PgBouncer instead.
//
// Events between instances (store.Events) travel by LISTEN/NOTIFY on the
// channel "<schema>.events", as JSON of under 8000 bytes: Publish is a
// NOTIFY through the pool, and each Store listens on one connection of its
// own, outside the pool, which it replaces when it drops (see Subscribe).
// LISTEN needs a server session of its own, which a transaction-pooling
// PgBouncer does not keep: behind one, notifications do not arrive (pages
// still learn of changes at their event stream's heartbeat).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/internal/relay"
)

// migrateTimeout bounds Open's migration, including the wait for another
// instance that migrates the same schema.
const migrateTimeout = time.Minute

// Store is a store.Store in a PostgreSQL schema. It is safe for concurrent
// use. The zero value is not usable; create one with Open.
type Store struct {
	pool    *pgxpool.Pool
	schema  string
	timeout time.Duration
	q       queries
	incrs   atomic.Uint64 // calls of Incr, for its sweeps
	channel string        // of LISTEN/NOTIFY, for Events
	events  *relay.Relay
}

var _ store.Store = (*Store)(nil)

// Open connects to the database that dsn names (a URL or key=value string,
// as pgx.ParseConfig takes, pool_* parameters included) and brings the
// store's schema up to date. It returns an error wrapping ErrSchemaTooNew
// when the schema was written by a newer version of this package. ctx bounds
// the opening only.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("postgres: open: %w", err)
		}
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = o.timeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	mctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	if err := migrate(mctx, pool, o.schema, migrations); err != nil {
		pool.Close()
		return nil, wrap(mctx, "open", err)
	}
	s := &Store{pool: pool, schema: o.schema, timeout: o.timeout, q: newQueries(o.schema), channel: channelName(o.schema)}
	s.events = relay.New(s.listen, o.timeout)
	return s, nil
}

// Schema returns the name of the schema that holds the store's tables.
func (s *Store) Schema() string {
	return s.schema
}

// Ping reports an error when the database does not answer within the query
// timeout.
func (s *Store) Ping(ctx context.Context) error {
	return s.do(ctx, "ping", true, func(ctx context.Context) error {
		return s.pool.Ping(ctx)
	})
}

// Close ends the subscriptions to events and closes the pool's connections;
// it waits for calls in flight. It always returns nil.
func (s *Store) Close() error {
	s.events.Close()
	s.pool.Close()
	return nil
}

// do runs f with ctx bounded by the query timeout and returns its error,
// wrapped with op. When f fails on a broken connection before ctx ends, the
// pool drops its idle connections and, when f is safe to repeat, f runs once
// more, with what is left of the time.
func (s *Store) do(ctx context.Context, op string, repeatable bool, f func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, op, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := f(ctx)
	if err != nil && ctx.Err() == nil && brokenConn(err) {
		s.pool.Reset()
		if repeatable {
			err = f(ctx)
		}
	}
	if err != nil {
		return wrap(ctx, op, err)
	}
	return nil
}

// brokenConn reports whether err says that the connection, rather than the
// query, failed: a network error, a connection closed under the driver, or
// the server ending the connection (class 08, or 57P: shutdown, restart).
func brokenConn(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")
	}
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	return errors.As(err, &netErr) || errors.As(err, &connectErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed)
}

// Package sqlite is the embedded default store: one SQLite file through the
// pure-Go driver modernc.org/sqlite (no cgo). Its Store is a store.Store and
// implements the jwt strategy's store.Revocations, store.RefreshTokens and
// store.Keys, and the device list's, admin API's and metrics'
// store.SessionLister, store.UserAdmin and store.LiveSessionCounter.
//
// The file is opened in WAL mode by two pools: one connection for writes, so
// that writers queue in Go instead of meeting "database is locked", and a
// pool of read-only (query_only) connections that WAL lets run beside the
// writer. Every connection gets its pragmas from the DSN. Times are stored
// as INTEGER unix milliseconds, UTC, and expiry is judged to the millisecond.
//
// The Store also keeps the rate limits' store.FailureCounters in the file, and is a
// store.Events whose subscribers are those of the same Store: the server
// that embeds SQLite is the only one on its data directory (it locks it), so
// its events have nowhere else to go.
//
// Backup copies the database while it is in use, beside the server that
// holds the data directory (the sessionguard backup command).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/internal/bus"
)

// busyTimeout is how long a connection waits for a lock held by another
// connection (another process, or a checkpoint) before it gives up.
const busyTimeout = 5 * time.Second

// Store is a store.Store in one SQLite file. It is safe for concurrent use.
// The zero value is not usable; create one with Open.
type Store struct {
	path  string
	write *sql.DB // one connection: SQLite has one writer at a time
	read  *sql.DB // query_only connections, at least 4, one per CPU

	// Prepared statements of the hot path: every request reads its session
	// and a rolling read touches it, or, under the jwt strategy, checks
	// whether its token is revoked; every refresh redeems a token.
	sessionByHash *sql.Stmt                     // on read
	touch         *sql.Stmt                     // on write
	revoked       [maxPreparedIDs + 1]*sql.Stmt // on read, by number of ids
	redeem        *sql.Stmt                     // on write
	// And of the pages that ask often: a user's list of devices, and the
	// active-sessions metric at every scrape.
	userSessions  *sql.Stmt // on read
	countSessions *sql.Stmt // on read

	incrs  atomic.Uint64 // calls of Incr, to sweep counters every sweepEvery
	events *bus.Bus      // in this process
}

var _ store.Store = (*Store)(nil)

// Open opens the SQLite database at path, creating it and its directory
// (0700) when missing, and brings its schema up to date. The file is made
// 0600, and SQLite gives its -wal and -shm files the same mode.
//
// Open returns an error wrapping ErrNotDatabase when path holds something
// other than a SQLite database, and ErrSchemaTooNew when the schema was
// written by a newer version of this package. ctx bounds the opening only.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if err := createFile(path); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}

	s := &Store{path: path, events: bus.New()}
	s.write, err = sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.write.SetMaxOpenConns(1)
	if err := migrate(ctx, s.write, migrations); err != nil {
		s.write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, openError(err))
	}

	s.read, err = sql.Open("sqlite", dsn(path, true))
	if err != nil {
		s.write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	readers := max(4, runtime.NumCPU())
	s.read.SetMaxOpenConns(readers)
	s.read.SetMaxIdleConns(readers)

	if err := s.prepare(ctx); err != nil {
		s.read.Close()
		s.write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, openError(err))
	}
	return s, nil
}

// createFile creates the directory of path (0700) and the file (0600) when
// missing, and makes an existing file 0600: it holds password hashes. An
// empty file is an empty SQLite database; SQLite creates the -wal and -shm
// files with the mode of the database file.
func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

// dsn returns the data source name of a pool. The pragmas are DSN parameters
// so that every connection the pool opens has them. Writers begin their
// transactions IMMEDIATE so that they take the write lock up front instead of
// failing to upgrade a read lock; readers are query_only.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// prepare prepares the statements of the hot path.
func (s *Store) prepare(ctx context.Context) error {
	var err error
	s.sessionByHash, err = s.read.PrepareContext(ctx, sqlSessionByHash)
	if err != nil {
		return fmt.Errorf("prepare session read: %w", err)
	}
	s.touch, err = s.write.PrepareContext(ctx, sqlTouch)
	if err != nil {
		return fmt.Errorf("prepare touch: %w", err)
	}
	for n := range s.revoked {
		s.revoked[n], err = s.read.PrepareContext(ctx, sqlRevoked(n))
		if err != nil {
			return fmt.Errorf("prepare revoked with %d ids: %w", n, err)
		}
	}
	s.redeem, err = s.write.PrepareContext(ctx, sqlRedeem)
	if err != nil {
		return fmt.Errorf("prepare redeem: %w", err)
	}
	s.userSessions, err = s.read.PrepareContext(ctx, sqlUserSessions)
	if err != nil {
		return fmt.Errorf("prepare user sessions: %w", err)
	}
	s.countSessions, err = s.read.PrepareContext(ctx, sqlCountSessions)
	if err != nil {
		return fmt.Errorf("prepare count sessions: %w", err)
	}
	return nil
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string {
	return s.path
}

// Ping reports an error when either pool cannot reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping writer: %w", err)
	}
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping readers: %w", err)
	}
	return nil
}

// Close ends every event subscription, closing its channel, and closes both
// pools. The readers go first, so that the writer is the last connection and
// can checkpoint the WAL into the database file.
func (s *Store) Close() error {
	s.events.Close()
	errs := []error{s.sessionByHash.Close(), s.touch.Close(), s.redeem.Close(), s.userSessions.Close(), s.countSessions.Close()}
	for _, stmt := range s.revoked {
		errs = append(errs, stmt.Close())
	}
	err := errors.Join(append(errs, s.read.Close(), s.write.Close())...)
	if err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// millis returns t as stored: unix milliseconds.
func millis(t time.Time) int64 {
	return t.UnixMilli()
}

// fromMillis returns a stored time in UTC.
func fromMillis(ms int64) time.Time {
	return time.UnixMilli(ms).UTC()
}

package sqlite

import (
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sessionguard/sessionguard/server/store"
)

var (
	// ErrNotDatabase is returned by Open when the file is not a SQLite
	// database.
	ErrNotDatabase = errors.New("not a sqlite database")
	// ErrSchemaTooNew is returned by Open when the database was written by a
	// newer version of this package, whose schema this one does not know.
	ErrSchemaTooNew = errors.New("schema is newer than this program")
)

// openError adds ErrNotDatabase to an error of SQLite that says so.
func openError(err error) error {
	if code(err) == sqlite3.SQLITE_NOTADB {
		return fmt.Errorf("%w: %w", ErrNotDatabase, err)
	}
	return err
}

// insertError turns a broken uniqueness constraint into store.ErrDuplicate.
func insertError(err error) error {
	switch code(err) {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return fmt.Errorf("%w: %w", store.ErrDuplicate, err)
	}
	return err
}

// code returns the extended result code of a SQLite error, or 0.
func code(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

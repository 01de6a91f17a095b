// Package sqlite is the embedded default store: one SQLite file through the
// pure-Go driver modernc.org/sqlite (no cgo).
package sqlite

import _ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

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
)

// Backup writes a consistent copy of the store's database to the new file
// path; see BackupFile.
func (s *Store) Backup(ctx context.Context, path string) error {
	return BackupFile(ctx, s.path, path)
}

// BackupFile writes a consistent copy of the SQLite database file db to the
// new file path, while it is in use, here or by the server that holds the
// data directory (it works beside it as useradd does). It does not open db
// as a Store: nothing is migrated, so a binary of another version copies a
// live file as it is, and db must exist (it is never created). It runs
// VACUUM INTO on a connection of its own: the copy is one snapshot of the
// database, as of the moment the copy began, taken without stopping the
// writer (WAL readers do not block it), and compact: free pages are left
// out.
//
// path must not exist: BackupFile creates it with mode 0600 (it holds
// password hashes) and refuses to overwrite anything, with an error wrapping
// fs.ErrExist. On failure the new file is removed. The copy is synced to
// disk before BackupFile returns. To restore it, stop the server and put the
// file in place of the data directory's sessionguard.db, with no -wal or
// -shm file beside it.
func BackupFile(ctx context.Context, db, path string) (err error) {
	if path == "" {
		return errors.New("sqlite: backup: empty path")
	}
	path, err = filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if db, err = filepath.Abs(db); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if path == db {
		return fmt.Errorf("sqlite: backup: %s is the database itself", path)
	}
	if _, err := os.Stat(db); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	// O_EXCL: never overwrite, not even a file that appears meanwhile.
	// VACUUM INTO accepts the empty file and keeps its mode.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(path)
		}
	}()

	// Not a connection of the read pool: those are query_only, which
	// refuses VACUUM INTO. Synchronous FULL (the default of a connection)
	// makes VACUUM INTO sync the copy as it writes it.
	conn, err := sql.Open("sqlite", backupDSN(db))
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", path, err)
	}
	if err := syncFile(path); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	// The directory too, so that the new name survives a crash; not every
	// platform can sync a directory (Windows cannot), hence best effort.
	if err := syncFile(filepath.Dir(path)); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return nil
}

// backupDSN is the data source name of BackupFile's connection: the
// database at path, which must exist (mode=rw never creates it), waiting
// for locks as the pools do.
func backupDSN(path string) string {
	q := url.Values{}
	q.Add("mode", "rw")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// syncFile flushes the file or directory at path to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

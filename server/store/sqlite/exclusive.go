package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/cache"
)

// FileName is the database's file in a data directory.
const FileName = "sessionguard.db"

// OpenExclusive opens dir/sessionguard.db (see Open; dir is created 0700
// when missing) for the one server that serves it. It takes an exclusive
// lock on dir (the file server.lock) for as long as the store is open, so a
// second server on the same directory is refused with a clear error, and,
// because no other process then writes the file's sessions, it serves
// session reads and revocation checks from memory (package cache), exactly.
// Where the platform has no file lock the store is returned without the
// cache: slower, but correct whoever else writes the file.
//
// Commands that only write accounts or keys (sessionguard useradd, keys
// rotate) use Open, without the lock, and keep working while a server runs.
// Close releases the lock.
func OpenExclusive(ctx context.Context, dir string) (store.Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: data directory: %w", err)
	}
	release, held, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	db, err := Open(ctx, filepath.Join(dir, FileName))
	if err != nil {
		release()
		return nil, err
	}
	if !held {
		return db, nil
	}
	return &exclusive{Store: cache.New(db, 0), release: release}, nil
}

// exclusive is the cached store of a locked data directory.
type exclusive struct {
	*cache.Store
	release func()
}

// Close closes the store, then releases the lock.
func (e *exclusive) Close() error {
	defer e.release()
	return e.Store.Close()
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sessionguard/sessionguard/server/store/sqlite"
)

// backup copies the SQLite store of -data to the new file -o: a consistent
// copy, online, beside a running server (see sqlite.Store.Backup). The
// shared stores are backed up with their own tools; the command says which.
func backup(ctx context.Context, args []string, getenv func(string) (string, bool), stdout, stderr io.Writer) int {
	var c config
	var out string
	fs := flag.NewFlagSet("sessionguard backup", flag.ContinueOnError)
	storeFlags(fs, &c)
	fs.StringVar(&out, "o", "", "file to write the copy to (required; must not exist; created 0600)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sessionguard backup -data DIR -o FILE")
		fs.PrintDefaults()
	}
	if err := parse(fs, args, getenv, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "sessionguard backup:", err)
		return 2
	}
	if msg := backupElsewhere(c); msg != "" {
		fmt.Fprintln(stderr, "sessionguard backup:", msg)
		return 2
	}
	if out == "" {
		fmt.Fprintln(stderr, "sessionguard backup: -o FILE is required")
		return 2
	}
	db := filepath.Join(c.data, sqlite.FileName)
	if _, err := os.Stat(db); err != nil {
		fmt.Fprintf(stderr, "sessionguard backup: no database in -data %s: %v\n", c.data, err)
		return 1
	}
	// Not opened as a store: a backup never migrates the live file.
	if err := sqlite.BackupFile(ctx, db, out); err != nil {
		fmt.Fprintln(stderr, "sessionguard backup:", err)
		return 1
	}
	size := int64(-1)
	if fi, err := os.Stat(out); err == nil {
		size = fi.Size()
	}
	abs, _ := filepath.Abs(db)
	fmt.Fprintf(stdout, "backed up %s to %s (%d bytes)\n", abs, out, size)
	return 0
}

// backupElsewhere says what to back up instead when the store is not the
// SQLite file, or "" when it is.
func backupElsewhere(c config) string {
	switch c.store {
	case "sqlite":
		return ""
	case "memory":
		return "-store memory keeps nothing to back up"
	case "postgres":
		return fmt.Sprintf("-store postgres is backed up by PostgreSQL's tools: pg_dump --schema=%s (the store's tables) of the database in -store-url; see docs/SERVER.md, Backup and restore", c.storeSchema)
	case "redis":
		return fmt.Sprintf("-store redis is backed up by Redis: its RDB snapshot or AOF file, which hold the keys %s*; see docs/SERVER.md, Backup and restore", c.storePrefix)
	}
	return fmt.Sprintf("-store %q: want sqlite, memory, postgres or redis", c.store)
}

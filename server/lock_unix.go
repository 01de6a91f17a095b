//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDataDir takes an exclusive lock on the data directory for as long as
// the server runs. The embedded store keeps session records cached in this
// process, which is exact only while no other server writes them; a second
// server on the same directory is refused with a clear error instead.
// (useradd does not take the lock: it writes accounts, never sessions.)
func lockDataDir(dir string) (release func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, "server.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another sessionguard server is using %s; one embedded store serves one server (run several instances on -store postgres or redis)", dir)
	}
	return func() { f.Close() }, nil
}

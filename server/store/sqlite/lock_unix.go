//go:build unix

package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes an exclusive lock on dir (its file server.lock) until
// release is called. held is true: flock is there.
func lockDir(dir string) (release func(), held bool, err error) {
	f, err := os.OpenFile(filepath.Join(dir, "server.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("another sessionguard server is using %s; one embedded store serves one server (run several instances on -store postgres or redis)", dir)
	}
	return func() { f.Close() }, true, nil
}

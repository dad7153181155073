package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// errHomeInUse means another Holdfast window holds the data folder.
var errHomeInUse = errors.New("Holdfast is already running with this data folder")

// lockHome takes an exclusive lock on <home>/desktop.lock, held until
// release (or the process ends). Wails' single-instance check runs
// concurrently with OnStartup, so a second launch could otherwise open
// the database and "recover" the answers the first window is streaming
// before it is told to exit.
func lockHome(home string) (release func(), err error) {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder %s: %w", home, err)
	}
	path := filepath.Join(home, "desktop.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if errors.Is(err, errHomeInUse) {
			return nil, err
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

package app

import (
	"errors"
	"path/filepath"

	"github.com/holdfast-chat/holdfast/internal/lockfile"
)

// errHomeInUse means another Holdfast window holds the data folder.
var errHomeInUse = errors.New("Holdfast is already running with this data folder")

// lockHome takes an exclusive lock on <home>/desktop.lock, held until
// release (or the process ends). Wails' single-instance check runs
// concurrently with OnStartup, so a second launch could otherwise open
// the database and "recover" the answers the first window is streaming
// before it is told to exit.
func lockHome(home string) (release func(), err error) {
	release, err = lockfile.Acquire(filepath.Join(home, "desktop.lock"))
	if errors.Is(err, lockfile.ErrLocked) {
		return nil, errHomeInUse
	}
	return release, err
}

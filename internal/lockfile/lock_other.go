//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly && !windows

package app

import "os"

// tryLock is a no-op where there is no flock; Wails' single-instance lock
// is the only guard there.
func tryLock(*os.File) error { return nil }

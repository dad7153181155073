//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly && !windows

package lockfile

import "os"

// tryLock is a no-op where there is no flock: such platforms rely on the
// desktop's single-instance lock alone.
func tryLock(*os.File) error { return nil }

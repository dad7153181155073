//go:build unix

package app

import "syscall"

// mkfifo makes a named pipe (a file whose read would block for ever).
func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }

package app

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// maxLogBytes is when holdfast.log is rotated (to holdfast.log.1) at start.
const maxLogBytes = 10 << 20

// logSink is the writer behind the app's logger. Until open is called (in
// OnStartup) it writes to the fallback only, so constructing the logger
// has no side effects; afterwards to the log file and the fallback.
type logSink struct {
	mu       sync.Mutex
	fallback io.Writer
	f        *os.File
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fallback != nil {
		s.fallback.Write(p)
	}
	if s.f == nil {
		return len(p), nil
	}
	return s.f.Write(p)
}

// open starts writing to <home>/logs/holdfast.log, first moving a large
// old log aside.
func (s *logSink) open(home string) (string, error) {
	dir := logDir(home)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create log folder: %w", err)
	}
	path := filepath.Join(dir, "holdfast.log")
	if fi, err := os.Stat(path); err == nil && fi.Size() > maxLogBytes {
		if err := os.Rename(path, path+".1"); err != nil {
			return "", fmt.Errorf("rotate log: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("open log: %w", err)
	}
	s.mu.Lock()
	s.f = f
	s.mu.Unlock()
	return path, nil
}

func (s *logSink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

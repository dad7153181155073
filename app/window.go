package app

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/holdfast-chat/holdfast/internal/export"
)

// Window size limits: the default a first launch gets, the least the UI
// needs, and a ceiling that catches corrupt files.
const (
	defaultWidth  = 1200
	defaultHeight = 800
	minWidth      = 640
	minHeight     = 480
	maxSide       = 16384
)

func windowStatePath(home string) string { return filepath.Join(home, "window.json") }

// loadWindowState reads the saved window geometry; nil means none saved
// (or unusable), and the window opens at the default size, centred. A
// window must open whatever is on disk, so errors only explain the nil.
func loadWindowState(path string) (*Geometry, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read window state: %w", err)
	}
	var g Geometry
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("read window state %s: %w", path, err)
	}
	if g.Width < minWidth || g.Height < minHeight || g.Width > maxSide || g.Height > maxSide ||
		g.X < -maxSide || g.Y < -maxSide || g.X > maxSide || g.Y > maxSide {
		return nil, fmt.Errorf("window state %s: %dx%d at %d,%d is out of range", path, g.Width, g.Height, g.X, g.Y)
	}
	return &g, nil
}

// saveWindowState writes the geometry atomically (a crash mid-write must
// not leave a file that resets the window next time).
func saveWindowState(path string, g Geometry) error {
	return export.WriteFileAtomic(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(g)
	})
}

//go:build !linux && !darwin && !windows

package app

import (
	"os/exec"
)

// Other Unixes (the BSDs) follow the freedesktop convention.
func openCommand(path string) *exec.Cmd {
	return exec.Command("xdg-open", path)
}

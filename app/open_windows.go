package app

import (
	"os/exec"
)

func openCommand(path string) *exec.Cmd {
	return exec.Command("explorer", path)
}

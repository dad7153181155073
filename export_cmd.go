package main

import (
	"fmt"
	"os"
)

// runExport implements `holdfast export`. Placeholder until internal/export lands.
func runExport(args []string) int {
	fmt.Fprintln(os.Stderr, "holdfast export: not available in this build yet")
	return 1
}

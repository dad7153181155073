package main

import (
	"fmt"
	"os"
)

// runBench implements `holdfast bench`.
func runBench(args []string) int {
	fmt.Fprintln(os.Stderr, "holdfast bench: coming in this change")
	return 1
}

package main

// runDesktop opens the desktop window. Placeholder until the desktop app
// lands: it runs the server headless instead.
func runDesktop() int {
	return runServe(nil)
}

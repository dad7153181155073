// Command holdfast is the Holdfast desktop chat app. With no arguments it
// opens the desktop window; subcommands run the same backend headless:
//
//	holdfast serve [--addr 127.0.0.1:PORT]   serve the API and the web UI
//	holdfast export --session ID|--all ...   write chats to a file
//	holdfast bench                           measure the streaming path
package main

import (
	"fmt"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		return runDesktop()
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:])
	case "export":
		return runExport(args[1:])
	case "bench":
		return runBench(args[1:])
	case "version", "--version":
		fmt.Println("holdfast", version)
		return 0
	case "help", "-h", "--help":
		usage()
		return 0
	default:
		fmt.Fprintf(os.Stderr, "holdfast: unknown command %q\n\n", args[0])
		usage()
		return 2
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  holdfast                          open the desktop window
  holdfast serve [--addr ADDR]      run the server headless and serve the web UI
  holdfast export --session ID|--all --format md|json|html|jsonl -o PATH
  holdfast bench [flags]            measure append, delivery and replay
  holdfast version

environment:
  HOLDFAST_HOME       data folder (default: user config dir + /holdfast)
  HOLDFAST_TOKEN      API token (default: stored in $HOLDFAST_HOME/token)
  HOLDFAST_DEMO_TPS   demo provider speed, tokens per second
  HOLDFAST_HEARTBEAT  SSE heartbeat interval, e.g. 15s
`)
}

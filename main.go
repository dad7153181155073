// Command holdfast is the Holdfast desktop chat app. With no arguments it
// opens the desktop window; subcommands run the same backend headless:
//
//	holdfast serve [--addr 127.0.0.1:PORT]   serve the API and the web UI
//	holdfast export --session ID|--all ...   write chats to a file
//	holdfast import PATH [--format F]        bring in chats from another app
//	holdfast bench                           measure the streaming path
package main

import (
	"fmt"
	"os"
	"runtime/debug"
)

// version is stamped at build time by the Makefile and the dist scripts:
// -ldflags "-X main.version=$(scripts/version.sh)". Read it through
// appVersion, which covers a plain `go build` too.
var version string

// appVersion is the version this binary reports everywhere (--version,
// /api/health, hello, the About box, exports).
func appVersion() string {
	info, _ := debug.ReadBuildInfo()
	return resolveVersion(version, info)
}

// resolveVersion returns the stamped version, else a development version
// from the commit Go recorded at build time ("0.0.0-dev+abc1234", with
// ".dirty" for uncommitted changes), else "0.0.0-dev". Same shapes as
// scripts/version.sh.
func resolveVersion(stamped string, info *debug.BuildInfo) string {
	if stamped != "" {
		return stamped
	}
	var rev string
	var dirty bool
	if info != nil {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if rev == "" {
		return "0.0.0-dev"
	}
	if len(rev) > 7 {
		rev = rev[:7]
	}
	if dirty {
		rev += ".dirty"
	}
	return "0.0.0-dev+" + rev
}

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
	case "import":
		return runImport(args[1:])
	case "bench":
		return runBench(args[1:])
	case "version", "--version", "-v":
		fmt.Println("holdfast", appVersion())
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
  holdfast import PATH [--format auto|holdfast|chatgpt|claude|...] [--dry-run]
                                    import chats exported by Holdfast or another app
  holdfast bench [flags]            measure append, delivery and replay
  holdfast version                  print the version (also --version)

environment:
  HOLDFAST_HOME       data folder (default: user config dir + /holdfast)
  HOLDFAST_TOKEN      API token (default: stored in $HOLDFAST_HOME/token)
  HOLDFAST_DEMO_TPS   demo provider speed, tokens per second
  HOLDFAST_HEARTBEAT  SSE heartbeat interval, e.g. 15s
`)
}

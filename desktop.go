package main

import (
	_ "embed"
	"fmt"
	"os"

	"github.com/holdfast-chat/holdfast/app"
	"github.com/holdfast-chat/holdfast/frontend"
	"github.com/holdfast-chat/holdfast/internal/backend"
)

//go:embed build/appicon.png
var appIcon []byte

// runDesktop opens the desktop window (built with -tags desktop,production).
// Nothing with side effects happens before app.Run hands over to Wails:
// Wails runs this binary at build time to generate bindings.
func runDesktop() int {
	home, err := backend.DefaultHome()
	if err != nil {
		fmt.Fprintln(os.Stderr, "holdfast:", err)
		return 1
	}
	v := appVersion()
	err = app.Run(app.Config{
		Version:   v,
		Home:      home,
		Assets:    frontend.Dist(),
		Icon:      appIcon,
		Open:      app.BackendOpener(home, v),
		TestHooks: os.Getenv("HOLDFAST_TEST_HOOKS") == "1",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "holdfast:", err)
		return 1
	}
	return 0
}

// Package frontend embeds the built web front end (frontend/dist) so the
// binary can serve it and the Wails window can load it.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built front end rooted at dist/. Before `npm run build`
// it holds only a placeholder, and servers should say the UI is not built.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub only fails on an invalid path, which "dist" is not.
		panic(err)
	}
	return sub
}

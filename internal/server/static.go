package server

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// notBuilt is served when the binary was built before the front end.
const notBuilt = `<!doctype html><meta charset="utf-8"><title>Holdfast</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>Holdfast</h1><p>The API is running, but this binary was built without the web UI.
Run <code>make build</code> (it builds <code>frontend/</code> first).</p></body>`

// staticHandler serves the built front end; unknown paths get index.html
// so client-side routes survive a reload. It needs no token: the token
// travels in the URL fragment, which never reaches the server.
func staticHandler(files fs.FS) http.Handler {
	hasIndex := false
	if files != nil {
		if _, err := fs.Stat(files, "index.html"); err == nil {
			hasIndex = true
		}
	}
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here")
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if !hasIndex {
			h.Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(notBuilt))
			return
		}
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if p == "" || p == "index.html" {
			serveIndex(w, r, files)
			return
		}
		if _, err := fs.Stat(files, p); err != nil {
			serveIndex(w, r, files)
			return
		}
		if strings.HasPrefix(p, "assets/") {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		fileServer.ServeHTTP(w, r)
	})
}

func serveIndex(w http.ResponseWriter, r *http.Request, files fs.FS) {
	b, err := fs.ReadFile(files, "index.html")
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "index.html unreadable")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' http://127.0.0.1:* http://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	w.Write(b)
}

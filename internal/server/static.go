package server

import (
	"html"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
)

// notBuilt is served when the binary was built before the front end.
const notBuilt = `<!doctype html><meta charset="utf-8"><title>Holdfast</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>Holdfast</h1><p>The API is running, but this binary was built without the web UI.
Run <code>make build</code> (it builds <code>frontend/</code> first).</p></body>`

// frameAncestors is the one directive a <meta> policy cannot carry.
const frameAncestors = "frame-ancestors 'none'"

// fallbackCSP is sent when index.html names no policy (a broken build, or
// the page above): the strictest policy that still shows a page.
const fallbackCSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'none'; " + frameAncestors

var (
	cspMeta    = regexp.MustCompile(`(?is)<meta\s[^>]*http-equiv\s*=\s*["']?content-security-policy["']?[^>]*>`)
	cspContent = regexp.MustCompile(`(?is)\scontent\s*=\s*(?:"([^"]*)"|'([^']*)')`)
	spaces     = regexp.MustCompile(`\s+`)
)

// PagePolicy returns the Content-Security-Policy the built front end
// declares in its index.html <meta>, or "" when it declares none. The
// page's own <meta> is the one source of truth: the desktop window applies
// it as it is, and `serve` sends the same text as a header.
func PagePolicy(index []byte) string {
	tag := cspMeta.Find(index)
	if tag == nil {
		return ""
	}
	m := cspContent.FindSubmatch(tag)
	if m == nil {
		return ""
	}
	v := string(m[1]) + string(m[2])
	return strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(v), " "))
}

// headerPolicy is the page's policy plus frame-ancestors, as a header value.
func headerPolicy(index []byte) string {
	p := strings.TrimRight(PagePolicy(index), "; ")
	if p == "" {
		return fallbackCSP
	}
	return p + "; " + frameAncestors
}

// staticHandler serves the built front end; unknown paths get index.html
// so client-side routes survive a reload, except under assets/, where a
// missing file is a 404 (never HTML under a script's name). Folders are
// never listed. It needs no token: the token travels in the URL fragment,
// which never reaches the server.
func staticHandler(files fs.FS) http.Handler {
	var index []byte
	if files != nil {
		index, _ = fs.ReadFile(files, "index.html")
	}
	csp := headerPolicy(index)
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", csp)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here")
			return
		}
		if index == nil {
			h.Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(notBuilt))
			return
		}
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if p == "" || p == "index.html" {
			serveIndex(w, index)
			return
		}
		fi, err := fs.Stat(files, p)
		switch {
		case err == nil && fi.IsDir():
			writeError(w, http.StatusNotFound, "not_found", "no such file")
			return
		case err != nil && (p == "assets" || strings.HasPrefix(p, "assets/")):
			writeError(w, http.StatusNotFound, "not_found", "no such file")
			return
		case err != nil:
			serveIndex(w, index)
			return
		}
		if strings.HasPrefix(p, "assets/") {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		fileServer.ServeHTTP(w, r)
	})
}

func serveIndex(w http.ResponseWriter, index []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.Write(index)
}

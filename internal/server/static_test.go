package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/holdfast-chat/holdfast/internal/server"
)

// indexHTML mimics the built page: a multi-line <meta> policy, as Vite leaves it.
const indexHTML = `<!doctype html>
<html><head>
    <meta
      http-equiv="Content-Security-Policy"
      content="default-src 'self'; img-src 'self' data: blob: https:;
               object-src 'none'"
    />
<title>ui</title></head><body><script type="module" src="./assets/app.js"></script></body></html>`

const wantCSP = "default-src 'self'; img-src 'self' data: blob: https:; object-src 'none'; frame-ancestors 'none'"

func staticServer(t *testing.T) *httptest.Server {
	t.Helper()
	files := fstest.MapFS{
		"index.html":          {Data: []byte(indexHTML)},
		"favicon.svg":         {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"assets/app.js":       {Data: []byte(`console.log("app")`)},
		"assets/app.css":      {Data: []byte(`body{}`)},
		"assets/fonts/a.woff": {Data: []byte("wOFF")},
	}
	srv := httptest.NewServer(server.New(server.Config{Token: token, Static: files}))
	t.Cleanup(srv.Close)
	return srv
}

func TestStaticFiles(t *testing.T) {
	srv := staticServer(t)
	cases := []struct {
		method, path string
		status       int
		ctype        string // prefix
		body         string // substring
		notBody      string
	}{
		{"GET", "/", 200, "text/html", "<title>ui</title>", ""},
		{"GET", "/index.html", 200, "text/html", "<title>ui</title>", ""},
		{"GET", "/chats/some-route", 200, "text/html", "<title>ui</title>", ""},
		{"GET", "/assets/app.js", 200, "text/javascript", `console.log("app")`, ""},
		{"GET", "/favicon.svg", 200, "image/svg+xml", "<svg", ""},
		// Folders are never listed, with or without the slash, nested or not.
		{"GET", "/assets/", 404, "application/json", `"not_found"`, "app.js"},
		{"GET", "/assets", 404, "application/json", `"not_found"`, "app.js"},
		{"GET", "/assets/fonts/", 404, "application/json", `"not_found"`, "a.woff"},
		{"GET", "/assets/./", 404, "application/json", `"not_found"`, "app.js"},
		{"HEAD", "/assets/", 404, "application/json", "", ""},
		// A missing bundle file is a 404, not the page under a script's name.
		{"GET", "/assets/missing.js", 404, "application/json", `"not_found"`, "<html"},
		{"POST", "/", 405, "application/json", "method_not_allowed", ""},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
			resp, body := doRaw(t, req)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d; body %q", resp.StatusCode, c.status, body)
			}
			if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, c.ctype) {
				t.Errorf("Content-Type %q, want %s…", got, c.ctype)
			}
			if !strings.Contains(body, c.body) {
				t.Errorf("body %q lacks %q", body, c.body)
			}
			if c.notBody != "" && strings.Contains(body, c.notBody) {
				t.Errorf("body %q lists %q", body, c.notBody)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if got := resp.Header.Get("Content-Security-Policy"); got != wantCSP {
				t.Errorf("CSP %q\nwant %q", got, wantCSP)
			}
		})
	}
}

// Every answer, API errors and refusals included, carries nosniff.
func TestNosniffOnEveryResponse(t *testing.T) {
	srv := staticServer(t)
	cases := []struct {
		name   string
		method string
		path   string
		header map[string]string
		host   string
		status int
	}{
		{"no token", "GET", "/api/health", nil, "", 401},
		{"unknown endpoint", "GET", "/api/nope", map[string]string{"Authorization": "Bearer " + token}, "", 404},
		{"wrong method", "DELETE", "/api/sessions", map[string]string{"Authorization": "Bearer " + token}, "", 405},
		{"foreign Host", "GET", "/", nil, "evil.example", 403},
		{"foreign Origin", "GET", "/api/sessions", map[string]string{"Origin": "https://evil.example"}, "", 403},
		{"preflight", "OPTIONS", "/api/sessions", map[string]string{"Origin": "wails://wails", "Access-Control-Request-Method": "POST"}, "", 204},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			if c.host != "" {
				req.Host = c.host
			}
			resp, body := doRaw(t, req)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d; body %q", resp.StatusCode, c.status, body)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
		})
	}
}

func TestPagePolicy(t *testing.T) {
	cases := []struct{ name, html, want string }{
		{"double quotes", `<meta http-equiv="Content-Security-Policy" content="default-src 'self'">`, "default-src 'self'"},
		{"single quotes", `<meta http-equiv='content-security-policy' content='img-src data:'>`, "img-src data:"},
		{"content first, spread over lines", "<meta content=\"a 'self';\n   b  c\"\n http-equiv=Content-Security-Policy>", "a 'self'; b c"},
		{"entities", `<meta http-equiv="Content-Security-Policy" content="script-src &#39;self&#39;">`, "script-src 'self'"},
		{"other meta only", `<meta name="referrer" content="no-referrer"><meta charset="utf-8">`, ""},
		{"none", `<title>x</title>`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := server.PagePolicy([]byte(c.html)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// The policy the app ships: strict, and readable by PagePolicy.
func TestShippedPagePolicy(t *testing.T) {
	b, err := os.ReadFile("../../frontend/index.html")
	if err != nil {
		t.Fatal(err)
	}
	p := server.PagePolicy(b)
	directives := map[string]string{}
	for _, d := range strings.Split(p, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	want := map[string]string{
		"default-src": "'self'",
		"script-src":  "'self'",
		"img-src":     "'self' data: blob: https:",
		"object-src":  "'none'",
		"base-uri":    "'none'",
		"form-action": "'none'",
		"frame-src":   "'none'",
	}
	for name, value := range want {
		if directives[name] != value {
			t.Errorf("%s is %q, want %q (policy %q)", name, directives[name], value, p)
		}
	}
	for name, value := range directives {
		for _, source := range strings.Fields(value) {
			if source == "*" || source == "'unsafe-eval'" || source == "http:" || (name == "script-src" && source != "'self'") {
				t.Errorf("%s allows %s (policy %q)", name, source, p)
			}
		}
	}
}

// When index.html is missing, the fallback page still gets a strict policy.
func TestNotBuiltPagePolicy(t *testing.T) {
	srv := httptest.NewServer(server.New(server.Config{Token: token, Static: fstest.MapFS{}}))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	resp, body := doRaw(t, req)
	if resp.StatusCode != 200 || !strings.Contains(body, "built without the web UI") {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "https:") {
		t.Errorf("CSP %q", csp)
	}
}

func doRaw(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

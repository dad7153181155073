package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/holdfast-chat/holdfast/internal/sse"
)

func TestResolveVersion(t *testing.T) {
	vcs := func(kv ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{}
		for i := 0; i < len(kv); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return info
	}
	tests := []struct {
		name    string
		stamped string
		info    *debug.BuildInfo
		want    string
	}{
		{"stamped wins", "0.2.0", vcs("vcs.revision", "0123456789abcdef"), "0.2.0"},
		{"stamped describe", "0.2.0-3-gabc1234-dirty", nil, "0.2.0-3-gabc1234-dirty"},
		{"plain go build from git", "", vcs("vcs.revision", "0123456789abcdef", "vcs.modified", "false"), "0.0.0-dev+0123456"},
		{"uncommitted changes", "", vcs("vcs.revision", "0123456789abcdef", "vcs.modified", "true"), "0.0.0-dev+0123456.dirty"},
		{"no vcs info", "", vcs("-tags", "desktop"), "0.0.0-dev"},
		{"no build info", "", nil, "0.0.0-dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolveVersion(tt.stamped, tt.info); got != tt.want {
				t.Errorf("resolveVersion(%q) = %q, want %q", tt.stamped, got, tt.want)
			}
		})
	}
}

// TestVersionStamped builds the binary the way the Makefile does (-X
// main.version=…) and checks every place the version shows: --version,
// the serve banner, /api/health, the stream's hello and an export's
// metadata.
func TestVersionStamped(t *testing.T) {
	const v = "9.8.7-2-gfeedbee"
	bin := filepath.Join(t.TempDir(), "holdfast")
	build := exec.Command("go", "build", "-tags", "sqlite_fts5", "-ldflags", "-X main.version="+v, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	for _, arg := range []string{"--version", "version", "-v"} {
		out, err := exec.Command(bin, arg).Output()
		if err != nil || string(out) != "holdfast "+v+"\n" {
			t.Errorf("holdfast %s = %q, %v; want %q", arg, out, err, "holdfast "+v)
		}
	}

	p := serve(t, bin, t.TempDir(), "127.0.0.1:0", 1000)
	var health struct{ Version string }
	p.api(t, "GET", "/api/health", "", &health)
	if health.Version != v {
		t.Errorf("/api/health version = %q, want %q", health.Version, v)
	}

	evs := p.events(t, "").Until(eventTimeout, func(e sse.Event) bool { return e.Event != "" }) // the retry: block comes first
	hello := evs[len(evs)-1]
	if hello.Event != "hello" {
		t.Fatalf("first event = %+v; want hello", hello)
	}
	var h struct{ Version string }
	if err := json.Unmarshal([]byte(hello.Data), &h); err != nil || h.Version != v {
		t.Errorf("hello version = %q (%v), want %q", h.Version, err, v)
	}

	var sess struct{ ID string }
	p.api(t, "POST", "/api/sessions", `{"title":"versioned"}`, &sess)
	var doc struct {
		AppVersion string `json:"app_version"`
	}
	p.api(t, "GET", "/api/sessions/"+sess.ID+"/export?format=json", "", &doc)
	if doc.AppVersion != v {
		t.Errorf("JSON export app_version = %q, want %q", doc.AppVersion, v)
	}
	md := p.get(t, "/api/sessions/"+sess.ID+"/export?format=md")
	if !strings.Contains(md, "- Exported by: Holdfast "+v+"\n") {
		t.Errorf("Markdown export does not name the version:\n%s", md)
	}
}

// get returns the body of an authorised GET.
func (p *proc) get(t *testing.T, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", p.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s %v", path, resp.StatusCode, b, err)
	}
	return string(b)
}

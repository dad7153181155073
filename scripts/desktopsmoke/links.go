package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// linkTarget is where the model's link points; .invalid never resolves, so
// had the window followed it, the page would be gone.
const linkTarget = "https://example.invalid/desktop-link_(x)"

// linkRun: model output holding an SVG link (the kind of link that once
// navigated the app's own window) is clicked for real with xdotool in the
// real WebKitGTK view. The URL must reach the system browser through Wails'
// BrowserOpenURL (a stand-in xdg-open on PATH records what it is given) and
// the window must still be the app afterwards (it follows a backend restart
// and reports its stream live again).
func (r *runner) linkRun(ctx context.Context) {
	home, err := os.MkdirTemp("", "holdfast-desktop-links-")
	if !r.check("links: temporary data folder", err) {
		return
	}
	defer os.RemoveAll(home)
	fakeBin := filepath.Join(home, "fakebin")
	opened := filepath.Join(home, "opened.txt")
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$1\" >> '%s'\n", opened)
	err = os.MkdirAll(fakeBin, 0o755)
	if err == nil {
		err = os.WriteFile(filepath.Join(fakeBin, "xdg-open"), []byte(script), 0o755)
	}
	if !r.check("links: stand-in xdg-open that records the URL", err) {
		return
	}

	a, err := r.launch(home, "desktop-links.log", "PATH="+fakeBin+string(os.PathListSeparator)+os.Getenv("PATH"))
	if !r.check("links: app launched", err) {
		return
	}
	defer a.kill()
	conn, err := a.waitConn(ctx, "", 60*time.Second)
	if err == nil {
		_, err = a.waitEvent(ctx, 0, "status live", 60*time.Second)
	}
	if !r.check("links: page live", err) {
		return
	}
	api := client{conn: conn}
	var sess store.Session
	if err := api.do(ctx, "POST", "/api/sessions", map[string]any{"title": "Links"}, &sess); !r.check("links: chat created", err) {
		return
	}
	a.command("open-session " + sess.ID)
	// A link that fills the message column, so a click in the middle of the window lands on it.
	echo := `/echo <svg width="100%" height="2400"><a href="` + linkTarget + `"><rect width="100%" height="2400" fill="#c0392b"/>` +
		`<text x="40" y="2300" font-size="40" fill="#fff">model link</text></a></svg>`
	msg, err := api.send(ctx, sess.ID, echo)
	if err == nil {
		var done store.Message
		done, err = api.waitDone(ctx, sess.ID, msg.ID, 60*time.Second)
		if err == nil && done.Status != store.StatusComplete {
			err = fmt.Errorf("answer ended %s", done.Status)
		}
	}
	if !r.check("links: answer with an SVG link rendered", err) {
		return
	}
	time.Sleep(1500 * time.Millisecond) // let the page paint it
	r.screenshot("desktop-links-before.png")

	out, err := exec.CommandContext(ctx, "xdotool", "search", "--sync", "--onlyvisible", "--name", "^Holdfast$",
		"mousemove", "--window", "%1", "700", "420", "click", "1").CombinedOutput()
	if err != nil {
		err = fmt.Errorf("xdotool: %v: %s", err, out)
	}
	if !r.check("links: click on the link in the window (xdotool)", err) {
		return
	}
	var got []byte
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		got, _ = os.ReadFile(opened)
		if len(got) > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	want := strings.NewReplacer("(", "%28", ")", "%29").Replace(linkTarget)
	switch {
	case len(got) == 0:
		err = errors.New("xdg-open was never called")
	case string(bytes.TrimSpace(got)) != want:
		err = fmt.Errorf("xdg-open got %q, want %q", bytes.TrimSpace(got), want)
	default:
		err = nil
	}
	r.check("links: the link went to the system browser (BrowserOpenURL → xdg-open)", err)
	r.screenshot("desktop-links-after.png")

	// Still the app: it notices a backend restart and comes back live.
	mark := a.eventCount()
	a.command("action view.restart-backend")
	left, err := a.waitEventAfter(ctx, mark, func(s string) bool { return strings.HasPrefix(s, "status ") && s != "status live" }, 30*time.Second)
	if err == nil {
		_, err = a.waitEvent(ctx, left+1, "status live", 60*time.Second)
	}
	r.check("links: the window is still the app (live again after Restart Backend)", err)

	a.command("action file.quit")
	code, err := a.wait(30 * time.Second)
	if err == nil && code != 0 {
		err = fmt.Errorf("exit status %d", code)
	}
	r.check("links: quits with status 0", err)
}

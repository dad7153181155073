package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/holdfast-chat/holdfast/internal/attach/attachtest"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// dialogTitle is the title app.pickAttachments gives the native dialog.
const dialogTitle = "Attach Files"

// attachRun: the paperclip opens the real GTK file dialog (the page's
// click calls the bound App.PickAttachments), xdotool types a path into
// it like a user would (Ctrl+L, the path, Enter), and the picked PNG
// becomes a ready chip, is stored by its hash and goes out with a message.
// A PNG that is really a ZIP, picked the same way, is refused with a
// toast and leaves no chip. Nothing is stubbed: the dialog is GTK's own.
func (r *runner) attachRun(ctx context.Context) {
	home, err := os.MkdirTemp("", "holdfast-desktop-attach-")
	if !r.check("attach: temporary data folder", err) {
		return
	}
	defer os.RemoveAll(home)
	pics := filepath.Join(home, "Pictures")
	png := attachtest.PNG(120, 80)
	zip := append([]byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), make([]byte, 600)...)
	err = os.MkdirAll(pics, 0o755)
	if err == nil {
		err = os.WriteFile(filepath.Join(pics, "kelp.png"), png, 0o644)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(pics, "fake.png"), zip, 0o644)
	}
	if !r.check("attach: a PNG and a ZIP named .png to pick", err) {
		return
	}

	a, err := r.launch(home, "desktop-attach.log")
	if !r.check("attach: app launched", err) {
		return
	}
	defer a.kill()
	conn, err := a.waitConn(ctx, "", 60*time.Second)
	if err == nil {
		_, err = a.waitEvent(ctx, 0, "status live", 60*time.Second)
	}
	if !r.check("attach: page live", err) {
		return
	}
	api := client{conn: conn}
	// The composer of the welcome screen: Send makes the chat.
	if !r.check("attach: the paperclip is there", a.probe(ctx, `[data-testid="attach"]`, true)) {
		return
	}

	const chip = `[data-testid="attachment-chip"][data-state="ready"]`
	err = r.pickInDialog(ctx, a, filepath.Join(pics, "kelp.png"), "desktop-attach-dialog.png")
	if !r.check("attach: the paperclip opened the native GTK dialog and a file was picked in it (xdotool)", err) {
		return
	}
	if !r.check("attach: the picked PNG shows as a ready chip", a.probe(ctx, chip, true)) {
		return
	}
	sum := sha256.Sum256(png)
	id := hex.EncodeToString(sum[:])
	r.check("attach: the PNG is stored by its hash", api.do(ctx, "GET", "/api/attachments/"+id, nil, nil))
	// The window's page (its own origin) may show blob: images only: the
	// thumbnail is fetched with the token and shown from a blob.
	r.check("attach: its chip shows the server's thumbnail", a.probe(ctx, `[data-testid="attachment-chip"] img[src^="blob:"]`, true))
	time.Sleep(time.Second) // let the thumbnail paint
	r.screenshot("desktop-attach-chip.png")

	// A hostile file through the same dialog: refused by name, no chip.
	err = r.pickInDialog(ctx, a, filepath.Join(pics, "fake.png"), "")
	if r.check("attach: a second pick in the dialog", err) {
		r.check("attach: the ZIP named .png is refused with a message", a.probe(ctx, `[data-testid="toast"]`, true))
		r.check("attach: and leaves no chip", a.probe(ctx, `[data-testid="attachment-chip"]:nth-child(2)`, false))
	}

	a.command(`click [data-testid="send"]`)
	err = waitFor(ctx, 20*time.Second, func() error {
		var list struct{ Sessions []store.Session }
		if err := api.do(ctx, "GET", "/api/sessions", nil, &list); err != nil {
			return err
		}
		for _, s := range list.Sessions {
			var page struct{ Messages []store.Message }
			if err := api.do(ctx, "GET", "/api/sessions/"+s.ID+"/messages", nil, &page); err != nil {
				return err
			}
			for _, m := range page.Messages {
				if m.Role == store.RoleUser && len(m.Attachments) == 1 && m.Attachments[0].ID == id && m.Attachments[0].Name == "kelp.png" {
					return nil
				}
			}
		}
		return fmt.Errorf("no user message with kelp.png in %d chats", len(list.Sessions))
	})
	r.check("attach: Send sends the message with the picked file", err)
	r.check("attach: the sent message shows the image's thumbnail", a.probe(ctx, `[data-testid="message-file"][data-kind="image"] img[src^="blob:"]`, true))
	a.command(`click [data-testid="toast"] button`)
	time.Sleep(time.Second)
	r.screenshot("desktop-attach-sent.png")

	a.command("action file.quit")
	code, err := a.wait(30 * time.Second)
	if err == nil && code != 0 {
		err = fmt.Errorf("exit status %d", code)
	}
	r.check("attach: quits with status 0", err)
}

// pickInDialog clicks the paperclip, waits for the native dialog and
// picks path in it by typing: Ctrl+L opens GTK's location field, the
// path and Enter choose the file. shot, if set, is a screenshot taken
// with the dialog open.
func (r *runner) pickInDialog(ctx context.Context, a *appProc, path, shot string) error {
	a.command(`click [data-testid="attach"]`)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "xdotool", "search", "--sync", "--onlyvisible", "--name", "^"+dialogTitle+"$").Output()
	if err != nil {
		return fmt.Errorf("no %q window: %v", dialogTitle, err)
	}
	win := strings.Fields(string(out))
	if len(win) == 0 {
		return errors.New("no dialog window id")
	}
	time.Sleep(700 * time.Millisecond) // let GTK map and fill it
	if shot != "" {
		r.screenshot(shot)
	}
	steps := [][]string{
		{"windowfocus", "--sync", win[0]},
		{"key", "--clearmodifiers", "ctrl+l"},
		{"sleep", "0.3"},
		{"type", "--delay", "20", path},
		{"sleep", "0.3"},
		{"key", "Return"},
	}
	for _, s := range steps {
		if out, err := exec.CommandContext(ctx, "xdotool", s...).CombinedOutput(); err != nil {
			return fmt.Errorf("xdotool %s: %v: %s", strings.Join(s, " "), err, out)
		}
	}
	// The dialog closes once the file is taken.
	return waitFor(ctx, 15*time.Second, func() error {
		out, _ := exec.CommandContext(ctx, "xdotool", "search", "--onlyvisible", "--name", "^"+dialogTitle+"$").Output()
		if len(strings.TrimSpace(string(out))) > 0 {
			return errors.New("the dialog is still open")
		}
		return nil
	})
}

// waitFor retries fn every 200 ms until it returns nil or d has passed.
func waitFor(ctx context.Context, d time.Duration, fn func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := fn()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

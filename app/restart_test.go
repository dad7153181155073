package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"log/slog"

	"github.com/holdfast-chat/holdfast/internal/sse"
	"github.com/holdfast-chat/holdfast/internal/store"
)

type delta struct {
	MessageID string `json:"message_id"`
	Index     int    `json:"index"`
	Text      string `json:"text"`
}

// TestRestartBackendKeepsJobsAndStreamResumes is View → Restart Backend in
// the middle of an answer, against the real backend: the answer keeps
// generating, the stream gets `shutdown`, ConnectionInfo gives the new
// address, and resuming from the last event id delivers the rest with no
// gap and no duplicate.
func TestRestartBackendKeepsJobsAndStreamResumes(t *testing.T) {
	c, ui, home := startCore(t, 40, true)
	cl := client{t, c}
	ctx := context.Background()
	before, _ := c.connectionInfo(time.Second)

	events := cl.openStream("")
	s, a := cl.newChat("Restart", "Explain how a holdfast grips the rock.")

	var lastID string
	deltas := map[int]string{}
	take := func(ev sse.Event) {
		if ev.HasID {
			lastID = ev.ID
		}
		if ev.Event != "message.delta" {
			return
		}
		var d delta
		if err := json.Unmarshal([]byte(ev.Data), &d); err != nil {
			t.Fatal(err)
		}
		if d.MessageID != a.ID {
			return
		}
		if _, dup := deltas[d.Index]; dup {
			t.Fatalf("delta %d delivered twice", d.Index)
		}
		deltas[d.Index] = d.Text
	}
	for len(deltas) < 5 {
		ev, err := events.Next(10 * time.Second)
		if err != nil {
			t.Fatalf("stream ended early: %v", err)
		}
		take(ev)
	}

	act, _ := c.findAction(ActRestartBackend)
	c.do(act)

	// The old stream is told, then closed.
	sawShutdown := false
	for _, ev := range events.Rest(10 * time.Second) {
		take(ev)
		sawShutdown = sawShutdown || ev.Event == "shutdown"
	}
	if !sawShutdown {
		t.Error("the stream ended without a shutdown event")
	}
	if m, err := c.be.Store().GetMessage(ctx, a.ID); err != nil || m.Status != store.StatusStreaming {
		t.Fatalf("after the restart the answer is %q (%v); the generation should still run", m.Status, err)
	}
	if len(ui.shownMessages()) != 0 {
		t.Fatalf("restart showed %+v", ui.shownMessages())
	}

	after, err := (&App{core: c}).ConnectionInfo()
	if err != nil || after.Token != before.Token || after.BaseURL == "" {
		t.Fatalf("after restart: %+v, %v", after, err)
	}
	if before.BaseURL != after.BaseURL {
		// The old address is closed.
		if resp, err := http.Get(before.BaseURL + "/api/health"); err == nil {
			resp.Body.Close()
			t.Error("old address still answers")
		}
	}
	conn, _ := os.ReadFile(filepath.Join(home, "test-hooks", "conn.json"))
	mustContain(t, "conn.json", string(conn), `"baseUrl":"`+after.BaseURL+`"`)

	// Resume from the last id, as the page does.
	events = cl.openStream(lastID)
	var final store.Message
	for final.ID == "" {
		ev, err := events.Next(60 * time.Second)
		if err != nil {
			t.Fatalf("resumed stream ended: %v", err)
		}
		take(ev)
		if ev.Event == "message.completed" {
			var m store.Message
			json.Unmarshal([]byte(ev.Data), &m)
			if m.ID == a.ID {
				final = m
			}
		}
	}
	var text string
	for i := 0; i < len(deltas); i++ {
		d, ok := deltas[i]
		if !ok {
			t.Fatalf("delta %d missing (%d received): a gap", i, len(deltas))
		}
		text += d
	}
	rest := cl.waitDone(s.ID, a.ID, time.Second)
	if final.Status != store.StatusComplete || text != final.Content || rest.Content != final.Content {
		t.Fatalf("status %s; deltas %d bytes, completed %d bytes, stored %d bytes: the answer is not intact",
			final.Status, len(text), len(final.Content), len(rest.Content))
	}
}

func TestRestartFailureIsShown(t *testing.T) {
	ui := newFakeUI()
	c := NewCore(CoreConfig{Home: t.TempDir(), UI: ui, Open: func(context.Context, *slog.Logger) (Backend, error) {
		return failingRestart{}, nil
	}})
	c.startup(context.Background())
	a, _ := c.findAction(ActRestartBackend)
	c.do(a)
	m := ui.shownMessages()
	if len(m) != 1 || m[0].kind != ErrorMessage || m[0].title != "Restart Backend failed" {
		t.Fatalf("messages = %+v", m)
	}
	mustContain(t, "error", m[0].text, "address already in use")
}

// failingRestart is a backend whose listener cannot come back.
type failingRestart struct{ Backend }

func (failingRestart) BaseURL() string { return "http://127.0.0.1:1" }
func (failingRestart) RestartServer(context.Context) error {
	return errors.New("listen on 127.0.0.1:8080: address already in use")
}

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/backend"
	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// testOpener opens a real backend (SQLite file, HTTP on loopback) in home
// with the demo provider at tps tokens per second.
func testOpener(t *testing.T, home string, tps float64) OpenBackend {
	return func(ctx context.Context, log *slog.Logger) (Backend, error) {
		b, err := backend.Open(ctx, backend.Options{
			Home: home, Addr: "127.0.0.1:0", DemoTPS: tps, Version: "test", Logger: log,
			Heartbeat: time.Second,
		})
		if err != nil {
			return nil, err
		}
		if err := b.Start(ctx); err != nil {
			b.Close(ctx)
			return nil, err
		}
		return b, nil
	}
}

// startCore makes a Core with a fake UI and a real backend, runs startup
// and closes the backend at the end of the test.
func startCore(t *testing.T, tps float64, hooks bool) (*Core, *fakeUI, string) {
	t.Helper()
	home := t.TempDir()
	ui := newFakeUI()
	c := NewCore(CoreConfig{
		Version: "1.2.3-test", Home: home, UI: ui, Open: testOpener(t, home, tps),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), TestHooks: hooks,
		Now: func() time.Time { return time.Date(2026, 11, 22, 15, 4, 5, 0, time.UTC) },
	})
	c.startup(context.Background())
	if _, err := c.connectionInfo(time.Second); err != nil {
		t.Fatalf("backend did not start: %v", err)
	}
	t.Cleanup(func() { c.shutdown(context.Background()) })
	return c, ui, home
}

// client calls the real server the way the page does.
type client struct {
	t    *testing.T
	core *Core
}

func (cl client) do(method, path string, body any, out any) int {
	cl.t.Helper()
	info, err := cl.core.connectionInfo(time.Second)
	if err != nil {
		cl.t.Fatal(err)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, info.BaseURL+path, rd)
	req.Header.Set("Authorization", "Bearer "+info.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cl.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			cl.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// newChat creates a session and sends content; it returns the session
// and the assistant message (streaming).
func (cl client) newChat(title, content string) (store.Session, store.Message) {
	cl.t.Helper()
	var s store.Session
	if code := cl.do("POST", "/api/sessions", map[string]string{"title": title}, &s); code != http.StatusCreated {
		cl.t.Fatalf("create session: %d", code)
	}
	var pair struct{ User, Assistant store.Message }
	code := cl.do("POST", "/api/sessions/"+s.ID+"/messages",
		map[string]string{"content": content, "client_id": "c-" + s.ID}, &pair)
	if code != http.StatusCreated {
		cl.t.Fatalf("send message: %d", code)
	}
	return s, pair.Assistant
}

// waitDone polls until the message is no longer streaming.
func (cl client) waitDone(sessionID, msgID string, within time.Duration) store.Message {
	cl.t.Helper()
	var done store.Message
	ssetest.Eventually(cl.t, "message "+msgID+" to stop streaming", within, func() bool {
		var page struct{ Messages []store.Message }
		cl.do("GET", "/api/sessions/"+sessionID+"/messages", nil, &page)
		for _, m := range page.Messages {
			if m.ID == msgID && m.Status != store.StatusStreaming {
				done = m
				return true
			}
		}
		return false
	})
	return done
}

// openStream opens the SSE stream like the page does.
func (cl client) openStream(lastEventID string) *ssetest.Stream {
	cl.t.Helper()
	info, err := cl.core.connectionInfo(time.Second)
	if err != nil {
		cl.t.Fatal(err)
	}
	return ssetest.Open(cl.t, info.BaseURL, info.Token, ssetest.Options{LastEventID: lastEventID})
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s %q does not contain %q", what, got, w)
		}
	}
}

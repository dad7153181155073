package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/holdfast-chat/holdfast/internal/export"
)

// testHooks let the desktop smoke test (scripts/test-desktop.sh) watch and
// drive the real app from outside, through files in <Home>/test-hooks/.
// They exist only when HOLDFAST_TEST_HOOKS=1.
//
//	conn.json   written at start and after each restart: {baseUrl, token, pid}
//	events.log  one line per event: "<unix ms> status live", "… second-instance"
//	command     written by the test; the app runs it and deletes it:
//	            "action <id>" (a menu action), "open-session <id>", or
//	            "probe <CSS selector>": the page reports whether such an
//	            element is there, as "probe <selector> true|false";
//	            "click <CSS selector>": the page clicks that element (a
//	            button whose handler opens a native dialog, which the test
//	            then drives with xdotool)
//
// All methods are safe on a nil *testHooks, which does nothing.
type testHooks struct {
	dir  string
	log  *slog.Logger
	mu   sync.Mutex
	stop func()
	wg   sync.WaitGroup
}

// start writes conn.json and polls for commands until stop.
func (h *testHooks) start(ctx context.Context, c *Core) {
	if h == nil {
		return
	}
	if err := os.MkdirAll(h.dir, 0o700); err != nil {
		h.log.Error("test hooks", "err", err)
		return
	}
	if be, err := c.backend(ctx); err == nil {
		h.writeConn(ConnectionInfo{BaseURL: be.BaseURL(), Token: be.Token()})
	}
	ctx, cancel := context.WithCancel(ctx)
	h.mu.Lock()
	h.stop = cancel
	h.mu.Unlock()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				h.poll(c)
			}
		}
	}()
}

func (h *testHooks) poll(c *Core) {
	path := filepath.Join(h.dir, "command")
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	os.Remove(path)
	cmd := strings.TrimSpace(string(b))
	h.log.Info("test hook command", "cmd", cmd)
	verb, arg, _ := strings.Cut(cmd, " ")
	switch verb {
	case "action":
		// Like a click: on its own goroutine, so a Quit can wait for us.
		a, ok := c.findAction(arg)
		if !ok {
			h.record("error unknown action " + arg)
			return
		}
		go c.do(a)
	case "open-session":
		c.ui.Emit(c.wailsCtx(), EventOpenSession, arg)
	case "probe":
		sel, _ := json.Marshal(arg) // a JS string literal
		c.ui.ExecJS(c.wailsCtx(), fmt.Sprintf("window.runtime.EventsEmit(%q, %s, !!document.querySelector(%s))", eventTestProbe, sel, sel))
	case "click":
		sel, _ := json.Marshal(arg)
		c.ui.ExecJS(c.wailsCtx(), fmt.Sprintf("document.querySelector(%s)?.click()", sel))
	default:
		h.record("error unknown command " + cmd)
	}
}

// eventTestProbe is the page's answer to a probe command: selector, found.
const eventTestProbe = "test-probe"

// listen records the page's answers to probes.
func (h *testHooks) listen(ctx context.Context, ui Page) {
	if h == nil {
		return
	}
	ui.On(ctx, eventTestProbe, func(data ...any) {
		if len(data) == 2 {
			h.record(fmt.Sprintf("probe %v %v", data[0], data[1]))
		}
	})
}

func (h *testHooks) writeConn(info ConnectionInfo) {
	if h == nil {
		return
	}
	err := export.WriteFileAtomic(filepath.Join(h.dir, "conn.json"), func(w io.Writer) error {
		return json.NewEncoder(w).Encode(map[string]any{"baseUrl": info.BaseURL, "token": info.Token, "pid": os.Getpid()})
	})
	if err != nil {
		h.log.Error("test hooks", "err", err)
	}
}

// record appends one timestamped line to events.log.
func (h *testHooks) record(line string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := os.MkdirAll(h.dir, 0o700); err != nil {
		h.log.Error("test hooks", "err", err)
		return
	}
	f, err := os.OpenFile(filepath.Join(h.dir, "events.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		h.log.Error("test hooks", "err", err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%d %s\n", time.Now().UnixMilli(), line)
}

func (h *testHooks) stopPolling() {
	if h == nil {
		return
	}
	h.mu.Lock()
	stop := h.stop
	h.mu.Unlock()
	if stop != nil {
		stop()
	}
	h.wg.Wait()
}

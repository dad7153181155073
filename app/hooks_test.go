package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
)

func TestTestHooks(t *testing.T) {
	c, ui, home := startCore(t, 2000, true)
	dir := filepath.Join(home, "test-hooks")
	info, _ := c.connectionInfo(time.Second)
	conn, err := os.ReadFile(filepath.Join(dir, "conn.json"))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "conn.json", string(conn), info.BaseURL, info.Token, `"pid":`)

	command := func(cmd string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "command"), []byte(cmd+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		ssetest.Eventually(t, "the command to be taken", 5*time.Second, func() bool {
			_, err := os.Stat(filepath.Join(dir, "command"))
			return os.IsNotExist(err)
		})
	}
	events := func() string { b, _ := os.ReadFile(filepath.Join(dir, "events.log")); return string(b) }

	command("action " + ActToggleTheme)
	ssetest.Eventually(t, "toggle-theme", 5*time.Second, func() bool {
		e := ui.emittedEvents()
		return len(e) > 0 && e[len(e)-1].event == EventToggleTheme
	})
	command("open-session s_42")
	ssetest.Eventually(t, "open-session", 5*time.Second, func() bool {
		e := ui.emittedEvents()
		return len(e) > 0 && e[len(e)-1].event == EventOpenSession && e[len(e)-1].data[0] == "s_42"
	})
	command("action no.such")
	command("dance")
	ssetest.Eventually(t, "errors in events.log", 5*time.Second, func() bool {
		return strings.Contains(events(), " error unknown action no.such\n") && strings.Contains(events(), " error unknown command dance\n")
	})
	ui.fire(EventStreamStatus, map[string]any{"state": "live"})
	if !strings.Contains(events(), " status live\n") {
		t.Errorf("events.log lacks the status:\n%s", events())
	}

	// probe: the page is asked for a selector (quoted as a JS string, so
	// a quote in it cannot end the script) and its answer is recorded.
	command(`probe [data-testid="welcome"]`)
	ssetest.Eventually(t, "the probe script", 5*time.Second, func() bool { return len(ui.ranScripts()) > 0 })
	js := ui.ranScripts()[0]
	mustContain(t, "probe script", js, `window.runtime.EventsEmit("test-probe", "[data-testid=\"welcome\"]", !!document.querySelector("[data-testid=\"welcome\"]"))`)
	ui.fire(eventTestProbe, `[data-testid="welcome"]`, true)
	if !strings.Contains(events(), ` probe [data-testid="welcome"] true`+"\n") {
		t.Errorf("events.log lacks the probe's answer:\n%s", events())
	}

	// click: the page clicks an element (quoted the same way).
	command(`click [data-testid="attach"]`)
	ssetest.Eventually(t, "the click script", 5*time.Second, func() bool { return len(ui.ranScripts()) > 1 })
	mustContain(t, "click script", ui.ranScripts()[1], `document.querySelector("[data-testid=\"attach\"]")?.click()`)
}

func TestNoHooksWithoutTheFlag(t *testing.T) {
	c, ui, home := startCore(t, 2000, false)
	ui.fire(EventStreamStatus, "live")
	c.secondInstance()
	if _, err := os.Stat(filepath.Join(home, "test-hooks")); !os.IsNotExist(err) {
		t.Fatalf("test-hooks folder exists without HOLDFAST_TEST_HOOKS: %v", err)
	}
}

// Command desktopsmoke drives the real Holdfast desktop binary in a real
// window (run it under xvfb-run and dbus-run-session; see
// scripts/test-desktop.sh). It watches and steers the app only from
// outside: the test-hook files the app writes when HOLDFAST_TEST_HOOKS=1,
// the REST API with the token the app reports, the process table, the
// SQLite file after the app has quit, and screenshots of the X display.
//
// It prints one line per check and ends with "N passed, M failed"; the
// exit status is non-zero if any check failed.
//
// With -desktop-entry it tests an installed app instead: the command comes
// from the Exec line of the installed .desktop file, as a double-click in
// a menu runs it, and with -user-home the app finds its data folder on its
// own (a fresh $HOME, no HOLDFAST_HOME), as on a user's first run.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/holdfast-chat/holdfast/internal/backend"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/store"
)

func main() {
	bin := flag.String("bin", "bin/holdfast-desktop", "desktop binary to test")
	artifacts := flag.String("artifacts", "artifacts", "folder for screenshots, logs and metrics")
	readmeShot := flag.String("readme-shot", "", "copy the main screenshot here when it is missing (or HOLDFAST_UPDATE_SCREENSHOT=1)")
	tps := flag.Float64("tps", 12, "demo provider tokens per second (an answer streams for several seconds)")
	entry := flag.String("desktop-entry", "", "launch the app with the Exec line of this .desktop file instead of -bin")
	userHome := flag.Bool("user-home", false, "run with a fresh $HOME and no HOLDFAST_HOME: the app picks its own data folder")
	bigChat := flag.Bool("big-chat", true, "also click a model link, attach a file in the native dialog and open a 1,000-message chat (memory)")
	only := flag.String("only", "", "run only this part while working on it: main, links, attach or bigchat")
	flag.Parse()

	r := &runner{bin: *bin, artifacts: *artifacts, tps: *tps, metrics: map[string]any{},
		desktopFile: "build/linux/holdfast.desktop", userHome: *userHome, bigChat: *bigChat, only: *only}
	if *entry != "" {
		argv, err := execLine(*entry)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		r.desktopFile, r.argv = *entry, argv
		fmt.Printf("     launching %q from %s\n", strings.Join(argv, " "), *entry)
	}
	if err := os.MkdirAll(r.artifacts, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r.run(ctx, *readmeShot)
	fmt.Printf("%d passed, %d failed\n", r.passed, r.failed)
	if r.failed > 0 {
		os.Exit(1)
	}
}

type runner struct {
	bin, artifacts string
	argv           []string // the command from -desktop-entry (else bin)
	desktopFile    string   // the .desktop file to validate
	userHome       bool
	bigChat        bool
	only           string // one part to run ("" = all)
	tps            float64
	passed, failed int
	metrics        map[string]any
}

// check records one result.
func (r *runner) check(name string, err error) bool {
	if err != nil {
		r.failed++
		fmt.Printf("FAIL %s: %v\n", name, err)
		return false
	}
	r.passed++
	fmt.Printf("ok   %s\n", name)
	return true
}

func (r *runner) run(ctx context.Context, readmeShot string) {
	if r.argv != nil {
		path, err := exec.LookPath(r.argv[0])
		if !r.check("the .desktop Exec command is on PATH", err) {
			return
		}
		fmt.Printf("     %s is %s\n", r.argv[0], path)
		r.bin = path
	}
	if fi, err := os.Stat(r.bin); r.check("desktop binary built", err) {
		r.metrics["binary_bytes"] = fi.Size()
		fmt.Printf("     binary size: %.1f MB\n", float64(fi.Size())/1e6)
	} else {
		return
	}
	if out, err := exec.Command("desktop-file-validate", r.desktopFile).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		r.check("Linux .desktop entry is valid", fmt.Errorf("%v: %s", err, out))
	} else {
		r.check("Linux .desktop entry is valid", nil)
	}

	part := func(name string) bool { return r.only == "" || r.only == name }
	if part("main") {
		r.mainRun(ctx, readmeShot)
	}
	// The full-run extras (skipped by the install test, which checks the
	// installed package's basics): a real click on a model link, a file
	// picked in the real native dialog, and memory with a big chat open.
	if r.bigChat {
		if part("links") {
			r.linkRun(ctx)
		}
		if part("attach") {
			r.attachRun(ctx)
		}
		if part("bigchat") {
			r.bigChatRun(ctx)
		}
	}

	b, _ := json.MarshalIndent(r.metrics, "", "  ")
	os.WriteFile(filepath.Join(r.artifacts, "desktop-metrics.json"), append(b, '\n'), 0o644)
}

// mainRun: start, stream an answer in the window, restart the backend in
// the middle of another, refuse a second instance, quit cleanly.
func (r *runner) mainRun(ctx context.Context, readmeShot string) {
	tmp, err := os.MkdirTemp("", "holdfast-desktop-smoke-")
	if !r.check("temporary data folder", err) {
		return
	}
	defer os.RemoveAll(tmp)
	home := tmp
	if r.userHome {
		// A user's first run: $HOME is all the app is given.
		home = filepath.Join(tmp, ".config", "holdfast")
	}
	a, err := r.launch(home, "desktop-app.log")
	if !r.check("app launched", err) {
		return
	}
	defer a.kill()

	conn, err := a.waitConn(ctx, "", 60*time.Second)
	if !r.check("in-process server listening on loopback (conn.json)", err) {
		return
	}
	live, err := a.waitEvent(ctx, 0, "status live", 60*time.Second)
	if !r.check("the window's page connected its stream (stream-status live)", err) {
		return
	}
	cold := a.events()[live].at.Sub(a.started)
	r.metrics["cold_start_to_live_ms"] = cold.Milliseconds()
	fmt.Printf("     cold start to a live stream: %d ms\n", cold.Milliseconds())
	r.check("the page's connection comes from the window's own web view", a.webviewConnected(conn.port()))
	if r.userHome {
		_, err := os.Stat(backend.DatabasePath(home))
		r.check("first run: data in the user's folder ($HOME/.config/holdfast)", err)
	}
	r.check("first run: the window shows the welcome screen", a.probe(ctx, `[data-testid="welcome"]`, true))
	if shot, err := r.screenshot("desktop-first-run.png"); err == nil {
		r.check("the first-run screenshot shows a painted window", notBlank(shot))
	}

	api := client{conn: conn}
	var sess store.Session
	err = api.do(ctx, "POST", "/api/sessions", map[string]any{"title": "Desktop smoke test"}, &sess)
	if !r.check("create a chat over REST with the app's token", err) {
		return
	}
	a.command("open-session " + sess.ID)
	prompt1 := "How does a holdfast keep kelp in place?"
	first, err := api.send(ctx, sess.ID, prompt1)
	if !r.check("send a message", err) {
		return
	}
	if err := api.waitContent(ctx, sess.ID, first.ID, 40, 30*time.Second); r.check("the demo answer is streaming", err) {
		r.screenshot("desktop-streaming.png")
	}
	done, err := api.waitDone(ctx, sess.ID, first.ID, 120*time.Second)
	if err == nil && (done.Status != store.StatusComplete || done.Content != llm.DemoAnswer(prompt1)) {
		err = fmt.Errorf("status %s, %d bytes; want the complete demo answer (%d bytes)", done.Status, len(done.Content), len(llm.DemoAnswer(prompt1)))
	}
	r.check("the answer completed intact", err)
	time.Sleep(500 * time.Millisecond) // let the page paint the last tokens
	if shot, err := r.screenshot("desktop.png"); r.check("screenshot of the window", err) {
		r.check("the screenshot shows a painted window", notBlank(shot))
		if readmeShot != "" {
			if _, statErr := os.Stat(readmeShot); os.IsNotExist(statErr) || os.Getenv("HOLDFAST_UPDATE_SCREENSHOT") == "1" {
				r.check("screenshot copied to "+readmeShot, copyFile(shot, readmeShot))
			}
		}
	}

	// Restart Backend in the middle of an answer.
	prompt2 := "What happens to an answer when the server restarts?"
	second, err := api.send(ctx, sess.ID, prompt2)
	if err == nil {
		err = api.waitContent(ctx, sess.ID, second.ID, 20, 30*time.Second)
	}
	if !r.check("a second answer is streaming", err) {
		return
	}
	mark := a.eventCount()
	a.command("action view.restart-backend")
	conn2, err := a.waitConn(ctx, conn.raw, 30*time.Second)
	if errors.Is(err, errSameConn) {
		conn2, err = conn, nil // restarted on the same port: conn.json rewritten identically
	}
	if !r.check("Restart Backend (test hook runs the View menu action)", err) {
		return
	}
	api = client{conn: conn2}
	if m, err := api.message(ctx, sess.ID, second.ID); err != nil || m.Status != store.StatusStreaming {
		r.check("the generation kept running across the restart", fmt.Errorf("status %q, %v", m.Status, err))
	} else {
		r.check("the generation kept running across the restart", nil)
	}
	left, err := a.waitEventAfter(ctx, mark, func(s string) bool { return strings.HasPrefix(s, "status ") && s != "status live" }, 30*time.Second)
	if r.check("the page noticed the restart (stream-status left live)", err) {
		_, err = a.waitEvent(ctx, left+1, "status live", 60*time.Second)
		r.check("the page reconnected (stream-status live again)", err)
		r.check("the page's stream is on the new address", a.webviewConnected(conn2.port()))
	}
	// How soon the window showed words again: from the server listening
	// again (the app records it when RestartServer returns) to the page's
	// "words" event (new words painted after its stream came back).
	restarted, err := a.waitEvent(ctx, mark, "backend restarted", 30*time.Second)
	var took time.Duration
	if err == nil {
		took, err = a.wordsAfter(ctx, restarted+1, a.events()[restarted].at)
	}
	r.reportResume("Restart Backend mid-answer", "restart_to_words_ms", took, err)
	done2, err := api.waitDone(ctx, sess.ID, second.ID, 120*time.Second)
	if err == nil && (done2.Status != store.StatusComplete || done2.Content != llm.DemoAnswer(prompt2)) {
		err = fmt.Errorf("status %s, %d bytes; want the complete demo answer (%d bytes)", done2.Status, len(done2.Content), len(llm.DemoAnswer(prompt2)))
	}
	r.check("the answer streamed across the restart is intact", err)
	time.Sleep(500 * time.Millisecond)
	r.screenshot("desktop-after-restart.png")

	// A new server.addr in config.toml moves the server to another port
	// mid-answer; the page follows through its binding just as fast.
	prompt3 := "Where does the window look when the port changes?"
	third, err := api.send(ctx, sess.ID, prompt3)
	if err == nil {
		err = api.waitContent(ctx, sess.ID, third.ID, 20, 30*time.Second)
	}
	if r.check("a third answer is streaming", err) {
		mark = a.eventCount()
		port, err := moveServer(home)
		var ready time.Time
		if err == nil {
			ready, err = waitListening(ctx, port, conn2.Token, 30*time.Second)
		}
		if r.check("config.toml's server.addr moved the server to a new port", err) {
			took, err := a.wordsAfter(ctx, mark, ready)
			r.reportResume("port change mid-answer", "port_change_to_words_ms", took, err)
			r.check("the page's stream is on the new port", a.webviewConnected(port))
			api = client{conn: connInfo{BaseURL: fmt.Sprintf("http://127.0.0.1:%d", port), Token: conn2.Token}}
			done3, err := api.waitDone(ctx, sess.ID, third.ID, 120*time.Second)
			if err == nil && (done3.Status != store.StatusComplete || done3.Content != llm.DemoAnswer(prompt3)) {
				err = fmt.Errorf("status %s, %d bytes; want the complete demo answer", done3.Status, len(done3.Content))
			}
			r.check("the answer streamed across the port change is intact", err)
		}
	}

	// A second launch on the same data folder focuses the first and exits.
	b, err := r.launch(home, "desktop-second-instance.log")
	if err == nil {
		code, werr := b.wait(20 * time.Second)
		switch {
		case werr != nil:
			err = werr
		case code == 0:
			err = errors.New("second instance exited 0; it should have handed over and exited 1")
		}
	}
	if r.check("a second launch exits", err) {
		_, err = a.waitEvent(ctx, 0, "second-instance", 10*time.Second)
		r.check("the first window was asked to come to the front", err)
	}

	// Quit through the menu action: clean exit, nothing left streaming.
	a.command("action file.quit")
	code, err := a.wait(30 * time.Second)
	if err == nil && code != 0 {
		err = fmt.Errorf("exit status %d", code)
	}
	r.check("File → Quit exits with status 0", err)
	r.check("no answer left streaming in the database", noStreaming(ctx, home))
	_, err = os.Stat(filepath.Join(home, "window.json"))
	r.check("window size and position saved on quit", err)
	log, _ := os.ReadFile(filepath.Join(home, "logs", "holdfast.log"))
	if !bytes.Contains(log, []byte(`msg="backend closed"`)) {
		r.check("log file records a clean shutdown", errors.New("no 'backend closed' in logs/holdfast.log"))
	} else {
		r.check("log file records a clean shutdown", nil)
	}
}

// bigChatRun opens a 1,000-message chat and measures the memory of the
// app's process tree (the Go process and its WebKit helpers).
func (r *runner) bigChatRun(ctx context.Context) {
	home, err := os.MkdirTemp("", "holdfast-desktop-big-")
	if !r.check("temporary data folder with a 1,000-message chat", err) {
		return
	}
	defer os.RemoveAll(home)
	id, err := seedBigChat(ctx, home, 1000)
	if !r.check("seed a 1,000-message chat", err) {
		return
	}
	a, err := r.launch(home, "desktop-big-chat.log")
	if !r.check("app launched on the big chat", err) {
		return
	}
	defer a.kill()
	if _, err := a.waitEvent(ctx, 0, "status live", 60*time.Second); !r.check("big chat: stream live", err) {
		return
	}
	a.command("open-session " + id)
	// Settle: the page loads and renders the messages; this is a
	// measurement, so give it a fixed, generous time.
	time.Sleep(6 * time.Second)
	rss, pss, n := treeMemory(a.cmd.Process.Pid)
	r.metrics["big_chat_rss_kb"] = rss
	r.metrics["big_chat_pss_kb"] = pss
	r.metrics["big_chat_processes"] = n
	fmt.Printf("     memory with a 1,000-message chat open: RSS %.0f MB, PSS %.0f MB (%d processes)\n", float64(rss)/1024, float64(pss)/1024, n)
	var err2 error
	if rss == 0 {
		err2 = errors.New("could not read process memory")
	}
	r.check("memory measured", err2)
	r.screenshot("desktop-big-chat.png")
	a.command("action file.quit")
	code, err := a.wait(30 * time.Second)
	if err == nil && code != 0 {
		err = fmt.Errorf("exit status %d", code)
	}
	r.check("big chat: quits with status 0", err)
}

// ---- the app process ------------------------------------------------------

type appProc struct {
	cmd     *exec.Cmd
	home    string
	started time.Time
	done    chan struct{}
	code    int
}

// launch starts the app on home; env adds to (and overrides) the environment.
func (r *runner) launch(home, logName string, extra ...string) (*appProc, error) {
	logf, err := os.Create(filepath.Join(r.artifacts, logName))
	if err != nil {
		return nil, err
	}
	argv := r.argv
	if argv == nil {
		argv = []string{r.bin}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	env := withoutVars(os.Environ(), "HOLDFAST_HOME")
	if r.userHome {
		// home is <HOME>/.config/holdfast: the app must find it itself.
		env = append(withoutVars(env, "HOME", "XDG_CONFIG_HOME"), "HOME="+filepath.Dir(filepath.Dir(home)))
	} else {
		env = append(env, "HOLDFAST_HOME="+home)
	}
	cmd.Env = append(env,
		"HOLDFAST_TEST_HOOKS=1",
		"HOLDFAST_DEMO_TPS="+strconv.FormatFloat(r.tps, 'f', -1, 64),
		"HOLDFAST_HEARTBEAT=2s",
	)
	cmd.Env = append(cmd.Env, extra...)
	cmd.Stdout, cmd.Stderr = logf, logf
	a := &appProc{cmd: cmd, home: home, done: make(chan struct{})}
	a.started = time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	go func() {
		cmd.Wait()
		a.code = cmd.ProcessState.ExitCode()
		logf.Close()
		close(a.done)
	}()
	return a, nil
}

func (a *appProc) hooks(name string) string { return filepath.Join(a.home, "test-hooks", name) }

func (a *appProc) command(cmd string) {
	os.MkdirAll(filepath.Dir(a.hooks("command")), 0o700)
	tmp := a.hooks("command.tmp")
	os.WriteFile(tmp, []byte(cmd+"\n"), 0o600)
	os.Rename(tmp, a.hooks("command"))
}

func (a *appProc) wait(d time.Duration) (int, error) {
	select {
	case <-a.done:
		return a.code, nil
	case <-time.After(d):
		return -1, fmt.Errorf("still running after %v", d)
	}
}

func (a *appProc) kill() {
	select {
	case <-a.done:
	default:
		a.cmd.Process.Kill()
		<-a.done
	}
}

type connInfo struct {
	BaseURL string `json:"baseUrl"`
	Token   string `json:"token"`
	PID     int    `json:"pid"`
	raw     string
}

func (c connInfo) port() int {
	i := strings.LastIndexByte(c.BaseURL, ':')
	p, _ := strconv.Atoi(c.BaseURL[i+1:])
	return p
}

var errSameConn = errors.New("conn.json unchanged")

// waitConn waits for conn.json to hold something other than prev.
func (a *appProc) waitConn(ctx context.Context, prev string, d time.Duration) (connInfo, error) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case <-a.done:
			return connInfo{}, fmt.Errorf("app exited with status %d", a.code)
		case <-ctx.Done():
			return connInfo{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		b, err := os.ReadFile(a.hooks("conn.json"))
		if err != nil || string(b) == prev {
			continue
		}
		var c connInfo
		if err := json.Unmarshal(b, &c); err != nil {
			continue
		}
		c.raw = string(b)
		return c, nil
	}
	if prev != "" {
		return connInfo{}, errSameConn
	}
	return connInfo{}, errors.New("no conn.json")
}

type hookEvent struct {
	at   time.Time
	text string
}

func (a *appProc) events() []hookEvent {
	f, err := os.Open(a.hooks("events.log"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []hookEvent
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		ms, text, ok := strings.Cut(sc.Text(), " ")
		n, err := strconv.ParseInt(ms, 10, 64)
		if !ok || err != nil {
			continue
		}
		out = append(out, hookEvent{time.UnixMilli(n), text})
	}
	return out
}

func (a *appProc) eventCount() int { return len(a.events()) }

// probe asks the page whether an element matches selector (test hook
// "probe"), again every half second until the answer is want (20 s at most).
func (a *appProc) probe(ctx context.Context, selector string, want bool) error {
	prefix := "probe " + selector + " "
	deadline := time.Now().Add(20 * time.Second)
	for {
		from := a.eventCount()
		a.command("probe " + selector)
		i, err := a.waitEventAfter(ctx, from, func(s string) bool { return strings.HasPrefix(s, prefix) }, 10*time.Second)
		if err != nil {
			return fmt.Errorf("the page did not answer the probe: %w", err)
		}
		got := strings.TrimPrefix(a.events()[i].text, prefix)
		if got == strconv.FormatBool(want) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: present=%s, want %v", selector, got, want)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// waitEvent waits for a line equal to text among the events from index
// from on, and returns its index.
func (a *appProc) waitEvent(ctx context.Context, from int, text string, d time.Duration) (int, error) {
	return a.waitEventAfter(ctx, from, func(s string) bool { return s == text }, d)
}

func (a *appProc) waitEventAfter(ctx context.Context, from int, match func(string) bool, d time.Duration) (int, error) {
	deadline := time.Now().Add(d)
	for {
		evs := a.events()
		for i := from; i < len(evs); i++ {
			if match(evs[i].text) {
				return i, nil
			}
		}
		if time.Now().After(deadline) {
			var seen []string
			for _, e := range evs {
				seen = append(seen, e.text)
			}
			return -1, fmt.Errorf("not seen within %v; events: %q", d, seen)
		}
		select {
		case <-a.done:
			return -1, fmt.Errorf("app exited with status %d", a.code)
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// webviewConnected checks, from the kernel's socket table, that a process
// of the app's tree other than the app itself (WebKit's network process)
// holds an established connection to the server's port.
func (a *appProc) webviewConnected(port int) error {
	tree := processTree(a.cmd.Process.Pid)
	deadline := time.Now().Add(10 * time.Second)
	for {
		for pid := range socketOwners(port) {
			if pid != a.cmd.Process.Pid && tree[pid] {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no web view process holds a connection to port %d", port)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ---- REST --------------------------------------------------------------

type client struct{ conn connInfo }

func (c client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.conn.BaseURL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.conn.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, b)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

func (c client) send(ctx context.Context, sessionID, content string) (store.Message, error) {
	var pair struct{ Assistant store.Message }
	err := c.do(ctx, "POST", "/api/sessions/"+sessionID+"/messages",
		map[string]string{"content": content, "client_id": fmt.Sprintf("smoke-%d", time.Now().UnixNano())}, &pair)
	return pair.Assistant, err
}

func (c client) message(ctx context.Context, sessionID, id string) (store.Message, error) {
	var page struct{ Messages []store.Message }
	if err := c.do(ctx, "GET", "/api/sessions/"+sessionID+"/messages", nil, &page); err != nil {
		return store.Message{}, err
	}
	for _, m := range page.Messages {
		if m.ID == id {
			return m, nil
		}
	}
	return store.Message{}, fmt.Errorf("message %s not found", id)
}

func (c client) waitContent(ctx context.Context, sessionID, id string, n int, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		m, err := c.message(ctx, sessionID, id)
		if err == nil && len(m.Content) >= n && m.Status == store.StatusStreaming {
			return nil
		}
		if err == nil && m.Status != store.StatusStreaming {
			return fmt.Errorf("answer ended (%s) before it could be watched streaming", m.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("fewer than %d bytes streamed in %v", n, d)
}

func (c client) waitDone(ctx context.Context, sessionID, id string, d time.Duration) (store.Message, error) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		m, err := c.message(ctx, sessionID, id)
		if err == nil && m.Status != store.StatusStreaming {
			return m, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return store.Message{}, fmt.Errorf("still streaming after %v", d)
}

// ---- database ------------------------------------------------------------

func noStreaming(ctx context.Context, home string) error {
	st, err := store.Open(ctx, backend.DatabasePath(home), store.Options{Readers: 1})
	if err != nil {
		return err
	}
	defer st.Close()
	left, err := st.StreamingMessages(ctx)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("%d messages still streaming", len(left))
	}
	return nil
}

// seedBigChat writes a chat of n messages (alternating questions and
// demo answers with Markdown and code) straight into a new database.
func seedBigChat(ctx context.Context, home string, n int) (string, error) {
	st, err := store.Open(ctx, backend.DatabasePath(home), store.Options{})
	if err != nil {
		return "", err
	}
	defer st.Close()
	var id string
	err = st.Write(ctx, func(tx *store.Tx) error {
		now := tx.Now().Add(-time.Duration(n) * time.Minute)
		id = tx.NewID("s")
		if err := tx.InsertSession(store.Session{ID: id, Title: "A thousand messages", Model: "demo/demo", CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		parent := ""
		for i := 0; i < n; i++ {
			m := store.Message{ID: tx.NewID("m"), SessionID: id, ParentID: store.Ref(parent), Status: store.StatusComplete,
				CreatedAt: now.Add(time.Duration(i) * time.Minute), UpdatedAt: now.Add(time.Duration(i) * time.Minute)}
			q := fmt.Sprintf("Question %d: how do holdfasts hold in a storm?", i/2+1)
			if i%2 == 0 {
				m.Role, m.Content, m.ClientID = store.RoleUser, q, fmt.Sprintf("seed-%d", i)
			} else {
				m.Role, m.Content, m.Model = store.RoleAssistant, llm.DemoAnswer(q), "demo/demo"
			}
			if _, err := tx.InsertMessage(m); err != nil {
				return err
			}
			parent = m.ID
		}
		return tx.SetPath(id, parent)
	})
	return id, err
}

// ---- screenshots ---------------------------------------------------------

func (r *runner) screenshot(name string) (string, error) {
	path := filepath.Join(r.artifacts, name)
	out, err := exec.Command("import", "-window", "root", path).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("import: %v: %s", err, out)
	}
	return path, nil
}

// notBlank checks the screenshot has real content: many colours, not one
// flat fill (a crashed web view paints a single colour).
func notBlank(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return err
	}
	colours := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	if len(colours) < 32 {
		return fmt.Errorf("only %d colours: the window looks empty", len(colours))
	}
	return nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// withoutVars drops the named variables from an environment list.
func withoutVars(env []string, names ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || name == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// execLine reads the Exec key of a .desktop file's [Desktop Entry] group
// and returns the command a launcher runs: quoted arguments unquoted,
// field codes (%f, %U, …) dropped since no file is being opened, "%%"
// kept as "%".
func execLine(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	group, line := "", ""
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[") {
			group = l
			continue
		}
		if group == "[Desktop Entry]" && strings.HasPrefix(l, "Exec=") {
			line = strings.TrimPrefix(l, "Exec=")
			break
		}
	}
	if line == "" {
		return nil, fmt.Errorf("%s: no Exec line in [Desktop Entry]", path)
	}
	var argv []string
	var cur strings.Builder
	inQuote, have := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			inQuote, have = !inQuote, true
		case c == '\\' && inQuote && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == ' ' && !inQuote:
			if have {
				argv = append(argv, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("%s: unterminated quote in Exec=%s", path, line)
	}
	if have {
		argv = append(argv, cur.String())
	}
	var out []string
	for _, a := range argv {
		switch {
		case a == "%%":
			out = append(out, "%")
		case len(a) == 2 && a[0] == '%':
			// a field code standing alone: nothing to pass
		default:
			out = append(out, strings.ReplaceAll(a, "%%", "%"))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: empty Exec line", path)
	}
	return out, nil
}

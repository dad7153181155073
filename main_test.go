package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/sse"
	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
)

const testToken = "process-test-token-0123456789"

// buildBinary compiles holdfast once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "holdfast")
	// The same build tags as `make build`: without sqlite_fts5 the binary
	// refuses to start.
	cmd := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type proc struct {
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
	exited chan error
}

// serve starts `holdfast serve` and waits for the URL it prints.
func serve(t *testing.T, bin, home, addr string, tps int) *proc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", addr)
	cmd.Env = append(os.Environ(), "HOLDFAST_HOME="+home, "HOLDFAST_TOKEN="+testToken,
		fmt.Sprintf("HOLDFAST_DEMO_TPS=%d", tps), "HOLDFAST_HEARTBEAT=1s")
	stdout, _ := cmd.StdoutPipe()
	p := &proc{cmd: cmd, stderr: &bytes.Buffer{}, exited: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
	})
	lines := bufio.NewScanner(stdout)
	found := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if _, after, ok := strings.Cut(lines.Text(), " is serving "); ok {
				found <- after
			}
		}
	}()
	select {
	case url := <-found:
		p.base, _, _ = strings.Cut(url, "/#token=")
		if !strings.HasSuffix(url, "#token="+testToken) {
			t.Fatalf("printed URL %q does not carry the token", url)
		}
	case err := <-p.exited:
		t.Fatalf("serve exited early: %v\n%s", err, p.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("serve printed no URL\n%s", p.stderr)
	}
	return p
}

func (p *proc) api(t *testing.T, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, p.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	}
}

// events opens the stream from lastID; it closes when the test ends.
func (p *proc) events(t *testing.T, lastID string) *ssetest.Stream {
	t.Helper()
	return ssetest.Open(t, p.base, testToken, ssetest.Options{LastEventID: lastID})
}

// eventTimeout bounds the wait for any one event from a child process.
const eventTimeout = 30 * time.Second

type delta struct {
	MessageID string `json:"message_id"`
	Index     int    `json:"index"`
	Text      string `json:"text"`
}

// client follows a stream the way the front end does: it remembers the
// last id it rendered and checks every id follows the one before.
type client struct {
	t       *testing.T
	lastID  string
	lastSeq int64
	text    strings.Builder
	nextIdx int
	msgID   string
	final   string
	seen    map[int64]string // seq -> data, to compare with a replay
}

// read consumes events until stop says so or the stream ends.
func (c *client) read(s *ssetest.Stream, stop func(ev sse.Event) bool) error {
	for {
		ev, err := s.Next(eventTimeout)
		if err != nil {
			return err
		}
		if !ev.HasID || ev.Event == "hello" || ev.Event == "heartbeat" || ev.Event == "shutdown" {
			continue
		}
		if ev.Event == "reset" {
			return errors.New("unexpected reset: " + ev.Data)
		}
		_, seq, err := eventlog.ParseID(ev.ID)
		if err != nil {
			c.t.Fatal(err)
		}
		if seq != c.lastSeq+1 {
			c.t.Fatalf("event %s after seq %d: a gap or a duplicate", ev.ID, c.lastSeq)
		}
		c.lastSeq, c.lastID = seq, ev.ID
		c.seen[seq] = ev.Data
		if ev.Event == "message.delta" {
			var d delta
			json.Unmarshal([]byte(ev.Data), &d)
			if d.MessageID == c.msgID {
				if d.Index != c.nextIdx {
					c.t.Fatalf("delta index %d; want %d", d.Index, c.nextIdx)
				}
				c.nextIdx++
				c.text.WriteString(d.Text)
			}
		}
		if ev.Event == "message.completed" && strings.Contains(ev.Data, c.msgID) {
			var m struct{ Content string }
			json.Unmarshal([]byte(ev.Data), &m)
			c.final = m.Content
		}
		if stop(ev) {
			return nil
		}
	}
}

const prompt = "Explain how Holdfast keeps answers safe"

// answer runs the prompt to completion on a fresh server: the reference.
func answer(t *testing.T, bin string) string {
	p := serve(t, bin, t.TempDir(), "127.0.0.1:0", 5000)
	var sess struct{ ID string }
	p.api(t, "POST", "/api/sessions", `{}`, &sess)
	var sent struct{ Assistant struct{ ID string } }
	p.api(t, "POST", "/api/sessions/"+sess.ID+"/messages", `{"content":"`+prompt+`"}`, &sent)
	var content string
	ssetest.Eventually(t, "the reference answer to complete", 30*time.Second, func() bool {
		var page struct {
			Messages []struct{ Status, Content string }
		}
		p.api(t, "GET", "/api/sessions/"+sess.ID+"/messages", "", &page)
		content = page.Messages[1].Content
		return page.Messages[1].Status == "complete"
	})
	return content
}

func TestKillMidStreamAndResume(t *testing.T) {
	bin := buildBinary(t)
	want := answer(t, bin)

	home, addr := t.TempDir(), freePort(t)
	p := serve(t, bin, home, addr, 80)
	var health struct{ Epoch string }
	p.api(t, "GET", "/api/health", "", &health)
	var sess struct{ ID string }
	p.api(t, "POST", "/api/sessions", `{}`, &sess)

	c := &client{t: t, lastID: health.Epoch + ":0", seen: map[int64]string{}}
	r := p.events(t, c.lastID)
	var sent struct{ User, Assistant struct{ ID string } }
	p.api(t, "POST", "/api/sessions/"+sess.ID+"/messages", `{"content":"`+prompt+`","client_id":"k1"}`, &sent)
	c.msgID = sent.Assistant.ID
	if err := c.read(r, func(sse.Event) bool { return c.nextIdx >= 12 }); err != nil {
		t.Fatal(err)
	}
	// The user edits the question meanwhile: the chat shows the new
	// version, and the first answer streams on, on a branch not shown.
	var edited struct{ Assistant struct{ ID string } }
	p.api(t, "POST", "/api/messages/"+sent.User.ID+"/edit", `{"content":"/echo another version","client_id":"k2"}`, &edited)
	// Kill -9 mid-answer: no shutdown event, no chance to settle anything.
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	err := c.read(r, func(sse.Event) bool { return false })
	r.Close()
	if err == nil {
		t.Fatal("stream survived SIGKILL")
	}
	shownBeforeKill := c.text.String()
	if shownBeforeKill == "" || len(shownBeforeKill) >= len(want) {
		t.Fatalf("killed at %d of %d chars; the test needs a mid-answer kill", len(shownBeforeKill), len(want))
	}

	// Start again on the same folder and resume from the last id seen.
	p2 := serve(t, bin, home, addr, 400)
	r2 := p2.events(t, c.lastID)
	if err := c.read(r2, func(ev sse.Event) bool {
		return ev.Event == "message.completed" && strings.Contains(ev.Data, c.msgID)
	}); err != nil {
		t.Fatalf("after restart: %v\n%s", err, p2.stderr)
	}
	if c.text.String() != want || c.final != want {
		t.Fatalf("answer after kill + resume differs from an uninterrupted run:\n got %q\nwant %q", c.text.String(), want)
	}
	// Recovery kept the chat on the version the user chose; switching back
	// shows the recovered answer, and search finds it.
	var shown struct {
		LeafID   string `json:"leaf_id"`
		Messages []struct{ ID, Content string }
	}
	p2.api(t, "GET", "/api/sessions/"+sess.ID+"/messages", "", &shown)
	if shown.LeafID != edited.Assistant.ID {
		t.Fatalf("after recovery the chat shows %s; want the edited version's answer %s", shown.LeafID, edited.Assistant.ID)
	}
	var sw struct {
		Page struct {
			Messages []struct{ ID, Content string }
		}
	}
	p2.api(t, "POST", "/api/sessions/"+sess.ID+"/switch", `{"message_id":"`+sent.User.ID+`"}`, &sw)
	if n := len(sw.Page.Messages); n != 2 || sw.Page.Messages[1].ID != c.msgID || sw.Page.Messages[1].Content != want {
		t.Fatalf("switching back shows %+v", sw.Page.Messages)
	}
	var found struct {
		Groups []struct {
			Hits []struct {
				MessageID string `json:"message_id"`
			}
		}
	}
	p2.api(t, "GET", "/api/search?q="+url.QueryEscape(want[len(want)-40:]), "", &found)
	if len(found.Groups) != 1 || len(found.Groups[0].Hits) != 1 || found.Groups[0].Hits[0].MessageID != c.msgID {
		t.Fatalf("search for the recovered answer's end: %+v", found)
	}

	// Nothing the client was shown before the kill was lost: a full replay
	// on the new process has the same events under the same ids.
	replay := &client{t: t, seen: map[int64]string{}, msgID: c.msgID}
	r3 := p2.events(t, health.Epoch+":0")
	if err := replay.read(r3, func(sse.Event) bool { return replay.lastSeq >= c.lastSeq }); err != nil {
		t.Fatal(err)
	}
	r3.Close()
	for seq, data := range c.seen {
		if replay.seen[seq] != data {
			t.Fatalf("seq %d differs in the replay", seq)
		}
	}

	// A graceful stop exits 0; then delete the database: an old id resets.
	p2.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p2.exited; err != nil {
		t.Fatalf("SIGTERM exit: %v\n%s", err, p2.stderr)
	}
	for _, f := range []string{"holdfast.db", "holdfast.db-wal", "holdfast.db-shm"} {
		os.Remove(filepath.Join(home, f))
	}
	p3 := serve(t, bin, home, addr, 400)
	r4 := p3.events(t, c.lastID)
	for {
		ev, err := r4.Next(eventTimeout)
		if err != nil {
			t.Fatalf("no reset for an id from a deleted database: %v", err)
		}
		if ev.Event == "reset" {
			if !strings.Contains(ev.Data, eventlog.ReasonEpochMismatch) {
				t.Fatalf("reset %s; want %s", ev.Data, eventlog.ReasonEpochMismatch)
			}
			break
		}
		if ev.Event != "hello" && ev.Event != "" {
			t.Fatalf("got %q before reset: a silent partial replay", ev.Event)
		}
	}
}

func TestServeRefusesBadDatabase(t *testing.T) {
	bin := buildBinary(t)
	cases := []struct {
		name    string
		prepare func(path string)
		want    string
	}{
		{"corrupt", func(path string) { os.WriteFile(path, bytes.Repeat([]byte("garbage!"), 512), 0o600) }, "not a SQLite database"},
		{"read-only", func(path string) {
			os.WriteFile(path, nil, 0o600)
			os.Chmod(path, 0o400)
		}, "read-only"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			path := filepath.Join(home, "holdfast.db")
			tc.prepare(path)
			before, _ := os.ReadFile(path)
			cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
			cmd.Env = append(os.Environ(), "HOLDFAST_HOME="+home)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v; want status 1\n%s", err, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Fatalf("output %q does not say %q", out, tc.want)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Fatal("the database file was modified")
			}
		})
	}
}

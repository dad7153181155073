package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/sse"
	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
	"github.com/holdfast-chat/holdfast/internal/store"
	"github.com/holdfast-chat/holdfast/internal/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.Main() // the lock-holding second process, when re-executed as one
	os.Exit(m.Run())
}

const faultToken = "storage-fault-test-token-0123"

// logBuffer keeps what the backend logs, for the test to wait on.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.b.String(), s)
}

// faultEnv is a running backend on a real database, reached over HTTP.
type faultEnv struct {
	t    *testing.T
	b    *Backend
	base string
	logs *logBuffer

	closed bool
}

// close shuts the backend down as the app does, bounded by d, and
// returns Close's error.
func (e *faultEnv) close(d time.Duration) error {
	e.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return e.b.Close(ctx)
}

func openFaultEnv(t *testing.T, home string, tps float64, so StorageOptions) *faultEnv {
	t.Helper()
	logs := &logBuffer{}
	b, err := Open(context.Background(), Options{
		Home: home, Token: faultToken, DemoTPS: tps, Heartbeat: 200 * time.Millisecond, Version: "test",
		Discover: []llm.Candidate{}, Storage: so,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := &faultEnv{t: t, b: b, base: b.BaseURL(), logs: logs}
	t.Cleanup(func() {
		if !e.closed {
			e.close(20 * time.Second)
		}
		if t.Failed() {
			t.Logf("backend log:\n%s", logs.b.String())
		}
	})
	return e
}

// do sends a request and returns the status and body.
func (e *faultEnv) do(method, path, body string) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+faultToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (e *faultEnv) json(method, path, body string, want int, out any) {
	e.t.Helper()
	status, b := e.do(method, path, body)
	if status != want {
		e.t.Fatalf("%s %s: %d %s; want %d", method, path, status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

type faultMessage struct {
	ID      string `json:"id"`
	Content string `json:"content"`
	Status  string `json:"status"`
	Error   string `json:"error"`
}

// send starts an answer in a new chat and returns its assistant message.
func (e *faultEnv) send(content string) faultMessage {
	e.t.Helper()
	var sess struct{ ID string }
	e.json("POST", "/api/sessions", `{}`, 201, &sess)
	body, _ := json.Marshal(map[string]string{"content": content, "client_id": "c-" + sess.ID})
	var sent struct{ Assistant faultMessage }
	e.json("POST", "/api/sessions/"+sess.ID+"/messages", string(body), 201, &sent)
	return sent.Assistant
}

func (e *faultEnv) message(id string) faultMessage {
	e.t.Helper()
	m, err := e.b.store.GetMessage(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return faultMessage{ID: m.ID, Content: m.Content, Status: string(m.Status), Error: m.Error}
}

func (e *faultEnv) storageState() string {
	e.t.Helper()
	var h struct {
		Storage struct{ State, Message string }
	}
	e.json("GET", "/api/health", "", 200, &h)
	return h.Storage.State
}

// orphans lists messages left streaming without a job generating them:
// the state a storage fault must never leave behind.
func (e *faultEnv) orphans() []string {
	e.t.Helper()
	msgs, err := e.b.store.StreamingMessages(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if e.b.chat.Running(m.ID) {
			continue
		}
		// Its job may have ended between the two reads: look again.
		if now, err := e.b.store.GetMessage(context.Background(), m.ID); err == nil && now.Status == store.StatusStreaming {
			out = append(out, m.ID)
		}
	}
	return out
}

// shown is what a subscriber received: each answer's deltas in order,
// and the storage states the stream announced.
type shown struct {
	t        *testing.T
	s        *ssetest.Stream
	text     map[string]*strings.Builder
	next     map[string]int
	ended    map[string]string // message id -> final event
	final    map[string]faultMessage
	storage  []string
	lastData time.Time // when the last message.delta arrived
}

func watch(t *testing.T, e *faultEnv) *shown {
	s := ssetest.Open(t, e.base, faultToken, ssetest.Options{})
	w := &shown{t: t, s: s, text: map[string]*strings.Builder{}, next: map[string]int{}, ended: map[string]string{}, final: map[string]faultMessage{}}
	w.until("hello", func(ev sse.Event) bool { return ev.Event == "hello" })
	return w
}

// read takes one event into account; it fails the test on a gap or a
// repeat in a message's deltas.
func (w *shown) read(ev sse.Event) {
	w.t.Helper()
	switch {
	case ev.Event == "storage":
		var d struct{ State, Message string }
		json.Unmarshal([]byte(ev.Data), &d)
		if ev.HasID || d.State == "" || (d.State != "ok" && d.Message == "") {
			w.t.Fatalf("storage event %+v: want a state, words for it, and no id", ev)
		}
		w.storage = append(w.storage, d.State)
	case ev.Event == "message.delta":
		var d struct {
			MessageID string `json:"message_id"`
			Index     int
			Text      string
		}
		json.Unmarshal([]byte(ev.Data), &d)
		if d.Index != w.next[d.MessageID] {
			w.t.Fatalf("delta %d of %s after %d: a gap or a repeat", d.Index, d.MessageID, w.next[d.MessageID]-1)
		}
		w.next[d.MessageID]++
		if w.text[d.MessageID] == nil {
			w.text[d.MessageID] = &strings.Builder{}
		}
		w.text[d.MessageID].WriteString(d.Text)
		w.lastData = time.Now()
	case strings.HasPrefix(ev.Event, "message.") && ev.Event != "message.created" && ev.Event != "message.continued":
		var m faultMessage
		json.Unmarshal([]byte(ev.Data), &m)
		w.ended[m.ID] = ev.Event
		w.final[m.ID] = m
	case ev.Event == "message.continued":
		var m faultMessage
		json.Unmarshal([]byte(ev.Data), &m)
		delete(w.ended, m.ID)
	}
}

// until reads until pred holds, giving each event 30 s (the machine may
// be loaded; heartbeats come every 200 ms).
func (w *shown) until(what string, pred func(sse.Event) bool) {
	w.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		ev, err := w.s.Next(30 * time.Second)
		if err != nil {
			w.t.Fatalf("stream ended waiting for %s: %v", what, err)
		}
		w.read(ev)
		if pred(ev) {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("no %s within 90s", what)
		}
	}
}

// during reads for d, calling check after each event.
func (w *shown) during(d time.Duration, check func()) {
	w.t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		ev, err := w.s.Next(30 * time.Second)
		if err != nil {
			w.t.Fatalf("stream ended: %v", err)
		}
		w.read(ev)
		check()
	}
}

func (w *shown) got(id string) string {
	if b := w.text[id]; b != nil {
		return b.String()
	}
	return ""
}

func (w *shown) lastStorage() string {
	if len(w.storage) == 0 {
		return "ok"
	}
	return w.storage[len(w.storage)-1]
}

func isEvent(name, id string) func(sse.Event) bool {
	return func(ev sse.Event) bool { return ev.Event == name && strings.Contains(ev.Data, id) }
}

func isStorage(state string) func(sse.Event) bool {
	return func(ev sse.Event) bool {
		return ev.Event == "storage" && strings.Contains(ev.Data, `"state":"`+state+`"`)
	}
}

// echo is a prompt whose demo answer is known and takes a while.
func echo(words int) string {
	var b strings.Builder
	b.WriteString(llm.EchoPrefix)
	for i := range words {
		fmt.Fprintf(&b, "word%d ", i)
	}
	return b.String()
}

// Another program holds the write lock for three times the busy timeout
// while an answer streams: the answer waits (its chunks held in memory,
// nothing shown meanwhile), the stream and /api/health name the cause,
// a REST write answers 503 storage_busy, and once the lock goes the
// answer completes with exactly the text that was shown.
func TestWriteLockHeldPastBusyTimeout(t *testing.T) {
	const busy = time.Second
	home := t.TempDir()
	e := openFaultEnv(t, home, 100, StorageOptions{BusyTimeout: busy, ProbeEvery: 200 * time.Millisecond})
	w := watch(t, e)
	lock := storetest.StartLocker(t, DatabasePath(home))
	prompt := echo(300)
	m := e.send(prompt)
	w.until("the first delta", isEvent("message.delta", m.ID))

	lock.Lock()
	if got := e.message(m.ID); got.Status != "streaming" {
		t.Fatalf("the answer was %s before the lock was taken; want it mid-stream", got.Status)
	}
	w.until("storage busy on the stream", isStorage("busy"))
	faultSeen := time.Now()
	if got := e.storageState(); got != "busy" {
		t.Fatalf("health storage %q while locked; want busy", got)
	}
	status, body := e.do("POST", "/api/sessions", `{}`)
	var apiErr struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(body, &apiErr); status != 503 || apiErr.Error.Code != "storage_busy" || !strings.Contains(apiErr.Error.Message, "Another program") {
		t.Fatalf("POST /api/sessions while locked: %d %s; want 503 storage_busy", status, body)
	}
	// Hold on to at least 3× the busy timeout. Nothing new is shown:
	// deltas committed before the lock may still be on their way, but
	// none arrives a second after the fault was announced.
	lateDeltas := 0
	w.during(time.Until(lock.At.Add(3*busy)), func() {
		if !w.lastData.IsZero() && w.lastData.After(faultSeen.Add(time.Second)) {
			lateDeltas++
		}
		if o := e.orphans(); len(o) > 0 {
			t.Fatalf("messages streaming without a job: %v", o)
		}
	})
	if lateDeltas > 0 {
		t.Fatalf("%d deltas arrived while the database was locked", lateDeltas)
	}
	// What was shown so far is what is committed so far.
	if got := e.message(m.ID); got.Status != "streaming" || got.Content != w.got(m.ID) {
		t.Fatalf("while locked: %s %q; shown %q", got.Status, got.Content, w.got(m.ID))
	}
	lock.Release()

	w.until("the answer to complete", isEvent("message.completed", m.ID))
	want := llm.DemoAnswer(prompt)
	if got := e.message(m.ID); got.Status != "complete" || got.Content != want || w.got(m.ID) != want || w.final[m.ID].Content != want {
		t.Fatalf("after the lock: %s, committed %d bytes, shown %d, completed with %d; want all %d",
			got.Status, len(got.Content), len(w.got(m.ID)), len(w.final[m.ID].Content), len(want))
	}
	if w.lastStorage() != "ok" {
		w.until("storage ok", isStorage("ok"))
	}
	if got := e.storageState(); got != "ok" {
		t.Fatalf("health storage %q after the lock went; want ok", got)
	}
	if o := e.orphans(); len(o) > 0 {
		t.Fatalf("messages streaming without a job: %v", o)
	}
	// Writes work again.
	e.json("POST", "/api/sessions", `{}`, 201, nil)
}

// Another program holds the lock for longer than the whole storage wait:
// the answer ends failed with every committed chunk kept; the end itself
// cannot be written either, so the job stays registered (the message is
// never streaming without it) and writes it once the lock goes. Then
// Continue finishes the answer.
func TestWriteLockHeldForTheWholeWait(t *testing.T) {
	const wait = 2 * time.Second
	home := t.TempDir()
	e := openFaultEnv(t, home, 100, StorageOptions{BusyTimeout: 500 * time.Millisecond, Wait: wait, ProbeEvery: 200 * time.Millisecond})
	w := watch(t, e)
	lock := storetest.StartLocker(t, DatabasePath(home))
	prompt := echo(300)
	m := e.send(prompt)
	w.until("the first delta", isEvent("message.delta", m.ID))

	lock.Lock()
	if got := e.message(m.ID); got.Status != "streaming" {
		t.Fatalf("the answer was %s before the lock was taken; want it mid-stream", got.Status)
	}
	w.until("storage busy on the stream", isStorage("busy"))
	// Past the wait the generation gives up on its chunks ...
	err := ssetest.WaitFor(60*time.Second, func() error {
		if !e.logs.has("storage fault outlasted the wait") {
			return fmt.Errorf("the generation did not give up within 60s of a %v wait", wait)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// ... but cannot record that either: it keeps trying, registered.
	w.during(2*time.Second, func() {
		if !e.b.chat.Running(m.ID) {
			t.Fatal("the job ended while its end could not be written")
		}
		if o := e.orphans(); len(o) > 0 {
			t.Fatalf("messages streaming without a job: %v", o)
		}
	})
	if got := e.message(m.ID); got.Status != "streaming" {
		t.Fatalf("status %q while the lock is still held; want streaming (nothing can be written)", got.Status)
	}
	lock.Release()

	w.until("the answer to fail", isEvent("message.failed", m.ID))
	got := e.message(m.ID)
	if got.Status != "failed" || !strings.Contains(got.Error, "Another program is holding the database") || !strings.Contains(got.Error, "Continue") {
		t.Fatalf("after the wait: %s %q; want failed, saying why and what to do", got.Status, got.Error)
	}
	if got.Content == "" || got.Content != w.got(m.ID) || w.final[m.ID].Content != got.Content {
		t.Fatalf("kept %q; shown %q; failed event %q: want the same, non-empty", got.Content, w.got(m.ID), w.final[m.ID].Content)
	}
	ssetest.Eventually(t, "the job to end", 30*time.Second, func() bool { return !e.b.chat.Running(m.ID) })

	// Continue works afterwards and finishes the answer where it stopped.
	var cont faultMessage
	e.json("POST", "/api/messages/"+m.ID+"/continue", "", 200, &cont)
	w.until("the continued answer to complete", isEvent("message.completed", m.ID))
	want := llm.DemoAnswer(prompt)
	if got := e.message(m.ID); got.Status != "complete" || got.Content != want || w.got(m.ID) != want {
		t.Fatalf("continued: %s, %d bytes committed, %d shown; want %d", got.Status, len(got.Content), len(w.got(m.ID)), len(want))
	}
	if o := e.orphans(); len(o) > 0 {
		t.Fatalf("messages streaming without a job: %v", o)
	}
}

// The app shuts down while another program holds the lock and an
// answer waits to be saved: shutdown is not held up by the fault (well
// within a wait it does not sit out), the answer keeps what was
// committed, and once the lock is gone the next start settles it as
// after a crash: the demo continues it to the full answer.
func TestShutdownDuringAStorageFault(t *testing.T) {
	home := t.TempDir()
	so := StorageOptions{BusyTimeout: 500 * time.Millisecond, Wait: 5 * time.Minute, ProbeEvery: 200 * time.Millisecond}
	e := openFaultEnv(t, home, 100, so)
	w := watch(t, e)
	lock := storetest.StartLocker(t, DatabasePath(home))
	prompt := echo(300)
	m := e.send(prompt)
	w.until("the first delta", isEvent("message.delta", m.ID))
	lock.Lock()
	w.until("storage busy on the stream", isStorage("busy"))
	if !e.b.chat.Running(m.ID) {
		t.Fatal("the answer ended before the fault; want it waiting")
	}
	// Twenty seconds against a five-minute wait: Close must not sit the
	// fault out (an error here is Close's own context expiring).
	if err := e.close(20 * time.Second); err != nil {
		t.Fatalf("shutdown during a storage fault: %v", err)
	}
	lock.Release()

	e2 := openFaultEnv(t, home, 100, so)
	var got faultMessage
	ssetest.Eventually(t, "the next start to settle the answer", 60*time.Second, func() bool {
		got = e2.message(m.ID)
		return got.Status != "streaming"
	})
	want := llm.DemoAnswer(prompt)
	if got.Status != "complete" || got.Content != want {
		t.Fatalf("after the restart: %s with %d bytes; want complete with %d", got.Status, len(got.Content), len(want))
	}
	if o := e2.orphans(); len(o) > 0 {
		t.Fatalf("messages streaming without a job: %v", o)
	}
}

// The data folder sits on a small real disk (a tmpfs) that fills up
// while answers stream: they wait with their chunks in memory, the stream
// and /api/health say the disk is full, a REST write answers 507
// storage_full; once space is freed everything completes with exactly the
// text that was shown, and the WAL is checkpointed back to nothing.
func TestDiskFullWhileStreaming(t *testing.T) {
	home := storetest.SmallDisk(t, 8<<20)
	e := openFaultEnv(t, home, 400, StorageOptions{ProbeEvery: 200 * time.Millisecond})
	w := watch(t, e)
	prompts := []string{echo(1500), echo(1200), echo(900)}
	var msgs []faultMessage
	for _, p := range prompts {
		msgs = append(msgs, e.send(p))
	}
	w.until("the first delta", func(ev sse.Event) bool { return ev.Event == "message.delta" })

	free := storetest.Fill(t, home, 0)
	if got := e.message(msgs[0].ID); got.Status != "streaming" {
		t.Fatalf("the longest answer was %s before the disk filled; want it mid-stream", got.Status)
	}
	w.until("storage full on the stream", isStorage("full"))
	if got := e.storageState(); got != "full" {
		t.Fatalf("health storage %q on a full disk; want full", got)
	}
	// Writes past what the WAL may still have are refused with words a
	// person understands (a few may still fit in space SQLite holds).
	var sess struct{ ID string }
	e.json("GET", "/api/sessions", "", 200, nil)
	var status int
	var body []byte
	for range 10 {
		status, body = e.do("POST", "/api/sessions", `{"system_prompt":"`+strings.Repeat("x", 250<<10)+`"}`)
		if status != 201 {
			break
		}
	}
	var apiErr struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(body, &apiErr); status != 507 || apiErr.Error.Code != "storage_full" || !strings.Contains(apiErr.Error.Message, "The disk is full") {
		t.Fatalf("POST /api/sessions on a full disk: %d %.300s; want 507 storage_full", status, body)
	}
	// The answers wait, and nothing is left streaming without its job.
	w.during(2*time.Second, func() {
		if o := e.orphans(); len(o) > 0 {
			t.Fatalf("messages streaming without a job: %v", o)
		}
	})
	for _, m := range msgs {
		if got := e.message(m.ID); got.Content != w.got(m.ID) && got.Status == "streaming" {
			// In flight is fine; committed and never shown is not.
			ssetest.Eventually(t, "what was committed to be shown", 10*time.Second, func() bool {
				w.during(300*time.Millisecond, func() {})
				return e.message(m.ID).Content == w.got(m.ID)
			})
		}
	}
	free()

	for i, m := range msgs {
		if w.ended[m.ID] == "" {
			w.until("answer to complete", func(ev sse.Event) bool { return w.ended[m.ID] != "" })
		}
		want := llm.DemoAnswer(prompts[i])
		got := e.message(m.ID)
		if w.ended[m.ID] != "message.completed" || got.Status != "complete" || got.Content != want || w.got(m.ID) != want {
			t.Fatalf("answer %d: %s/%s, %d bytes committed, %d shown; want complete with %d", i, w.ended[m.ID], got.Status, len(got.Content), len(w.got(m.ID)), len(want))
		}
	}
	if w.lastStorage() != "ok" {
		w.until("storage ok", isStorage("ok"))
	}
	if o := e.orphans(); len(o) > 0 {
		t.Fatalf("messages streaming without a job: %v", o)
	}
	// The fault's end truncated the WAL, giving its space back.
	ssetest.Eventually(t, "the WAL to be checkpointed", 30*time.Second, func() bool {
		return e.logs.has("storage fault cleared") && e.logs.has("WAL checkpointed and truncated")
	})
	e.json("POST", "/api/sessions", `{}`, 201, &sess)
	t.Logf("free after the fault: %d KiB; storage states shown: %v", storetest.Free(t, home)>>10, w.storage)
}

// The disk stays full for longer than the storage wait: the answer ends
// failed with what was committed and saying what to do; while even that
// cannot be written its job stays registered, and once space is freed
// the end lands and Continue finishes the answer.
func TestDiskFullOutlastsTheWait(t *testing.T) {
	const wait = 2 * time.Second
	home := storetest.SmallDisk(t, 8<<20)
	e := openFaultEnv(t, home, 200, StorageOptions{Wait: wait, ProbeEvery: 200 * time.Millisecond})
	w := watch(t, e)
	prompt := echo(800)
	m := e.send(prompt)
	w.until("the first delta", isEvent("message.delta", m.ID))

	free := storetest.Fill(t, home, 0)
	if got := e.message(m.ID); got.Status != "streaming" {
		t.Fatalf("the answer was %s before the disk filled; want it mid-stream", got.Status)
	}
	w.until("storage full on the stream", isStorage("full"))
	err := ssetest.WaitFor(60*time.Second, func() error {
		if !e.logs.has("storage fault outlasted the wait") {
			return fmt.Errorf("the generation did not give up within 60s of a %v wait", wait)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.during(time.Second, func() {
		if o := e.orphans(); len(o) > 0 {
			t.Fatalf("messages streaming without a job: %v", o)
		}
	})
	free()

	w.until("the answer to end", func(sse.Event) bool { return w.ended[m.ID] != "" })
	got := e.message(m.ID)
	if w.ended[m.ID] != "message.failed" || got.Status != "failed" || !strings.Contains(got.Error, "The disk is full") {
		t.Fatalf("after the wait: %s/%s %q; want failed, saying the disk is full", w.ended[m.ID], got.Status, got.Error)
	}
	if got.Content == "" || got.Content != w.got(m.ID) || w.final[m.ID].Content != got.Content {
		t.Fatalf("kept %d bytes; shown %d; failed event %d: want the same, non-empty", len(got.Content), len(w.got(m.ID)), len(w.final[m.ID].Content))
	}
	ssetest.Eventually(t, "the job to end", 30*time.Second, func() bool { return !e.b.chat.Running(m.ID) })

	e.json("POST", "/api/messages/"+m.ID+"/continue", "", 200, nil)
	w.until("the continued answer to complete", isEvent("message.completed", m.ID))
	want := llm.DemoAnswer(prompt)
	if got := e.message(m.ID); got.Status != "complete" || got.Content != want || w.got(m.ID) != want {
		t.Fatalf("continued: %s, %d bytes committed, %d shown; want %d", got.Status, len(got.Content), len(w.got(m.ID)), len(want))
	}
	if o := e.orphans(); len(o) > 0 {
		t.Fatalf("messages streaming without a job: %v", o)
	}
}

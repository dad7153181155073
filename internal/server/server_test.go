package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/holdfast-chat/holdfast/internal/backend"
	"github.com/holdfast-chat/holdfast/internal/bench"
	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/sse"
	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
)

const token = "test-token-0123456789"

type harness struct {
	t    *testing.T
	b    *backend.Backend
	base string
}

func start(t *testing.T, heartbeat time.Duration, tps float64) *harness {
	t.Helper()
	b, err := backend.Open(context.Background(), backend.Options{
		Home: t.TempDir(), Token: token, Heartbeat: heartbeat, DemoTPS: tps, Version: "test",
		Static: fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>ui</title>")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, b: b, base: b.BaseURL()}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.Close(ctx)
	})
	return h
}

// do sends a request with the token unless headers say otherwise.
func (h *harness) do(method, path, body string, headers ...string) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.base+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (h *harness) jsonDo(method, path, body string, want int, out any) http.Header {
	h.t.Helper()
	resp, b := h.do(method, path, body)
	if resp.StatusCode != want {
		h.t.Fatalf("%s %s: %d %s; want %d", method, path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			h.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.Header
}

type session struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}
type message struct {
	ID      string `json:"id"`
	Content string `json:"content"`
	Status  string `json:"status"`
}
type sent struct {
	User      message `json:"user"`
	Assistant message `json:"assistant"`
}

func (h *harness) newSession() session {
	var s session
	h.jsonDo("POST", "/api/sessions", `{}`, 201, &s)
	return s
}

func (h *harness) send(sid, content, clientID string) sent {
	var out sent
	body, _ := json.Marshal(map[string]string{"content": content, "client_id": clientID})
	h.jsonDo("POST", "/api/sessions/"+sid+"/messages", string(body), 201, &out)
	return out
}

type sseEvent = sse.Event

// stream opens the event stream with the token; it closes when the test ends.
func (h *harness) stream(o ssetest.Options) *ssetest.Stream {
	h.t.Helper()
	return ssetest.Open(h.t, h.base, token, o)
}

// until reads until pred, giving each event 10 s.
func until(s *ssetest.Stream, pred func(sseEvent) bool) []sseEvent {
	return s.Until(10*time.Second, pred)
}

func TestSSEFraming(t *testing.T) {
	h := start(t, 150*time.Millisecond, 5000)
	sess := h.newSession()
	var health struct{ Epoch string }
	h.jsonDo("GET", "/api/health", "", 200, &health)
	s := h.stream(ssetest.Options{Query: url.Values{"last_event_id": {health.Epoch + ":0"}}})
	if ct := s.Resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	if cc := s.Resp.Header.Get("Cache-Control"); cc != "no-cache, no-transform" || s.Resp.Header.Get("X-Accel-Buffering") != "no" {
		t.Fatalf("cache headers %q %q", cc, s.Resp.Header.Get("X-Accel-Buffering"))
	}
	first, _ := s.Next(5 * time.Second)
	if first.Retry != "1000" || first.Event != "" {
		t.Fatalf("first block %+v; want retry: 1000", first)
	}
	hello, _ := s.Next(5 * time.Second)
	var hd struct {
		HeartbeatMS int `json:"heartbeat_ms"`
	}
	json.Unmarshal([]byte(hello.Data), &hd)
	if hello.Event != "hello" || !hello.HasID || hello.ID != health.Epoch+":0" || hd.HeartbeatMS != 150 {
		t.Fatalf("hello = %+v", hello)
	}
	snd := h.send(sess.ID, "/echo framing works", "c1")
	var text strings.Builder
	sawHeartbeat := false
	evs := until(s, func(e sseEvent) bool {
		return e.Event == "message.completed" && strings.Contains(e.Data, snd.Assistant.ID)
	})
	// Keep reading until a heartbeat arrives too.
	for !sawHeartbeat {
		e, err := s.Next(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
		sawHeartbeat = e.Event == "heartbeat"
	}
	lastSeq := int64(0)
	for _, e := range evs {
		if e.Event == "heartbeat" {
			if e.HasID || !strings.Contains(e.Data, `"head"`) {
				t.Fatalf("heartbeat %+v: want no id and a head", e)
			}
			continue
		}
		if !e.HasID || e.Data == "" {
			t.Fatalf("data event without id: %+v", e)
		}
		var seq int64
		fmt.Sscanf(strings.TrimPrefix(e.ID, health.Epoch+":"), "%d", &seq)
		if seq != lastSeq+1 {
			t.Fatalf("event %s after seq %d: gap or repeat", e.ID, lastSeq)
		}
		lastSeq = seq
		if e.Event == "message.delta" {
			var d struct{ Text string }
			json.Unmarshal([]byte(e.Data), &d)
			text.WriteString(d.Text)
		}
	}
	if text.String() != "framing works" {
		t.Fatalf("deltas = %q", text.String())
	}
}

func TestAuthHostOrigin(t *testing.T) {
	h := start(t, time.Second, 1000)
	cases := []struct {
		name    string
		method  string
		path    string
		headers []string
		status  int
		code    string
		acao    string
	}{
		{"token in header", "GET", "/api/health", nil, 200, "", ""},
		{"token in query", "GET", "/api/health?token=" + token, []string{"Authorization", ""}, 200, "", ""},
		{"no token", "GET", "/api/health", []string{"Authorization", ""}, 401, "unauthorized", ""},
		{"wrong token", "GET", "/api/sessions", []string{"Authorization", "Bearer nope"}, 401, "unauthorized", ""},
		{"wrong query token", "GET", "/api/events?token=nope", []string{"Authorization", ""}, 401, "unauthorized", ""},
		{"evil host", "GET", "/api/health", []string{"Host", "evil.example:80"}, 403, "bad_host", ""},
		{"evil host on the UI", "GET", "/", []string{"Host", "attacker.test"}, 403, "bad_host", ""},
		{"rebinding host with loopback port", "GET", "/api/health", []string{"Host", "127.0.0.1.nip.io"}, 403, "bad_host", ""},
		{"localhost host", "GET", "/api/health", []string{"Host", "localhost:1234"}, 200, "", ""},
		{"evil origin", "GET", "/api/health", []string{"Origin", "https://evil.example"}, 403, "bad_origin", ""},
		{"wails origin", "GET", "/api/health", []string{"Origin", "wails://wails"}, 200, "", "wails://wails"},
		{"linux dev window origin", "GET", "/api/health", []string{"Origin", "wails://wails.localhost:34115"}, 200, "", "wails://wails.localhost:34115"},
		{"dev origin", "GET", "/api/health", []string{"Origin", "http://localhost:34115"}, 200, "", "http://localhost:34115"},
		{"own origin", "GET", "/api/health", []string{"Origin", h.base}, 200, "", h.base},
		{"preflight allowed without token", "OPTIONS", "/api/sessions", []string{"Origin", "http://wails.localhost", "Authorization", ""}, 204, "", "http://wails.localhost"},
		{"preflight from evil", "OPTIONS", "/api/sessions", []string{"Origin", "http://evil.example", "Authorization", ""}, 403, "bad_origin", ""},
		{"UI needs no token", "GET", "/", []string{"Authorization", ""}, 200, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := h.do(tc.method, tc.path, "", tc.headers...)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%s); want %d", resp.StatusCode, body, tc.status)
			}
			if tc.code != "" {
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != tc.code || e.Error.Message == "" {
					t.Fatalf("body %s; want JSON error %q", body, tc.code)
				}
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.acao {
				t.Fatalf("ACAO %q; want %q", got, tc.acao)
			}
		})
	}
}

func TestBadInputKeepsServing(t *testing.T) {
	h := start(t, time.Second, 1000)
	sess := h.newSession()
	big := `{"content":"` + strings.Repeat("x", 2<<20) + `"}`
	long := `{"content":"` + strings.Repeat("y", 300<<10) + `"}`
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"malformed JSON", "POST", "/api/sessions/" + sess.ID + "/messages", `{"content":`, 400, "bad_request"},
		{"missing content", "POST", "/api/sessions/" + sess.ID + "/messages", `{"client_id":"x"}`, 400, "bad_request"},
		{"wrong type", "POST", "/api/sessions/" + sess.ID + "/messages", `{"content":5}`, 400, "bad_request"},
		{"unknown session", "POST", "/api/sessions/s_nope/messages", `{"content":"hi"}`, 404, "not_found"},
		{"unknown session get", "GET", "/api/sessions/s_nope", ``, 404, "not_found"},
		{"unknown session messages", "GET", "/api/sessions/s_nope/messages", ``, 404, "not_found"},
		{"unknown message", "POST", "/api/messages/m_nope/stop", ``, 404, "not_found"},
		{"unknown action", "POST", "/api/messages/m_nope/explode", ``, 404, "not_found"},
		{"unknown stream", "POST", "/api/streams/c_nope/pause", ``, 404, "not_found"},
		{"unknown endpoint", "GET", "/api/nothing", ``, 404, "not_found"},
		{"body over 1 MiB", "POST", "/api/sessions/" + sess.ID + "/messages", big, 413, "too_large"},
		{"message over 256 KiB", "POST", "/api/sessions/" + sess.ID + "/messages", long, 413, "too_large"},
		{"wrong method", "PUT", "/api/sessions", `{}`, 405, "method_not_allowed"},
		{"bad limit", "GET", "/api/sessions/" + sess.ID + "/messages?limit=-3", ``, 400, "bad_request"},
		{"unknown model", "POST", "/api/sessions", `{"model":"nope/x"}`, 400, "unknown_model"},
		{"empty title", "PATCH", "/api/sessions/" + sess.ID, `{"title":"  "}`, 400, "bad_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := h.do(tc.method, tc.path, tc.body)
			var e struct {
				Error struct{ Code, Message string }
			}
			if resp.StatusCode != tc.status || json.Unmarshal(body, &e) != nil || e.Error.Code != tc.code {
				t.Fatalf("%d %s; want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
		})
	}
	// Nothing was half-written, and the server still works.
	var page struct{ Messages []message }
	h.jsonDo("GET", "/api/sessions/"+sess.ID+"/messages", "", 200, &page)
	if len(page.Messages) != 0 {
		t.Fatalf("bad input stored %d messages", len(page.Messages))
	}
	h.send(sess.ID, "still fine", "")
}

func TestIdempotentSendAndSnapshotHead(t *testing.T) {
	h := start(t, time.Second, 5000)
	sess := h.newSession()
	first := h.send(sess.ID, "/echo once", "client-1")
	var again sent
	h.jsonDo("POST", "/api/sessions/"+sess.ID+"/messages", `{"content":"/echo once","client_id":"client-1"}`, 200, &again)
	if again.User.ID != first.User.ID || again.Assistant.ID != first.Assistant.ID {
		t.Fatalf("resend made a new pair: %+v vs %+v", again, first)
	}
	var page struct{ Messages []message }
	hdr := h.jsonDo("GET", "/api/sessions/"+sess.ID+"/messages", "", 200, &page)
	if len(page.Messages) != 2 {
		t.Fatalf("%d messages after a resend; want 2", len(page.Messages))
	}
	head := hdr.Get("X-Event-Head")
	if !strings.Contains(head, ":") {
		t.Fatalf("X-Event-Head = %q", head)
	}
	// Resuming from the snapshot head never repeats what the snapshot had.
	s := h.stream(ssetest.Options{LastEventID: head})
	s.Next(5 * time.Second) // retry
	s.Next(5 * time.Second) // hello
	h.send(sess.ID, "/echo after", "client-2")
	evs := until(s, func(e sseEvent) bool { return e.Event == "message.created" })
	if strings.Contains(evs[len(evs)-1].Data, first.User.ID) {
		t.Fatal("stream from the snapshot head replayed a message the snapshot had")
	}
}

func TestPauseHoldsAndResumeFlushes(t *testing.T) {
	h := start(t, 100*time.Millisecond, 5000)
	sess := h.newSession()
	s := h.stream(ssetest.Options{})
	s.Next(5 * time.Second)
	hello, _ := s.Next(5 * time.Second)
	var hd struct {
		ConnectionID string `json:"connection_id"`
	}
	json.Unmarshal([]byte(hello.Data), &hd)
	h.jsonDo("POST", "/api/streams/"+hd.ConnectionID+"/pause", "", 204, nil)
	snd := h.send(sess.ID, "/echo held back while paused", "p1")
	// The answer completes on the server while the stream only gets heartbeats.
	ssetest.Eventually(t, "the answer to complete while paused", 10*time.Second, func() bool {
		var page struct{ Messages []message }
		h.jsonDo("GET", "/api/sessions/"+sess.ID+"/messages", "", 200, &page)
		return len(page.Messages) == 2 && page.Messages[1].Status == "complete"
	})
	for i := 0; i < 3; i++ {
		e, _ := s.Next(5 * time.Second)
		if e.Event != "heartbeat" {
			t.Fatalf("paused stream delivered %q", e.Event)
		}
	}
	h.jsonDo("POST", "/api/streams/"+hd.ConnectionID+"/resume", "", 204, nil)
	evs := until(s, func(e sseEvent) bool {
		return e.Event == "message.completed" && strings.Contains(e.Data, snd.Assistant.ID)
	})
	var text strings.Builder
	for _, e := range evs {
		if e.Event == "message.delta" {
			var d struct{ Text string }
			json.Unmarshal([]byte(e.Data), &d)
			text.WriteString(d.Text)
		}
	}
	if text.String() != "held back while paused" {
		t.Fatalf("flushed deltas = %q", text.String())
	}
}

func TestResetAndShutdown(t *testing.T) {
	h := start(t, time.Second, 1000)
	var health struct{ Epoch, Head string }
	h.jsonDo("GET", "/api/health", "", 200, &health)
	// Well-formed ids the log cannot resume from (a malformed one is a
	// 400, see framing_test.go). hello and reset then carry no id: the
	// server has no cursor of its own to give, and never repeats the
	// client's.
	for _, id := range []string{"0123456789ab:5", health.Epoch + ":999"} {
		s := h.stream(ssetest.Options{Query: url.Values{"last_event_id": {id}}})
		s.Next(5 * time.Second)
		if hello, _ := s.Next(5 * time.Second); hello.Event != "hello" || hello.HasID {
			t.Fatalf("%s: first event %+v; want hello without an id", id, hello)
		}
		reset, _ := s.Next(5 * time.Second)
		if reset.Event != "reset" || !strings.Contains(reset.Data, health.Epoch) || reset.HasID {
			t.Fatalf("%s: got %+v; want reset naming the epoch, without an id", id, reset)
		}
		if _, err := s.Next(5 * time.Second); err != io.EOF {
			t.Fatalf("%s: stream stayed open after reset: %v", id, err)
		}
	}
	s := h.stream(ssetest.Options{Query: url.Values{"session": {"s_filter"}}})
	s.Next(5 * time.Second)
	s.Next(5 * time.Second) // hello: the stream is registered, so the restart must tell it
	go h.b.RestartServer(context.Background())
	ev, _ := s.Next(5 * time.Second)
	if ev.Event != "shutdown" || !strings.Contains(ev.Data, "retry_ms") || !ev.HasID {
		t.Fatalf("got %+v; want shutdown", ev)
	}
	// The restarted server answers on its (new) address.
	h.base = h.b.BaseURL()
	h.jsonDo("GET", "/api/health", "", 200, nil)
}

func TestExportEndpoint(t *testing.T) {
	h := start(t, time.Second, 5000)
	sess := h.newSession()
	h.send(sess.ID, "/echo <script>alert(1)</script>", "x1")
	cases := []struct{ format, ctype, must, mustNot string }{
		{"md", "text/markdown", "alert(1)", ""},
		{"json", "application/json", `"format_version"`, ""},
		{"html", "text/html", "&lt;script&gt;", "<script>alert"},
	}
	for _, tc := range cases {
		resp, body := h.do("GET", "/api/sessions/"+sess.ID+"/export?format="+tc.format, "")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) {
			t.Fatalf("%s: %d %q", tc.format, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(string(body), tc.must) {
			t.Fatalf("%s: disposition %q, body lacks %q", tc.format, resp.Header.Get("Content-Disposition"), tc.must)
		}
		if tc.mustNot != "" && strings.Contains(string(body), tc.mustNot) {
			t.Fatalf("%s export contains %q unescaped", tc.format, tc.mustNot)
		}
	}
	if resp, _ := h.do("GET", "/api/sessions/"+sess.ID+"/export?format=exe", ""); resp.StatusCode != 400 {
		t.Fatalf("bad format: %d", resp.StatusCode)
	}
	if resp, _ := h.do("GET", "/api/sessions/s_nope/export?format=md", ""); resp.StatusCode != 404 {
		t.Fatalf("unknown session: %d", resp.StatusCode)
	}
}

// TestFrozenClientBlocksNobody: a client that stops reading (a frozen
// socket) must not slow appends or other subscribers; it is a cursor that
// simply falls behind.
func TestFrozenClientBlocksNobody(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e, err := bench.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	frozen, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer frozen.Close()
	fmt.Fprintf(frozen, "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n", bench.Token)
	// It is subscribed once hello arrives; from then on it reads nothing.
	frozen.SetReadDeadline(time.Now().Add(10 * time.Second))
	head := bufio.NewReader(frozen)
	for {
		line, err := head.ReadString('\n')
		if err != nil {
			t.Fatalf("frozen client before hello: %v", err)
		}
		if strings.HasPrefix(line, "event: hello") {
			break
		}
	}

	// Enough data to fill every socket buffer between server and frozen client.
	big := `"` + strings.Repeat("x", 4000) + `"`
	const n = 20000
	done := make(chan error, 1)
	go func() {
		for i := 0; i < n; i += 100 {
			evs := make([]eventlog.Event, 100)
			for j := range evs {
				evs[j] = eventlog.Event{Type: "message.delta", Data: []byte(`{"text":` + big + `}`)}
			}
			if _, err := e.Log.Append(ctx, evs...); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	// A live subscriber still gets every event while the frozen one sleeps.
	live := ssetest.Open(t, e.URL, bench.Token, ssetest.Options{Query: url.Values{"last_event_id": {e.Log.Epoch() + ":0"}}})
	got := 0
	for got < n {
		ev, err := live.Next(30 * time.Second)
		if err != nil {
			t.Fatalf("live subscriber after %d events: %v", got, err)
		}
		if ev.Event == "message.delta" {
			got++
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("appends with a frozen client attached: %v", err)
	}
}

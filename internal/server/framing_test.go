package server_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
)

// raw sends one HTTP/1.1 request as written (headers Go's client would
// refuse to send included) and returns the response, read to its end.
func (h *harness) raw(request string) (*http.Response, string) {
	h.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.base, "http://"))
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		h.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		h.t.Fatalf("read response to %q: %v", request[:min(len(request), 80)], err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// The stream never repeats what the client sent: a resume id with line
// breaks, a foreign shape or an oversized value, in the Last-Event-ID
// header or the last_event_id query, is refused with a JSON 400 before a
// byte of the stream is written, and the answer does not contain it.
func TestResumeIDIsNeverEchoed(t *testing.T) {
	h := start(t, time.Second, 1000)
	var health struct{ Epoch string }
	h.jsonDo("GET", "/api/health", "", 200, &health)
	own := health.Epoch + ":0"
	huge := strings.Repeat("7", 10_000)
	bad := []struct {
		name, id string
		marker   string // a piece of the id that must not come back
	}{
		{"LF forging an event", "e:1\nevent: forged\ndata: {}\n\nid: x", "forged"},
		{"CRLF forging an id", own + "\r\nid: injected-id", "injected-id"},
		{"bare CR forging a retry", own + "\rretry: 99999", "99999"},
		{"trailing LF", own + "\n", ""},
		{"NUL", own + "\x00zz", "zz"},
		{"10 KB seq", health.Epoch + ":" + huge, huge[:200]},
		{"10 KB epoch", strings.Repeat("q", 10_000) + ":1", strings.Repeat("q", 200)},
		{"not an id", "garbage-marker", "garbage-marker"},
		{"signed seq", health.Epoch + ":+5", ":+5"},
		{"spaces", health.Epoch + ": 5 marker", "marker"},
	}
	for _, tc := range bad {
		t.Run("query/"+tc.name, func(t *testing.T) {
			resp, body := h.do("GET", "/api/events?"+url.Values{"last_event_id": {tc.id}}.Encode(), "")
			assertRefusedID(t, resp, string(body), tc.marker)
		})
	}
	// A bad query is refused even when a good header is there, and the
	// other way round.
	resp, raw := h.do("GET", "/api/events?"+url.Values{"last_event_id": {"x\nevent: forged"}}.Encode(), "", "Last-Event-ID", own)
	assertRefusedID(t, resp, string(raw), "forged")

	// Header values go through a raw socket: Go's client would refuse
	// to send most of them.
	get := func(header string) (*http.Response, string) {
		return h.raw("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
			"\r\n" + header + "\r\nConnection: close\r\n\r\n")
	}
	for _, tc := range []struct{ name, header, marker string }{
		{"oversized", "Last-Event-ID: " + health.Epoch + ":" + huge, huge[:200]},
		{"oversized epoch", "Last-Event-ID: " + strings.Repeat("q", 10_000) + ":1", strings.Repeat("q", 200)},
		// An obsolete folded line reaches the handler joined with a space.
		{"folded line", "Last-Event-ID: " + own + "\r\n event: forged", "forged"},
		{"two ids", "Last-Event-ID: " + own + "\r\nLast-Event-ID: " + own, ""},
		{"not an id", "Last-Event-ID: <script>marker", "marker"},
	} {
		t.Run("header/"+tc.name, func(t *testing.T) {
			resp, body := get(tc.header)
			assertRefusedID(t, resp, body, tc.marker)
		})
	}
	// A bare CR or a NUL inside a header never reaches Holdfast: Go's
	// HTTP server refuses the request itself (with its own plain-text
	// 400, which no handler can change). Nothing is streamed or echoed.
	for _, header := range []string{"Last-Event-ID: " + own + "\revent: forged", "Last-Event-ID: " + own + "\x00forged"} {
		resp, body := get(header)
		if resp.StatusCode != 400 || strings.Contains(body, "forged") || strings.Contains(resp.Header.Get("Content-Type"), "event-stream") {
			t.Fatalf("header %q: %d %q; want a 400 without the header", header, resp.StatusCode, body)
		}
	}
	// A bare LF ends the header line: what follows is a header of its
	// own, and the id before it is an ordinary, well-formed one.
	resp, body := get("Last-Event-ID: 0123456789ab:1\nevent: forged")
	if resp.StatusCode != 200 || strings.Contains(body, "forged") || strings.Contains(body, "0123456789ab") {
		t.Fatalf("LF-split header: %d %q", resp.StatusCode, body)
	}

	// A well-formed id the log cannot resume from: hello and reset, both
	// without an id, the client's epoch nowhere in the answer.
	resp, body = get("Last-Event-ID: 0123456789ab:1")
	if resp.StatusCode != 200 || strings.Contains(body, "0123456789ab") || strings.Contains(body, "id:") ||
		!strings.Contains(body, "event: hello") || !strings.Contains(body, "event: reset") {
		t.Fatalf("foreign epoch: %d %q; want hello and reset without ids", resp.StatusCode, body)
	}

	// An id the log accepts comes back as the server's own cursor.
	s := h.stream(ssetest.Options{LastEventID: own})
	s.Next(5 * time.Second)
	if hello, _ := s.Next(5 * time.Second); hello.Event != "hello" || hello.ID != own {
		t.Fatalf("hello %+v; want id %s", hello, own)
	}
	// Leading zeros are the same position, said the server's way.
	s = h.stream(ssetest.Options{Query: url.Values{"last_event_id": {health.Epoch + ":000"}}})
	s.Next(5 * time.Second)
	if hello, _ := s.Next(5 * time.Second); hello.ID != own {
		t.Fatalf("hello id %q; want %q", hello.ID, own)
	}
}

func assertRefusedID(t *testing.T, resp *http.Response, body, marker string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
		json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "bad_request" {
		t.Fatalf("%d %s %q; want a JSON 400 bad_request", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if marker != "" && strings.Contains(body, marker) {
		t.Fatalf("the answer repeats the id: %q", body)
	}
	if len(body) > 300 {
		t.Fatalf("a %d-byte answer to a bad id: %q", len(body), body)
	}
}

// The session filter is checked like an id, and never repeated.
func TestStreamSessionFilterChecked(t *testing.T) {
	h := start(t, time.Second, 1000)
	for _, v := range []string{"s_1\nevent: forged", strings.Repeat("s", 10_000), "s 1"} {
		resp, body := h.do("GET", "/api/events?"+url.Values{"session": {v}}.Encode(), "")
		assertRefusedID(t, resp, string(body), v[:min(len(v), 40)])
	}
	resp, body := h.do("GET", "/api/events?session=s_a&session=s_b", "")
	assertRefusedID(t, resp, string(body), "")
}

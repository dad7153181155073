package sse

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAppendEvent(t *testing.T) {
	cases := []struct {
		name, id, event, data string
		want                  string
	}{
		{"event log record", "ep:7", "message.delta", `{"text":"a\nb"}`,
			"id: ep:7\nevent: message.delta\ndata: {\"text\":\"a\\nb\"}\n\n"},
		{"no id (heartbeat)", "", "heartbeat", `{}`, "event: heartbeat\ndata: {}\n\n"},
		{"no event name", "e:1", "", "x", "id: e:1\ndata: x\n\n"},
		{"empty data still dispatches", "", "ping", "", "event: ping\ndata: \n\n"},
		{"LF splits data lines", "", "m", "one\ntwo", "event: m\ndata: one\ndata: two\n\n"},
		{"CRLF and CR split too", "", "m", "a\r\nb\rc", "event: m\ndata: a\ndata: b\ndata: c\n\n"},
		{"trailing newline is an empty last line", "", "m", "a\n", "event: m\ndata: a\ndata: \n\n"},
		{"line breaks cannot leave the id", "e:1\nevent: evil\ndata: x\n\nid: 2", "m", "ok",
			"id: e:1event: evildata: xid: 2\nevent: m\ndata: ok\n\n"},
		{"nor the event name", "", "m\r\ndata: evil", "ok", "event: mdata: evil\ndata: ok\n\n"},
		{"NUL would make EventSource drop the id", "e:\x001", "m", "ok", "id: e:1\nevent: m\ndata: ok\n\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := string(AppendEvent([]byte("<"), tc.id, tc.event, []byte(tc.data)))
			if got != "<"+tc.want {
				t.Fatalf("AppendEvent = %q; want %q", got, "<"+tc.want)
			}
			// The same bytes whether the id is a string or bytes.
			if b := string(AppendEvent(nil, []byte(tc.id), tc.event, []byte(tc.data))); b != tc.want {
				t.Fatalf("with a []byte id = %q; want %q", b, tc.want)
			}
		})
	}
}

// What the writer frames, the reader gives back: one event per block, the
// data joined with LF, and nothing an id or name smuggled in.
func TestWriteReadRoundTrip(t *testing.T) {
	sent := []Event{
		{ID: "ep:1", HasID: true, Event: "hello", Data: `{"a":1}`},
		{Event: "heartbeat", Data: `{"head":"ep:1"}`},
		{ID: "ep:2", HasID: true, Event: "message.delta", Data: "line one\nline two\n\nafter a blank line"},
		{ID: "ep:3", HasID: true, Event: "x", Data: " leading space\r\nand CRLF"},
		{ID: "ep:4\n\nevent: forged", HasID: true, Event: "real\ndata: forged", Data: "z"},
	}
	want := []Event{
		{Retry: "1500"},
		sent[0], sent[1], sent[2],
		{ID: "ep:3", HasID: true, Event: "x", Data: " leading space\nand CRLF"},
		{ID: "ep:4event: forged", HasID: true, Event: "realdata: forged", Data: "z"},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, 16) // smaller than most blocks: exercises the unbuffered path
	w.Retry(1500 * time.Millisecond)
	for _, ev := range sent {
		w.Event(ev.ID, ev.Event, []byte(ev.Data))
	}
	w.Frame(AppendEvent(nil, "ep:5", "cached", []byte("c")))
	want = append(want, Event{ID: "ep:5", HasID: true, Event: "cached", Data: "c"})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf)
	for i, w := range want {
		got, err := r.Next()
		if err != nil || got != w {
			t.Fatalf("block %d = %+v, %v; want %+v", i, got, err, w)
		}
	}
	if _, err := r.Next(); err == nil {
		t.Fatal("more blocks than were written")
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errors.New("connection reset")
}

// Errors are sticky: after a failed write nothing more is sent and Flush
// says why.
func TestWriterErrorIsSticky(t *testing.T) {
	f := &failWriter{}
	w := NewWriter(f, 16)
	w.Event("", "a", []byte(strings.Repeat("x", 64)))
	w.Event("", "b", []byte(strings.Repeat("y", 64)))
	w.Frame([]byte("event: c\ndata: z\n\n"))
	if err := w.Flush(); err == nil || f.n != 1 {
		t.Fatalf("Flush = %v after %d writes; want the first write's error and no more writes", err, f.n)
	}
}

// BenchmarkAppendEvent is one delta-sized record frame into a reused
// buffer: the per-subscriber cost when a frame is not cached.
func BenchmarkAppendEvent(b *testing.B) {
	data := []byte(`{"message_id":"m_01JBENCHMARKMESSAGE0000000","session_id":"s_01JBENCH","index":1,"text":"token "}`)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendEvent(buf[:0], "01JBENCHEPOCH:123456", "message.delta", data)
	}
}

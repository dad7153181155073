package sse

import (
	"io"
	"strings"
	"testing"
)

func TestReader(t *testing.T) {
	in := "retry: 1000\n\n: comment\nid: e:1\nevent: hello\ndata: {\"a\":1}\n\n" +
		"event: heartbeat\ndata: x\r\n\r\n" + "data: one\ndata: two\n\n" + "data: " + strings.Repeat("z", 100<<10) + "\n\nid: e:2\n"
	r := NewReader(strings.NewReader(in))
	want := []Event{
		{Retry: "1000"},
		{ID: "e:1", HasID: true, Event: "hello", Data: `{"a":1}`},
		{Event: "heartbeat", Data: "x"},
		{Data: "one\ntwo"},
		{Data: strings.Repeat("z", 100<<10)},
	}
	for i, w := range want {
		got, err := r.Next()
		if err != nil || got != w {
			t.Fatalf("event %d = %.80q (%d bytes), %v; want %.80q", i, got.Data, len(got.Data), err, w.Data)
		}
	}
	if _, err := r.Next(); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated block: %v; want ErrUnexpectedEOF", err)
	}
	if _, err := NewReader(strings.NewReader("")).Next(); err != io.EOF {
		t.Fatalf("empty stream: %v; want EOF", err)
	}
}

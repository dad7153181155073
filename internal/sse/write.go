package sse

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"time"
)

// AppendEvent appends one event block to dst and returns the extended
// slice:
//
//	id: <id>          (left out when id is empty)
//	event: <event>    (left out when event is empty)
//	data: <line>      (one per line of data; CRLF, CR and LF all end a line)
//	<blank line>      (dispatches the event)
//
// CR, LF and NUL are dropped from id and event: a line break there would
// end the field early and let the rest pose as another field, and a NUL
// makes EventSource ignore the id. id may be a string or bytes, so a
// caller formatting ids into a scratch buffer allocates nothing.
func AppendEvent[ID ~string | ~[]byte](dst []byte, id ID, event string, data []byte) []byte {
	if len(id) > 0 {
		dst = append(dst, "id: "...)
		dst = appendField(dst, id)
		dst = append(dst, '\n')
	}
	if event != "" {
		dst = append(dst, "event: "...)
		dst = appendField(dst, event)
		dst = append(dst, '\n')
	}
	for {
		dst = append(dst, "data: "...)
		i := lineEnd(data)
		if i < 0 {
			dst = append(dst, data...)
			break
		}
		dst = append(dst, data[:i]...)
		dst = append(dst, '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return append(dst, "\n\n"...)
}

// AppendRetry appends the block telling clients how long to wait before
// reconnecting.
func AppendRetry(dst []byte, d time.Duration) []byte {
	dst = append(dst, "retry: "...)
	dst = strconv.AppendInt(dst, d.Milliseconds(), 10)
	return append(dst, "\n\n"...)
}

// appendField appends v without the bytes that would break its line.
func appendField[T ~string | ~[]byte](dst []byte, v T) []byte {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\r' || c == '\n' || c == 0 {
			return appendStripped(dst, v)
		}
	}
	return append(dst, v...)
}

func appendStripped[T ~string | ~[]byte](dst []byte, v T) []byte {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c != '\r' && c != '\n' && c != 0 {
			dst = append(dst, c)
		}
	}
	return dst
}

// lineEnd is the index of the first CR or LF in b, or -1. Two IndexByte
// scans beat one byte loop: payloads are mostly single-line JSON.
func lineEnd(b []byte) int {
	lf := bytes.IndexByte(b, '\n')
	head := b
	if lf >= 0 {
		head = b[:lf]
	}
	if cr := bytes.IndexByte(head, '\r'); cr >= 0 {
		return cr
	}
	return lf
}

// Writer frames events onto a stream through a buffer. Like bufio.Writer
// its errors are sticky: a failed write makes every later one a no-op and
// Flush reports it, so a writer loop checks once per flush.
type Writer struct {
	b *bufio.Writer
}

// NewWriter buffers size bytes in front of w.
func NewWriter(w io.Writer, size int) *Writer {
	return &Writer{b: bufio.NewWriterSize(w, size)}
}

// Event writes one event; see AppendEvent.
func (w *Writer) Event(id, event string, data []byte) {
	w.b.Write(AppendEvent(w.b.AvailableBuffer(), id, event, data))
}

// Retry writes the reconnection delay.
func (w *Writer) Retry(d time.Duration) {
	w.b.Write(AppendRetry(w.b.AvailableBuffer(), d))
}

// Frame writes a block made earlier by AppendEvent, e.g. one encoded once
// and sent to many streams.
func (w *Writer) Frame(block []byte) {
	w.b.Write(block)
}

// Flush writes out what is buffered and reports the first error since
// the writer was made.
func (w *Writer) Flush() error {
	return w.b.Flush()
}

// Package sse is the text/event-stream wire format, both ways: AppendEvent
// and Writer frame every block Holdfast's stream sends (id, event, data,
// retry), and Reader parses them back for `holdfast bench` and the tests.
package sse

import (
	"bufio"
	"bytes"
	"io"
)

// Event is one dispatched block of the stream.
type Event struct {
	ID    string
	HasID bool // an id: line was present (heartbeats have none)
	Event string
	Data  string
	Retry string
}

// Reader parses events from a stream.
type Reader struct {
	r *bufio.Reader
}

// NewReader reads events from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next block (an event, or a block with only retry:).
// It returns io.EOF when the stream ends between blocks.
func (r *Reader) Next() (Event, error) {
	var ev Event
	var data [][]byte
	started := false
	for {
		line, err := r.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: gather it whole.
			head := append([]byte(nil), line...) // ReadBytes reuses the buffer
			rest, err2 := r.r.ReadBytes('\n')
			line = append(head, rest...)
			err = err2
		}
		if err != nil {
			if err == io.EOF && started {
				return ev, io.ErrUnexpectedEOF
			}
			return ev, err
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if len(line) == 0 {
			if !started {
				continue
			}
			ev.Data = string(bytes.Join(data, []byte("\n")))
			return ev, nil
		}
		started = true
		if line[0] == ':' {
			continue // comment
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "id":
			ev.ID, ev.HasID = string(value), true
		case "event":
			ev.Event = string(value)
		case "data":
			data = append(data, append([]byte(nil), value...))
		case "retry":
			ev.Retry = string(value)
		}
	}
}

// Package ssetest is the test client for Holdfast's event stream: it opens
// GET /api/events with the token, reads events with a deadline, and polls
// conditions, so a test says what it waits for instead of sleeping.
package ssetest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/sse"
)

// Options say where a stream starts.
type Options struct {
	// LastEventID is sent as the Last-Event-ID header, the way EventSource
	// resumes; "" opens the stream live at the head.
	LastEventID string
	// Query is added to the URL, e.g. url.Values{"session": {"s_1"}} or
	// {"last_event_id": {...}} for clients that cannot set headers.
	Query url.Values
}

// Stream is an open event stream read by one test. A goroutine reads one
// event ahead of Next, so a test never blocks on the socket without a
// deadline.
type Stream struct {
	// Resp is the response, for its status and headers; its body belongs
	// to the Stream.
	Resp *http.Response

	t      testing.TB
	events chan result
	done   chan struct{}
	close  sync.Once
	cancel context.CancelFunc
	err    error // set once the stream has ended
}

type result struct {
	ev  sse.Event
	err error
}

// Open connects to baseURL's /api/events with token and fails t unless
// the server answers 200. The stream closes when the test ends.
func Open(t testing.TB, baseURL, token string, o Options) *Stream {
	t.Helper()
	u := strings.TrimSuffix(baseURL, "/") + "/api/events"
	if len(o.Query) > 0 {
		u += "?" + o.Query.Encode()
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		cancel()
		t.Fatalf("open stream: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if o.LastEventID != "" {
		req.Header.Set("Last-Event-ID", o.LastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("open stream: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		t.Fatalf("open stream: status %d", resp.StatusCode)
	}
	s := &Stream{Resp: resp, t: t, events: make(chan result), done: make(chan struct{}), cancel: cancel}
	go s.read()
	t.Cleanup(s.Close)
	return s
}

func (s *Stream) read() {
	r := sse.NewReader(s.Resp.Body)
	for {
		ev, err := r.Next()
		select {
		case s.events <- result{ev, err}:
		case <-s.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// Close ends the stream; the test's cleanup calls it too.
func (s *Stream) Close() {
	s.close.Do(func() {
		close(s.done)
		s.cancel()
		s.Resp.Body.Close()
	})
}

// Next returns the next block (an event, or the opening retry: block),
// failing the test if none arrives within timeout. Once the stream has
// ended it returns why: io.EOF when the server closed it between events.
func (s *Stream) Next(timeout time.Duration) (sse.Event, error) {
	s.t.Helper()
	if s.err != nil {
		return sse.Event{}, s.err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-s.events:
		s.err = r.err
		return r.ev, r.err
	case <-timer.C:
		s.t.Fatalf("no event within %v", timeout)
		return sse.Event{}, nil
	}
}

// Until reads until pred accepts an event and returns every event read,
// that one last. It fails the test if the stream ends first or any one
// event takes longer than timeout.
func (s *Stream) Until(timeout time.Duration, pred func(sse.Event) bool) []sse.Event {
	s.t.Helper()
	var out []sse.Event
	for {
		ev, err := s.Next(timeout)
		if err != nil {
			s.t.Fatalf("stream ended after %d events: %v", len(out), err)
		}
		out = append(out, ev)
		if pred(ev) {
			return out
		}
	}
}

// Collect reads n events, failing the test like Until.
func (s *Stream) Collect(n int, timeout time.Duration) []sse.Event {
	s.t.Helper()
	if n <= 0 {
		return nil
	}
	got := 0
	return s.Until(timeout, func(sse.Event) bool {
		got++
		return got == n
	})
}

// Rest reads until the server ends the stream and returns what came
// before the end, failing the test if any one event takes longer than
// timeout.
func (s *Stream) Rest(timeout time.Duration) []sse.Event {
	s.t.Helper()
	var out []sse.Event
	for {
		ev, err := s.Next(timeout)
		if err != nil {
			return out
		}
		out = append(out, ev)
	}
}

// pollEvery is how often Eventually and WaitFor look again.
const pollEvery = 10 * time.Millisecond

// Eventually polls ok until it holds, failing the test with what it was
// waiting for once within has passed.
func Eventually(t testing.TB, what string, within time.Duration, ok func() bool) {
	t.Helper()
	err := WaitFor(within, func() error {
		if ok() {
			return nil
		}
		return fmt.Errorf("timed out after %v waiting for %s", within, what)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// WaitFor polls try until it returns nil; once within has passed it
// returns try's last error. It needs no *testing.T, so goroutines and
// checks that explain their own failure can use it.
func WaitFor(within time.Duration, try func() error) error {
	deadline := time.Now().Add(within)
	for {
		err := try()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(pollEvery)
	}
}

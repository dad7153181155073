package ssetest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/sse"
)

// recorder is a testing.TB whose Fatal ends only the goroutine it runs on,
// so a test can check that a helper fails when it should.
type recorder struct {
	testing.TB
	failure  string
	cleanups []func()
}

func (r *recorder) Helper()           {}
func (r *recorder) Cleanup(fn func()) { r.cleanups = append(r.cleanups, fn) }
func (r *recorder) Fatal(args ...any) { r.failure = fmt.Sprint(args...); runtime.Goexit() }
func (r *recorder) Fatalf(f string, args ...any) {
	r.failure = fmt.Sprintf(f, args...)
	runtime.Goexit()
}

// run calls fn as a test body would and returns how it failed ("" = not).
func (r *recorder) run(fn func(testing.TB)) string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	for _, c := range r.cleanups {
		c()
	}
	return r.failure
}

// server streams three events, then waits for release before ending the
// stream; it echoes what the client asked for in the first event.
func server(t *testing.T, release <-chan struct{}) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/events" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		sw := sse.NewWriter(w, 4096)
		sw.Retry(time.Second)
		sw.Event("e:1", "asked", []byte(r.Header.Get("Last-Event-ID")+"|"+r.URL.RawQuery))
		sw.Event("e:2", "two", []byte("2"))
		sw.Event("", "three", []byte("3"))
		sw.Flush()
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestStreamReads(t *testing.T) {
	release := make(chan struct{})
	srv := server(t, release)
	s := Open(t, srv.URL, "tok", Options{LastEventID: "e:0", Query: url.Values{"session": {"s 1"}}})
	if retry, err := s.Next(5 * time.Second); err != nil || retry.Retry != "1000" {
		t.Fatalf("first block %+v, %v", retry, err)
	}
	evs := s.Until(5*time.Second, func(e sse.Event) bool { return e.Event == "two" })
	if len(evs) != 2 || evs[0].Data != "e:0|session=s+1" || evs[1].ID != "e:2" {
		t.Fatalf("Until = %+v", evs)
	}
	close(release)
	if rest := s.Rest(5 * time.Second); len(rest) != 1 || rest[0].Event != "three" {
		t.Fatalf("Rest = %+v", rest)
	}
	if _, err := s.Next(time.Second); err != io.EOF {
		t.Fatalf("Next after the end = %v; want io.EOF", err)
	}
}

func TestCollect(t *testing.T) {
	s := Open(t, server(t, nil).URL, "tok", Options{})
	if evs := s.Collect(3, 5*time.Second); len(evs) != 3 || evs[2].Event != "two" {
		t.Fatalf("Collect(3) = %+v", evs)
	}
}

func TestFailures(t *testing.T) {
	srv := server(t, nil)
	cases := []struct {
		name string
		body func(testing.TB)
		want string
	}{
		{"wrong token", func(tb testing.TB) { Open(tb, srv.URL, "nope", Options{}) }, "status 401"},
		{"no event in time", func(tb testing.TB) {
			s := Open(tb, srv.URL, "tok", Options{})
			s.Collect(5, 200*time.Millisecond) // retry and three events come, a fifth does not
		}, "no event within 200ms"},
		{"condition never holds", func(tb testing.TB) {
			Eventually(tb, "the impossible", 50*time.Millisecond, func() bool { return false })
		}, "waiting for the impossible"},
		{"condition holds", func(tb testing.TB) {
			n := 0
			Eventually(tb, "three polls", 5*time.Second, func() bool { n++; return n == 3 })
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := (&recorder{}).run(tc.body)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("failure %q; want %q", got, tc.want)
			}
		})
	}
}

func TestWaitForReturnsTheLastError(t *testing.T) {
	var calls atomic.Int32
	err := WaitFor(30*time.Millisecond, func() error { return fmt.Errorf("try %d", calls.Add(1)) })
	if err == nil || err.Error() != fmt.Sprintf("try %d", calls.Load()) || calls.Load() < 2 {
		t.Fatalf("WaitFor = %v after %d tries", err, calls.Load())
	}
	if err := WaitFor(time.Second, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(WaitFor(0, func() error { return io.EOF }), io.EOF) {
		t.Fatal("WaitFor with no time left must still try once")
	}
}

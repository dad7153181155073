package llm

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
)

// Timeouts are asserted by kind and message, never by measuring time; the
// short limits only keep the tests quick.
func TestTimeouts(t *testing.T) {
	type fixture struct {
		handler http.HandlerFunc
		gone    chan struct{}
	}
	tests := []struct {
		name     string
		kind     string
		timeouts Timeouts
		fixture  func() fixture
		wantText string
		wantMsg  string
	}{
		{
			name:     "OpenAI: headers never come",
			kind:     ProviderOpenAI,
			timeouts: Timeouts{FirstToken: 150 * time.Millisecond, Idle: time.Minute},
			fixture: func() fixture {
				gone := make(chan struct{})
				return fixture{hangBeforeHeaders(gone), gone}
			},
			wantMsg: "openai: no answer within 150ms (first-token timeout)",
		},
		{
			name:     "OpenAI: headers but no first token",
			kind:     ProviderOpenAI,
			timeouts: Timeouts{FirstToken: 150 * time.Millisecond, Idle: time.Minute},
			fixture: func() fixture {
				gone := make(chan struct{})
				return fixture{sseThenHang(gone), gone}
			},
			wantMsg: "openai: no answer within 150ms (first-token timeout)",
		},
		{
			name:     "OpenAI: idle gap mid-stream",
			kind:     ProviderOpenAI,
			timeouts: Timeouts{FirstToken: time.Minute, Idle: 150 * time.Millisecond},
			fixture: func() fixture {
				gone := make(chan struct{})
				return fixture{sseThenHang(gone, oaRole, oaText("So far")), gone}
			},
			wantText: "So far",
			wantMsg:  "openai: the answer stalled: nothing received for 150ms (idle timeout)",
		},
		{
			name:     "Anthropic: no first token",
			kind:     ProviderAnthropic,
			timeouts: Timeouts{FirstToken: 150 * time.Millisecond, Idle: time.Minute},
			fixture: func() fixture {
				gone := make(chan struct{})
				return fixture{hangBeforeHeaders(gone), gone}
			},
			wantMsg: "anthropic: no answer within 150ms (first-token timeout)",
		},
		{
			name:     "Anthropic: idle gap mid-stream",
			kind:     ProviderAnthropic,
			timeouts: Timeouts{FirstToken: time.Minute, Idle: 150 * time.Millisecond},
			fixture: func() fixture {
				gone := make(chan struct{})
				return fixture{sseThenHang(gone, anStart(1), anBlockStart, anText("So far")), gone}
			},
			wantText: "So far",
			wantMsg:  "anthropic: the answer stalled: nothing received for 150ms (idle timeout)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fixture()
			up := newUpstream(t, f.handler)
			base := up.URL()
			if tt.kind == ProviderOpenAI {
				base += "/v1"
			}
			spec := testSpec(tt.kind, base)
			spec.Timeouts = tt.timeouts
			var slept sleeps
			spec.Retry.Sleep = slept.sleep
			p, err := NewProvider(spec)
			if err != nil {
				t.Fatal(err)
			}
			text, _, err := streamAll(context.Background(), p, Request{Model: "m", Messages: []Message{{Role: "user", Content: "hi"}}})
			if text != tt.wantText {
				t.Errorf("emitted %q, want %q", text, tt.wantText)
			}
			if !IsTimeout(err) {
				t.Fatalf("err = %v (kind %q), want a timeout", err, KindOf(err))
			}
			if !strings.HasPrefix(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q\nwant prefix %q", err, tt.wantMsg)
			}
			var te *TimeoutError
			if !errors.As(err, &te) {
				t.Errorf("err does not wrap a *TimeoutError")
			}
			if up.hits() != 1 || len(slept.got()) != 0 {
				t.Errorf("a timeout was retried: %d requests, waits %v", up.hits(), slept.got())
			}
			waitClosed(t, f.gone, "after the timeout")
		})
	}
}

// Keep-alive traffic (SSE comments, Anthropic pings) is activity: a gap
// in the text longer than Idle is fine while bytes keep arriving.
func TestIdleTimeoutCountsKeepAlives(t *testing.T) {
	keepAlive := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		write := func(s string) {
			_, _ = io.WriteString(w, s)
			w.(http.Flusher).Flush()
		}
		write(oaRole + oaText("think"))
		for range 12 {
			time.Sleep(50 * time.Millisecond)
			write(": keep-alive\n\n")
		}
		write(oaText("ing done") + oaFinish("stop") + oaDone)
	}
	up := newUpstream(t, keepAlive)
	spec := testSpec(ProviderOpenAI, up.URL()+"/v1")
	spec.Timeouts = Timeouts{FirstToken: time.Minute, Idle: 400 * time.Millisecond}
	text, _, err := streamAll(context.Background(), mustOpenAI(t, spec), Request{Model: "m"})
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if text != "thinking done" {
		t.Errorf("emitted %q", text)
	}
}

// Stop (context cancel) must close the upstream request at once, before
// the first token and mid-stream, for both providers.
func TestStopClosesUpstream(t *testing.T) {
	tests := []struct {
		name    string
		kind    string
		parts   []string // sent before hanging; none: hang before headers
		midText bool     // cancel from emit on the first chunk
	}{
		{name: "OpenAI mid-stream", kind: ProviderOpenAI, parts: []string{oaRole, oaText("first")}, midText: true},
		{name: "OpenAI before the first token", kind: ProviderOpenAI},
		{name: "Anthropic mid-stream", kind: ProviderAnthropic, parts: []string{anStart(1), anBlockStart, anText("first"), anPing}, midText: true},
		{name: "Anthropic before the first token", kind: ProviderAnthropic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gone := make(chan struct{})
			handler := hangBeforeHeaders(gone)
			if tt.parts != nil {
				handler = sseThenHang(gone, tt.parts...)
			}
			up := newUpstream(t, handler)
			base := up.URL()
			if tt.kind == ProviderOpenAI {
				base += "/v1"
			}
			p, err := NewProvider(testSpec(tt.kind, base))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if !tt.midText {
				go func() {
					// Stop once the request is in flight.
					ssetest.WaitFor(10*time.Second, func() error {
						if up.hits() == 0 {
							return errors.New("no request yet")
						}
						return nil
					})
					cancel()
				}()
			}
			var got strings.Builder
			done := make(chan error, 1)
			go func() {
				_, err := p.Stream(ctx, Request{Model: "m", Messages: []Message{{Role: "user", Content: "hi"}}}, func(c Chunk) error {
					got.WriteString(c.Text)
					cancel()
					return nil
				})
				done <- err
			}()
			var streamErr error
			select {
			case streamErr = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Stream did not return after Stop")
			}
			if !errors.Is(streamErr, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", streamErr)
			}
			if tt.midText && got.String() != "first" {
				t.Errorf("emitted %q, want %q", got.String(), "first")
			}
			waitClosed(t, gone, "after Stop")
		})
	}
}

func TestTimeoutsDefaults(t *testing.T) {
	got := Timeouts{Idle: -1}.withDefaults()
	want := Timeouts{Connect: DefaultConnectTimeout, FirstToken: DefaultFirstTokenTimeout, Idle: -1}
	if got != want {
		t.Errorf("withDefaults = %+v, want %+v", got, want)
	}
}

// A server that accepts the connection but never completes the TLS
// handshake is held to the connect timeout.
func TestTLSHandshakeTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	t.Cleanup(func() { _ = l.Close(); conns.Wait() })
	conns.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Go(func() {
				_, _ = io.Copy(io.Discard, c) // read the ClientHello, never answer
				_ = c.Close()
			})
		}
	})
	base := "https://" + l.Addr().String() + "/v1"
	spec := testSpec(ProviderOpenAI, base)
	spec.Timeouts = Timeouts{Connect: 200 * time.Millisecond, FirstToken: time.Minute, Idle: time.Minute}
	_, _, err = streamAll(context.Background(), mustOpenAI(t, spec), Request{Model: "m"})
	want := "openai: could not connect to " + base + " (the TLS handshake timed out)"
	if err == nil || err.Error() != want || !IsTransient(err) {
		t.Fatalf("err = %v (kind %q)\nwant   %s (transient)", err, KindOf(err), want)
	}
}

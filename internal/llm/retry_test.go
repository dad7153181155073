package llm

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRetryBeforeFirstChunk(t *testing.T) {
	okOpenAI := sse(oaRole, oaText("fine"), oaFinish("stop"), oaDone)
	okAnthropic := sse(anStart(1), anBlockStart, anText("fine"), anBlockStop, anDelta("end_turn", 1), anStop)
	date := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	policy := RetryPolicy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: 8 * time.Second, MaxTotalWait: time.Minute}
	tests := []struct {
		name      string
		kind      string
		handlers  []http.HandlerFunc
		policy    RetryPolicy
		wantHits  int
		wantWaits []time.Duration
		wantText  string
		wantKind  ErrorKind // "" means success
		wantMsg   string    // substring
	}{
		{
			name:      "429 with Retry-After seconds, then success",
			kind:      ProviderOpenAI,
			handlers:  []http.HandlerFunc{status(429, `{"error":{"message":"slow down","type":"requests"}}`, "Retry-After", "7"), okOpenAI},
			policy:    policy,
			wantHits:  2,
			wantWaits: []time.Duration{7 * time.Second},
			wantText:  "fine",
		},
		{
			name: "429 with Retry-After as an HTTP date, then success",
			kind: ProviderOpenAI,
			handlers: []http.HandlerFunc{
				status(429, `{"error":{"message":"slow down"}}`, "Date", date.Format(http.TimeFormat), "Retry-After", date.Add(12*time.Second).Format(http.TimeFormat)),
				okOpenAI,
			},
			policy:    policy,
			wantHits:  2,
			wantWaits: []time.Duration{12 * time.Second},
			wantText:  "fine",
		},
		{
			name:      "Retry-After shorter than the backoff: the backoff wins",
			kind:      ProviderOpenAI,
			handlers:  []http.HandlerFunc{status(503, `{}`, "Retry-After", "0"), status(503, `{}`, "retry-after-ms", "250"), okOpenAI},
			policy:    policy,
			wantHits:  3,
			wantWaits: []time.Duration{time.Second, 2 * time.Second},
			wantText:  "fine",
		},
		{
			name:      "5xx every time: gives up after MaxAttempts with doubling waits",
			kind:      ProviderOpenAI,
			handlers:  []http.HandlerFunc{status(502, `{"error":{"message":"bad gateway"}}`)},
			policy:    RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: 3 * time.Second, MaxTotalWait: time.Minute},
			wantHits:  4,
			wantWaits: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second},
			wantKind:  KindTransient,
			wantMsg:   "openai: the server failed (502 Bad Gateway: bad gateway) (gave up after 4 attempts)",
		},
		{
			name:     "Retry-After beyond the total bound is not waited for",
			kind:     ProviderOpenAI,
			handlers: []http.HandlerFunc{status(429, `{"error":{"message":"slow down"}}`, "Retry-After", "3600"), okOpenAI},
			policy:   policy,
			wantHits: 1,
			wantKind: KindTransient,
			wantMsg:  "not retried: waiting 1h0m0s more would exceed the retry limit of 1m0s",
		},
		{
			name:     "401 is never retried",
			kind:     ProviderOpenAI,
			handlers: []http.HandlerFunc{status(401, `{"error":{"message":"bad key"}}`), okOpenAI},
			policy:   policy,
			wantHits: 1,
			wantKind: KindAuth,
			wantMsg:  "the API key was rejected",
		},
		{
			name:     "400 is never retried",
			kind:     ProviderOpenAI,
			handlers: []http.HandlerFunc{status(400, `{"error":{"message":"unknown model"}}`), okOpenAI},
			policy:   policy,
			wantHits: 1,
			wantKind: KindRequest,
		},
		{
			name:      "cut before any text is retried",
			kind:      ProviderOpenAI,
			handlers:  []http.HandlerFunc{cut(oaRole, true), okOpenAI},
			policy:    policy,
			wantHits:  2,
			wantWaits: []time.Duration{time.Second},
			wantText:  "fine",
		},
		{
			name:     "error after the first chunk is not retried; the partial text was emitted",
			kind:     ProviderOpenAI,
			handlers: []http.HandlerFunc{sse(oaRole, oaText("Part"), `data: {"error":{"message":"boom","type":"server_error"}}`+"\n\n"), okOpenAI},
			policy:   policy,
			wantHits: 1,
			wantText: "Part",
			wantKind: KindTransient,
			wantMsg:  "server_error: boom",
		},
		{
			name:      "Anthropic overloaded event before the first token is retried",
			kind:      ProviderAnthropic,
			handlers:  []http.HandlerFunc{sse(anStart(1), anPing, anError("overloaded_error", "Overloaded")), okAnthropic},
			policy:    policy,
			wantHits:  2,
			wantWaits: []time.Duration{time.Second},
			wantText:  "fine",
		},
		{
			name:     "Anthropic overloaded event after the first token fails with the partial text",
			kind:     ProviderAnthropic,
			handlers: []http.HandlerFunc{sse(anStart(1), anBlockStart, anText("Par"), anError("overloaded_error", "Overloaded")), okAnthropic},
			policy:   policy,
			wantHits: 1,
			wantText: "Par",
			wantKind: KindTransient,
			wantMsg:  "anthropic: the provider reported an error (overloaded_error: Overloaded)",
		},
		{
			name:      "Anthropic 529 honours Retry-After",
			kind:      ProviderAnthropic,
			handlers:  []http.HandlerFunc{status(529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, "Retry-After", "4"), okAnthropic},
			policy:    policy,
			wantHits:  2,
			wantWaits: []time.Duration{4 * time.Second},
			wantText:  "fine",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, tt.handlers...)
			base := up.URL()
			if tt.kind == ProviderOpenAI {
				base += "/v1"
			}
			spec := testSpec(tt.kind, base)
			var slept sleeps
			spec.Retry = tt.policy
			spec.Retry.Sleep = slept.sleep
			p, err := NewProvider(spec)
			if err != nil {
				t.Fatal(err)
			}
			text, _, err := streamAll(context.Background(), p, Request{Model: "m", Messages: []Message{{Role: "user", Content: "hi"}}})
			if text != tt.wantText {
				t.Errorf("emitted %q, want %q", text, tt.wantText)
			}
			if up.hits() != tt.wantHits {
				t.Errorf("upstream hit %d times, want %d", up.hits(), tt.wantHits)
			}
			if got := slept.got(); !reflect.DeepEqual(got, tt.wantWaits) && (len(got) > 0 || len(tt.wantWaits) > 0) {
				t.Errorf("waits = %v, want %v", got, tt.wantWaits)
			}
			if tt.wantKind == "" {
				if err != nil {
					t.Fatalf("Stream: %v", err)
				}
				return
			}
			if KindOf(err) != tt.wantKind {
				t.Fatalf("err = %v (kind %q), want kind %q", err, KindOf(err), tt.wantKind)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q\nwant it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestRetryConnectionRefused(t *testing.T) {
	spec := testSpec(ProviderOpenAI, closedPort(t)+"/v1")
	spec.Name = "ollama"
	var slept sleeps
	spec.Retry = RetryPolicy{MaxAttempts: 3, BaseDelay: 500 * time.Millisecond, Sleep: slept.sleep}
	p, err := NewProvider(spec)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = streamAll(context.Background(), p, Request{Model: "m"})
	if !IsTransient(err) || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Errorf("err = %v", err)
	}
	if want := []time.Duration{500 * time.Millisecond, time.Second}; !reflect.DeepEqual(slept.got(), want) {
		t.Errorf("waits = %v, want %v", slept.got(), want)
	}
}

func TestRetryStopsWhenCancelledWhileWaiting(t *testing.T) {
	up := newUpstream(t, status(503, `{}`))
	spec := testSpec(ProviderOpenAI, up.URL()+"/v1")
	ctx, cancel := context.WithCancel(context.Background())
	spec.Retry = RetryPolicy{MaxAttempts: 5, Sleep: func(ctx context.Context, d time.Duration) error {
		cancel() // Stop pressed during the backoff
		<-ctx.Done()
		return ctx.Err()
	}}
	p, err := NewProvider(spec)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = streamAll(ctx, p, Request{Model: "m"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if up.hits() != 1 {
		t.Errorf("upstream hit %d times after Stop, want 1", up.hits())
	}
}

func TestRetryPolicyBackoff(t *testing.T) {
	p := RetryPolicy{BaseDelay: time.Second, MaxDelay: 5 * time.Second}.withDefaults()
	var got []time.Duration
	for n := 1; n <= 5; n++ {
		got = append(got, p.backoff(n))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("backoff = %v, want %v", got, want)
	}
}

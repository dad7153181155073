package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestAnthropicStream(t *testing.T) {
	full := []string{anStart(25), anBlockStart, anPing, anText("Hello"), anPing, anText(", wörld"), anBlockStop, anDelta("end_turn", 15), anStop}
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		wantText   string
		wantUsage  *Usage
		wantFinish string
		wantErr    error
		wantKind   ErrorKind
		wantMsg    string // substring
	}{
		{
			name:       "complete with ping events",
			handler:    sse(full...),
			wantText:   "Hello, wörld",
			wantUsage:  &Usage{InputTokens: 25, OutputTokens: 15},
			wantFinish: "stop",
		},
		{
			name:       "max_tokens is a complete answer",
			handler:    sse(anStart(3), anBlockStart, anText("Hel"), anBlockStop, anDelta("max_tokens", 1), anStop),
			wantText:   "Hel",
			wantUsage:  &Usage{InputTokens: 3, OutputTokens: 1},
			wantFinish: "length",
		},
		{
			name:      "no message_stop",
			handler:   sse(anStart(25), anBlockStart, anText("Hello"), anBlockStop, anDelta("end_turn", 15)),
			wantText:  "Hello",
			wantUsage: &Usage{InputTokens: 25, OutputTokens: 15},
			wantErr:   ErrTruncated,
			wantKind:  KindTruncated,
			wantMsg:   "anthropic: stream ended before the provider finished the answer (no message_stop)",
		},
		{
			name:      "overloaded error event after the first token",
			handler:   sse(anStart(25), anBlockStart, anText("Part"), anPing, anError("overloaded_error", "Overloaded")),
			wantText:  "Part",
			wantUsage: &Usage{InputTokens: 25, OutputTokens: 1},
			wantKind:  KindTransient,
			wantMsg:   "anthropic: the provider reported an error (overloaded_error: Overloaded)",
		},
		{
			name:      "invalid request error event",
			handler:   sse(anStart(25), anError("invalid_request_error", "prompt is too long")),
			wantUsage: &Usage{InputTokens: 25, OutputTokens: 1},
			wantKind:  KindUpstream,
			wantMsg:   "invalid_request_error: prompt is too long",
		},
		{
			name:      "connection cut",
			handler:   cut(anStart(5)+anBlockStart+anText("Half"), true),
			wantText:  "Half",
			wantUsage: &Usage{InputTokens: 5, OutputTokens: 1},
			wantErr:   ErrTruncated,
			wantKind:  KindTruncated,
			wantMsg:   "connection was cut",
		},
		{
			name:     "529 overloaded before the stream",
			handler:  status(529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`),
			wantKind: KindTransient,
			wantMsg:  "anthropic: the server failed (529: Overloaded)",
		},
		{
			name:     "401",
			handler:  status(401, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`),
			wantKind: KindAuth,
			wantMsg:  `anthropic: the API key was rejected (401 Unauthorized); set a valid key for "anthropic" in Settings`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, tt.handler)
			p := mustAnthropic(t, testSpec(ProviderAnthropic, up.URL()))
			text, res, err := streamAll(context.Background(), p, Request{Model: "claude-test", Messages: []Message{{Role: "user", Content: "hi"}}})
			if text != tt.wantText {
				t.Errorf("emitted %q, want %q", text, tt.wantText)
			}
			if !reflect.DeepEqual(res.Usage, tt.wantUsage) {
				t.Errorf("usage = %+v, want %+v", res.Usage, tt.wantUsage)
			}
			if tt.wantKind == "" {
				if err != nil {
					t.Fatalf("Stream: %v", err)
				}
				if res.FinishReason != tt.wantFinish {
					t.Errorf("finish = %q, want %q", res.FinishReason, tt.wantFinish)
				}
				return
			}
			if err == nil {
				t.Fatal("Stream succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.wantErr)
			}
			if KindOf(err) != tt.wantKind {
				t.Errorf("kind = %q, want %q (err %v)", KindOf(err), tt.wantKind, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q\nwant it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestAnthropicRequestOnTheWire(t *testing.T) {
	temp := 0.0
	up := newUpstream(t, sse(anStart(1), anBlockStart, anText("ok"), anBlockStop, anDelta("end_turn", 1), anStop))
	s := testSpec(ProviderAnthropic, up.URL())
	s.Defaults = Params{Temperature: &temp}
	req := Request{
		Model:  "claude-test",
		System: "Be brief.",
		Messages: []Message{
			{Role: "system", Content: "Answer in English."},
			{Role: "user", Content: "Say hello"},
			{Role: "assistant", Content: "Hi"},
			{Role: "user", Content: "Again"},
		},
	}
	if _, _, err := streamAll(context.Background(), mustAnthropic(t, s), req); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	// A chat's own settings win over the provider's defaults.
	chatTemp, topP := 0.4, 0.8
	req.Temperature, req.TopP, req.MaxTokens = &chatTemp, &topP, 77
	if _, _, err := streamAll(context.Background(), mustAnthropic(t, s), req); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	var second map[string]any
	if err := json.Unmarshal(up.request(t, 1).Body, &second); err != nil {
		t.Fatal(err)
	}
	if second["temperature"] != 0.4 || second["top_p"] != 0.8 || second["max_tokens"] != 77.0 {
		t.Errorf("chat settings sent as temperature %v, top_p %v, max_tokens %v; want 0.4, 0.8, 77", second["temperature"], second["top_p"], second["max_tokens"])
	}
	r := up.request(t, 0)
	if r.Method != http.MethodPost || r.Path != "/v1/messages" {
		t.Errorf("request = %s %s, want POST /v1/messages", r.Method, r.Path)
	}
	if got := r.Header.Get("X-Api-Key"); got != "sk-test-key" {
		t.Errorf("X-Api-Key = %q", got)
	}
	if r.Header.Get("Anthropic-Version") == "" {
		t.Error("no anthropic-version header")
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"model":       "claude-test",
		"stream":      true,
		"max_tokens":  float64(DefaultAnthropicMaxTokens),
		"temperature": 0.0,
		"system":      []any{map[string]any{"type": "text", "text": "Be brief.\n\nAnswer in English."}},
		"messages": []any{
			map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "Say hello"}}},
			map[string]any{"role": "assistant", "content": []any{map[string]any{"type": "text", "text": "Hi"}}},
			map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "Again"}}},
		},
	}
	for k, v := range want {
		if !reflect.DeepEqual(body[k], v) {
			t.Errorf("body[%q] = %#v\nwant %#v", k, body[k], v)
		}
	}
}

func TestAnthropicContinueByPrefill(t *testing.T) {
	tests := []struct {
		name        string
		prefix      string
		history     []Message
		modelSays   []string
		wantPrefill string // "" means no assistant message is sent
		wantJoined  string
	}{
		{
			name:        "trailing space moves into the continuation",
			prefix:      "Once upon a time ",
			modelSays:   []string{" there", " was a fox."},
			wantPrefill: "Once upon a time",
			wantJoined:  "Once upon a time there was a fox.",
		},
		{
			name:        "paragraph break split over chunks",
			prefix:      "First part.\n\n",
			modelSays:   []string{"\n", "\nSecond", " part."},
			wantPrefill: "First part.",
			wantJoined:  "First part.\n\nSecond part.",
		},
		{
			name:        "model adds no whitespace: the user's stays",
			prefix:      "Hello ",
			modelSays:   []string{"world"},
			wantPrefill: "Hello",
			wantJoined:  "Hello world",
		},
		{
			name:        "no trailing whitespace: text passes through",
			prefix:      "The answer is 4",
			modelSays:   []string{"2."},
			wantPrefill: "The answer is 4",
			wantJoined:  "The answer is 42.",
		},
		{
			name:        "partial answer in history is not sent twice",
			prefix:      "Half",
			history:     []Message{{Role: "user", Content: "hi"}, {Role: "assistant", Content: "Half"}},
			modelSays:   []string{" done."},
			wantPrefill: "Half",
			wantJoined:  "Half done.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := []string{anStart(9), anBlockStart}
			for _, s := range tt.modelSays {
				parts = append(parts, anText(s))
			}
			parts = append(parts, anBlockStop, anDelta("end_turn", 4), anStop)
			up := newUpstream(t, sse(parts...))
			p := mustAnthropic(t, testSpec(ProviderAnthropic, up.URL()))
			if !p.CanContinue() {
				t.Fatal("CanContinue = false")
			}
			history := tt.history
			if history == nil {
				history = []Message{{Role: "user", Content: "hi"}}
			}
			text, _, err := streamAll(context.Background(), p, Request{Model: "claude-test", Messages: history, Prefix: tt.prefix})
			if err != nil {
				t.Fatalf("Stream: %v", err)
			}
			if tt.prefix+text != tt.wantJoined {
				t.Errorf("prefix + continuation = %q, want %q", tt.prefix+text, tt.wantJoined)
			}
			var body struct {
				Messages []struct {
					Role    string `json:"role"`
					Content []struct {
						Text string `json:"text"`
					} `json:"content"`
				} `json:"messages"`
			}
			if err := json.Unmarshal(up.request(t, 0).Body, &body); err != nil {
				t.Fatal(err)
			}
			if len(body.Messages) != 2 {
				t.Fatalf("sent %d messages, want the user turn and the prefill: %+v", len(body.Messages), body.Messages)
			}
			last := body.Messages[len(body.Messages)-1]
			if last.Role != "assistant" || len(last.Content) != 1 || last.Content[0].Text != tt.wantPrefill {
				t.Errorf("last message = %+v, want assistant prefill %q", last, tt.wantPrefill)
			}
		})
	}
}

func TestPrefillJoin(t *testing.T) {
	tests := []struct {
		prefix string
		model  []string
		want   string // what is emitted in total
	}{
		{"a ", []string{" b"}, "b"},
		{"a\n\n", []string{"\n\n", "b"}, "b"},
		{"a\n", []string{"\n\nb"}, "\nb"},     // model wants more: the extra is kept
		{"a\n\n", []string{"\nb"}, "b"},       // model wants less: the user's stays
		{"a ", []string{"\nb"}, "\nb"},        // different whitespace: both kept
		{"a ", []string{" ", " "}, " "},       // answer is whitespace only: flushed at the end
		{"   ", []string{" b"}, "b"},          // all-whitespace prefix: nothing to prefill
		{"", []string{"  b", " c"}, "  b c"},  // no prefix: untouched
		{"a", []string{" b", "  c"}, " b  c"}, // nothing trimmed
		{"x \t", []string{" \t", "y"}, "y"},   // mixed whitespace matched exactly
		{"x. ", []string{"", " ", "Next"}, "Next"},
	}
	for _, tt := range tests {
		j := newPrefillJoin(tt.prefix)
		var got strings.Builder
		for _, m := range tt.model {
			got.WriteString(j.feed(m))
		}
		got.WriteString(j.flush())
		if got.String() != tt.want {
			t.Errorf("prefix %q, model %q: emitted %q, want %q", tt.prefix, tt.model, got.String(), tt.want)
		}
	}
}

// The SDK reads ANTHROPIC_* variables in its defaults, each only on some
// paths of its credential chain; none may reach a request.
func TestAnthropicIgnoresEnvironment(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"api key and base URL", map[string]string{"ANTHROPIC_API_KEY": "sk-ant-junk", "ANTHROPIC_BASE_URL": "http://127.0.0.1:1"}},
		{"auth token", map[string]string{"ANTHROPIC_AUTH_TOKEN": "junk-token"}},
		{"custom headers", map[string]string{"ANTHROPIC_CUSTOM_HEADERS": "X-Junk: from-env"}},
		{"profile", map[string]string{"ANTHROPIC_PROFILE": "junk-profile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// An empty config dir keeps a real profile on this machine out.
			t.Setenv("ANTHROPIC_CONFIG_DIR", t.TempDir())
			for _, k := range []string{"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_CUSTOM_HEADERS", "ANTHROPIC_PROFILE"} {
				t.Setenv(k, tt.env[k])
			}
			up := newUpstream(t,
				sse(anStart(1), anBlockStart, anText("ok"), anBlockStop, anDelta("end_turn", 1), anStop),
				status(200, `{"data":[],"has_more":false,"first_id":null,"last_id":null}`))
			s := testSpec(ProviderAnthropic, up.URL())
			s.APIKey = "sk-ant-configured"
			p := mustAnthropic(t, s)
			if _, _, err := streamAll(context.Background(), p, Request{Model: "claude-test", Messages: []Message{{Role: "user", Content: "hi"}}}); err != nil {
				t.Fatalf("Stream: %v", err)
			}
			if _, err := p.Models(context.Background()); err != nil {
				t.Fatalf("Models: %v", err)
			}
			for i := range 2 {
				h := up.request(t, i).Header
				if got := h.Get("X-Api-Key"); got != "sk-ant-configured" {
					t.Errorf("request %d: X-Api-Key = %q", i, got)
				}
				if got := h.Get("Authorization"); got != "" {
					t.Errorf("request %d: Authorization = %q leaked from the environment", i, got)
				}
				for name, vals := range h {
					if strings.Contains(strings.Join(vals, " "), "junk") || strings.Contains(strings.Join(vals, " "), "from-env") {
						t.Errorf("request %d: header %s = %v carries an environment value", i, name, vals)
					}
				}
			}
		})
	}
}

func TestAnthropicModels(t *testing.T) {
	up := newUpstream(t,
		status(200, `{"data":[{"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}],"has_more":true,"first_id":"claude-sonnet-4-5","last_id":"claude-sonnet-4-5"}`),
		status(200, `{"data":[{"type":"model","id":"claude-haiku-4-5","display_name":"Claude Haiku 4.5","created_at":"2025-10-01T00:00:00Z"}],"has_more":false,"first_id":"claude-haiku-4-5","last_id":"claude-haiku-4-5"}`))
	p := mustAnthropic(t, testSpec("claude", up.URL()))
	got, err := p.Models(context.Background())
	if err != nil {
		t.Fatalf("Models: %v", err)
	}
	want := []Model{
		{ID: "claude-sonnet-4-5", Provider: "claude", Label: "Claude Sonnet 4.5"},
		{ID: "claude-haiku-4-5", Provider: "claude", Label: "Claude Haiku 4.5"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Models = %+v\nwant %+v", got, want)
	}
	if r := up.request(t, 1); r.Path != "/v1/models" || !strings.Contains(r.Query, "after_id=claude-sonnet-4-5") {
		t.Errorf("second page request = %s?%s, want /v1/models?…after_id=claude-sonnet-4-5", r.Path, r.Query)
	}
}

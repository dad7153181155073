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

func chatReq() Request {
	return Request{
		Model:    "gpt-test",
		System:   "Be brief.",
		Messages: []Message{{Role: "user", Content: "Say hello"}, {Role: "assistant", Content: "Hi"}, {Role: "user", Content: "Again"}},
	}
}

func TestOpenAIStream(t *testing.T) {
	errStop := errors.New("caller stopped reading")
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		emitErr    error // returned by emit on the first chunk
		wantText   string
		wantUsage  *Usage
		wantFinish string
		wantErr    error // errors.Is target; nil means success
		wantKind   ErrorKind
		wantInMsg  string
	}{
		{
			name:       "complete with usage chunk and [DONE]",
			handler:    sse(oaRole, oaText("Hel"), oaText("lo, "), oaText("wörld"), oaFinish("stop"), oaUsage(12, 3), oaDone),
			wantText:   "Hello, wörld",
			wantUsage:  &Usage{InputTokens: 12, OutputTokens: 3},
			wantFinish: "stop",
		},
		{
			name:       "finish by length is a complete answer",
			handler:    sse(oaRole, oaText("Hel"), oaFinish("length"), oaDone),
			wantText:   "Hel",
			wantFinish: "length",
		},
		{
			name:      "ends after finish_reason without [DONE]",
			handler:   sse(oaRole, oaText("Hello"), oaFinish("stop"), oaUsage(1, 1)),
			wantText:  "Hello",
			wantUsage: &Usage{InputTokens: 1, OutputTokens: 1},
			wantErr:   ErrTruncated,
			wantKind:  KindTruncated,
			wantInMsg: "no data: [DONE]",
		},
		{
			name:      "[DONE] without finish_reason",
			handler:   sse(oaRole, oaText("Hello"), oaDone),
			wantText:  "Hello",
			wantErr:   ErrTruncated,
			wantKind:  KindTruncated,
			wantInMsg: "no finish_reason",
		},
		{
			name:      "error object mid-stream",
			handler:   sse(oaRole, oaText("Partial "), `data: {"error":{"message":"The model is overloaded, try later","type":"server_error","param":null,"code":null}}`+"\n\n"),
			wantText:  "Partial ",
			wantKind:  KindTransient,
			wantInMsg: "openai: the provider reported an error (server_error: The model is overloaded, try later)",
		},
		{
			name:      "OpenRouter error with numeric code mid-stream",
			handler:   sse(oaRole, oaText("Part"), `data: {"error":{"code":502,"message":"Provider returned error"}}`+"\n\n"),
			wantText:  "Part",
			wantKind:  KindTransient,
			wantInMsg: "502 Bad Gateway: Provider returned error",
		},
		{
			name:      "connection cut inside a chunked answer",
			handler:   cut(oaRole+oaText("Half an ans"), true),
			wantText:  "Half an ans",
			wantErr:   ErrTruncated,
			wantKind:  KindTruncated,
			wantInMsg: "connection was cut",
		},
		{
			name:      "connection closed before the end",
			handler:   cut(oaRole+oaText("Half an ans"), false),
			wantText:  "Half an ans",
			wantErr:   ErrTruncated,
			wantKind:  KindTruncated,
			wantInMsg: "no finish_reason",
		},
		{
			name:     "emit error stops the stream",
			handler:  sse(oaRole, oaText("one"), oaText("two"), oaFinish("stop"), oaDone),
			emitErr:  errStop,
			wantText: "one",
			wantErr:  errStop,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, tt.handler)
			p := mustOpenAI(t, testSpec(ProviderOpenAI, up.URL()+"/v1"))
			var got strings.Builder
			res, err := p.Stream(context.Background(), chatReq(), func(c Chunk) error {
				got.WriteString(c.Text)
				return tt.emitErr
			})
			if got.String() != tt.wantText {
				t.Errorf("emitted %q, want %q", got.String(), tt.wantText)
			}
			if !reflect.DeepEqual(res.Usage, tt.wantUsage) {
				t.Errorf("usage = %+v, want %+v", res.Usage, tt.wantUsage)
			}
			if tt.wantErr == nil && tt.wantKind == "" {
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
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("err = %q, want it to contain %q", err.Error(), tt.wantInMsg)
			}
			if tt.wantKind != "" && !strings.HasPrefix(err.Error(), "openai: ") {
				t.Errorf("err = %q does not name the provider", err.Error())
			}
		})
	}
}

func TestOpenAIRequestOnTheWire(t *testing.T) {
	temp := 0.0 // zero is a real temperature when it comes from the defaults
	hot := 1.3
	tests := []struct {
		name     string
		base     func(up *upstream) string
		defaults Params
		req      func() Request
		want     map[string]any // top-level body fields
		absent   []string
	}{
		{
			name:     "local server gets max_tokens",
			base:     func(up *upstream) string { return up.URL() + "/v1" },
			defaults: Params{Temperature: &temp, MaxTokens: 300},
			req:      chatReq,
			want: map[string]any{
				"model": "gpt-test", "stream": true, "max_tokens": 300.0, "temperature": 0.0,
				"stream_options": map[string]any{"include_usage": true},
				"messages": []any{
					map[string]any{"role": "system", "content": "Be brief."},
					map[string]any{"role": "user", "content": "Say hello"},
					map[string]any{"role": "assistant", "content": "Hi"},
					map[string]any{"role": "user", "content": "Again"},
				},
			},
			absent: []string{"max_completion_tokens"},
		},
		{
			name:     "request values win over defaults",
			base:     func(up *upstream) string { return up.URL() + "/v1/" },
			defaults: Params{Temperature: &temp, MaxTokens: 300},
			req: func() Request {
				r := chatReq()
				t, p := 0.7, 0.9
				r.System, r.MaxTokens, r.Temperature, r.TopP = "", 50, &t, &p
				return r
			},
			want: map[string]any{"max_tokens": 50.0, "temperature": 0.7, "top_p": 0.9},
		},
		{
			name:     "a request's zero temperature is sent, not taken for unset",
			base:     func(up *upstream) string { return up.URL() + "/v1/" },
			defaults: Params{Temperature: &hot},
			req: func() Request {
				r := chatReq()
				zero := 0.0
				r.Temperature = &zero
				return r
			},
			want: map[string]any{"temperature": 0.0},
		},
		{
			name:   "no defaults sends neither",
			base:   func(up *upstream) string { return up.URL() + "/v1" },
			req:    chatReq,
			want:   map[string]any{"model": "gpt-test"},
			absent: []string{"max_tokens", "temperature", "top_p", "max_completion_tokens"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, sse(oaRole, oaText("ok"), oaFinish("stop"), oaDone))
			s := testSpec(ProviderOpenAI, tt.base(up))
			s.Defaults = tt.defaults
			if _, _, err := streamAll(context.Background(), mustOpenAI(t, s), tt.req()); err != nil {
				t.Fatalf("Stream: %v", err)
			}
			r := up.request(t, 0)
			if r.Method != http.MethodPost || r.Path != "/v1/chat/completions" {
				t.Errorf("request = %s %s, want POST /v1/chat/completions", r.Method, r.Path)
			}
			if got := r.Header.Get("Authorization"); got != "Bearer sk-test-key" {
				t.Errorf("Authorization = %q", got)
			}
			var body map[string]any
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatalf("body is not JSON: %v\n%s", err, r.Body)
			}
			for k, v := range tt.want {
				if !reflect.DeepEqual(body[k], v) {
					t.Errorf("body[%q] = %#v, want %#v", k, body[k], v)
				}
			}
			for _, k := range tt.absent {
				if _, ok := body[k]; ok {
					t.Errorf("body has %q = %v, want it absent", k, body[k])
				}
			}
		})
	}
}

// The SDK reads OPENAI_* variables in its defaults; none may reach a
// request.
func TestOpenAIIgnoresEnvironment(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-junk-from-env")
	t.Setenv("OPENAI_BASE_URL", closedPort(t)+"/v1")
	t.Setenv("OPENAI_ORG_ID", "org-junk")
	t.Setenv("OPENAI_PROJECT_ID", "proj-junk")
	t.Setenv("OPENAI_ADMIN_KEY", "admin-junk")
	t.Setenv("OPENAI_CUSTOM_HEADERS", "X-Junk: from-env")
	for _, key := range []string{"sk-configured", ""} {
		t.Run("key "+key, func(t *testing.T) {
			up := newUpstream(t, sse(oaRole, oaText("ok"), oaFinish("stop"), oaDone))
			s := testSpec(ProviderOpenAI, up.URL()+"/v1")
			s.APIKey = key
			if _, _, err := streamAll(context.Background(), mustOpenAI(t, s), chatReq()); err != nil {
				t.Fatalf("Stream: %v (the env base URL must not be used)", err)
			}
			h := up.request(t, 0).Header
			wantAuth := ""
			if key != "" {
				wantAuth = "Bearer " + key
			}
			if got := h.Get("Authorization"); got != wantAuth {
				t.Errorf("Authorization = %q, want %q", got, wantAuth)
			}
			for _, name := range []string{"OpenAI-Organization", "OpenAI-Project", "X-Junk"} {
				if v := h.Get(name); v != "" {
					t.Errorf("header %s = %q leaked from the environment", name, v)
				}
			}
			for name, vals := range h {
				if strings.Contains(strings.Join(vals, " "), "junk") {
					t.Errorf("header %s = %v carries an environment value", name, vals)
				}
			}
		})
	}
}

func TestOpenAIHTTPErrors(t *testing.T) {
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		wantKind ErrorKind
		wantMsg  string // exact, or substring when contains is set
		contains bool
		notIn    string
	}{
		{
			name:     "401 names the provider and the fix, not the key",
			handler:  status(401, `{"error":{"message":"Incorrect API key provided: sk-test-***-key. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`),
			wantKind: KindAuth,
			wantMsg:  `openai: the API key was rejected (401 Unauthorized); set a valid key for "openai" in Settings`,
			notIn:    "sk-test",
		},
		{
			name:     "403",
			handler:  status(403, `{"error":{"message":"You are not allowed to sample from this model","type":"invalid_request_error","code":null}}`),
			wantKind: KindAuth,
			wantMsg:  `openai: access was denied (403 Forbidden: You are not allowed to sample from this model); check that the key for "openai" in Settings may use this model`,
		},
		{
			name:     "429 quota is not transient",
			handler:  status(429, `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}`),
			wantKind: KindRequest,
			wantMsg:  "the account has no quota left (429 Too Many Requests: You exceeded your current quota)",
			contains: true,
		},
		{
			name:     "429 rate limit",
			handler:  status(429, `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`),
			wantKind: KindTransient,
			wantMsg:  "openai: rate limited (429 Too Many Requests: Rate limit reached)",
		},
		{
			name:     "500",
			handler:  status(500, `{"error":{"message":"The server had an error","type":"server_error"}}`),
			wantKind: KindTransient,
			wantMsg:  "openai: the server failed (500 Internal Server Error: The server had an error)",
		},
		{
			name:     "Ollama plain-text 404",
			handler:  status(404, "404 page not found", "Content-Type", "text/plain"),
			wantKind: KindRequest,
			wantMsg:  "openai: not found (404 Not Found: 404 page not found); check the model name and the base URL",
		},
		{
			name:     "vLLM top-level error",
			handler:  status(400, `{"object":"error","message":"This model's maximum context length is 4096 tokens","type":"BadRequestError","param":null,"code":400}`),
			wantKind: KindRequest,
			wantMsg:  "openai: the request was refused (400 Bad Request: This model's maximum context length is 4096 tokens)",
		},
		{
			name:     "error as a bare string",
			handler:  status(502, `{"error":"upstream connect error"}`),
			wantKind: KindTransient,
			wantMsg:  "openai: the server failed (502 Bad Gateway: upstream connect error)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, tt.handler)
			p := mustOpenAI(t, testSpec(ProviderOpenAI, up.URL()+"/v1"))
			text, _, err := streamAll(context.Background(), p, chatReq())
			if err == nil {
				t.Fatal("Stream succeeded, want an error")
			}
			if text != "" {
				t.Errorf("emitted %q from an error answer", text)
			}
			if KindOf(err) != tt.wantKind {
				t.Errorf("kind = %q, want %q", KindOf(err), tt.wantKind)
			}
			if tt.contains {
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("err = %q, want it to contain %q", err, tt.wantMsg)
				}
			} else if err.Error() != tt.wantMsg {
				t.Errorf("err = %q\nwant   %q", err, tt.wantMsg)
			}
			if tt.notIn != "" && strings.Contains(err.Error(), tt.notIn) {
				t.Errorf("err = %q contains %q", err, tt.notIn)
			}
			if tt.wantKind == KindAuth && !IsAuth(err) {
				t.Error("IsAuth = false")
			}
			// Models sees the same answer and classifies it the same way.
			if _, err := p.Models(context.Background()); KindOf(err) != tt.wantKind {
				t.Errorf("Models: kind = %q (%v), want %q", KindOf(err), err, tt.wantKind)
			}
		})
	}
}

func TestOpenAIConnectionRefused(t *testing.T) {
	base := closedPort(t)
	p := mustOpenAI(t, testSpec("ollama", base+"/v1"))
	_, _, err := streamAll(context.Background(), p, chatReq())
	if !IsTransient(err) {
		t.Fatalf("err = %v (kind %q), want transient", err, KindOf(err))
	}
	want := "ollama: could not connect to " + base + "/v1 (connection refused); is the server running?"
	if err.Error() != want {
		t.Errorf("err = %q\nwant   %q", err, want)
	}
}

func TestOpenAIRefusesToContinue(t *testing.T) {
	// continuation = "none": refused before anything is sent.
	up := newUpstream(t, sse(oaRole, oaFinish("stop"), oaDone))
	s := testSpec(ProviderOpenAI, up.URL()+"/v1")
	s.Continuation = ContinueNone
	p := mustOpenAI(t, s)
	if p.CanContinue() {
		t.Error("CanContinue = true")
	}
	req := chatReq()
	req.Prefix = "Already shown"
	_, _, err := streamAll(context.Background(), p, req)
	if !errors.Is(err, ErrCannotContinue) || KindOf(err) != KindRequest {
		t.Fatalf("err = %v, want ErrCannotContinue of kind request", err)
	}
	if up.hits() != 0 {
		t.Errorf("the upstream was asked %d times, want 0", up.hits())
	}
	// auto on a server that does not say what it is: it is asked (GETs
	// only), and nothing is posted.
	p = mustOpenAI(t, testSpec(ProviderOpenAI, up.URL()+"/v1"))
	_, _, err = streamAll(context.Background(), p, req)
	if !errors.Is(err, ErrCannotContinue) {
		t.Fatalf("auto on an unknown server: err = %v", err)
	}
	for i := 0; i < up.hits(); i++ {
		if r := up.request(t, i); r.Method != http.MethodGet {
			t.Errorf("request %d: %s %s", i, r.Method, r.Path)
		}
	}
}

func TestOpenAIModels(t *testing.T) {
	up := newUpstream(t, status(200, `{"object":"list","data":[{"id":"llama3.2:3b","object":"model","created":1,"owned_by":"library"},{"id":"gpt-4o-mini","object":"model","created":1,"owned_by":"openai"}]}`))
	p := mustOpenAI(t, testSpec("local", up.URL()+"/v1"))
	got, err := p.Models(context.Background())
	if err != nil {
		t.Fatalf("Models: %v", err)
	}
	want := []Model{
		{ID: "gpt-4o-mini", Provider: "local", Label: "gpt-4o-mini"},
		{ID: "llama3.2:3b", Provider: "local", Label: "llama3.2:3b"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Models = %+v\nwant %+v", got, want)
	}
	if r := up.request(t, 0); r.Method != http.MethodGet || r.Path != "/v1/models" {
		t.Errorf("request = %s %s, want GET /v1/models", r.Method, r.Path)
	}

	s := testSpec("local", up.URL()+"/v1")
	s.Models = []string{"only-this"}
	got, err = mustOpenAI(t, s).Models(context.Background())
	if err != nil || !reflect.DeepEqual(got, []Model{{ID: "only-this", Provider: "local", Label: "only-this"}}) {
		t.Errorf("configured Models = %+v, %v", got, err)
	}
	if up.hits() != 1 {
		t.Errorf("configured models asked the server: %d requests", up.hits())
	}
}

func TestNewProviderRejectsBadSpecs(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"empty name", Spec{Kind: ProviderOpenAI}, "provider name is empty"},
		{"slash in name", Spec{Name: "a/b", Kind: ProviderOpenAI}, `contains "/"`},
		{"unknown kind", Spec{Name: "x", Kind: "gemini"}, `unknown kind "gemini"`},
		{"bad base", Spec{Name: "x", Kind: ProviderAnthropic, BaseURL: "ftp://host"}, "is not an http(s) URL"},
		{"relative base", Spec{Name: "x", Kind: ProviderOpenAI, BaseURL: "localhost:11434"}, "is not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewProvider(tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestSpecNeverShowsKey(t *testing.T) {
	s := Spec{Name: "openai", Kind: ProviderOpenAI, APIKey: "sk-secret-123"}
	for _, out := range []string{s.String(), s.LogValue().String()} {
		if strings.Contains(out, "sk-secret-123") {
			t.Errorf("%q shows the key", out)
		}
	}
}

package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// collected is everything a Stream emitted.
type collected struct {
	text, reasoning strings.Builder
	signature       string
	signed          bool
	chunks          int
}

func collectAll(ctx context.Context, p Provider, req Request) (*collected, Result, error) {
	c := &collected{}
	res, err := p.Stream(ctx, req, func(ch Chunk) error {
		c.chunks++
		c.text.WriteString(ch.Text)
		c.reasoning.WriteString(ch.Reasoning)
		if ch.Signed {
			c.signature, c.signed = ch.Signature, true
		}
		return nil
	})
	return c, res, err
}

func compatSpec(name, base, continuation string) Spec {
	s := testSpec(ProviderOpenAI, base)
	s.Name, s.Continuation = name, continuation
	return s
}

var hi = []Message{{Role: "user", Content: "Hi"}}

func TestContinuationDetection(t *testing.T) {
	tests := []struct {
		name       string
		routes     map[string]http.HandlerFunc
		path       string // base URL path
		wantServer string
		wantMode   string
		wantVer    string
	}{
		{"llama.cpp answers /props", fakeLlamaCpp{model: chatModel}.routes(), "/v1", "llama.cpp", ContinuePrefill, llamaFingerprint},
		{"Ollama answers /api/version", fakeOllama{model: chatModel}.routes(), "/v1", "ollama", ContinuePrefill, "0.13.5"},
		{"vLLM answers /version", fakeVLLM{model: chatModel}.routes(), "/v1", "vllm", ContinueFinalMessage, "0.11.0"},
		{"LM Studio answers its model API", map[string]http.HandlerFunc{
			"GET /api/v0/models": func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, `{"object":"list","data":[{"id":"qwen2.5-7b-instruct","object":"model","type":"llm","publisher":"lmstudio-community","arch":"qwen2","compatibility_type":"gguf","quantization":"Q4_K_M","state":"loaded","max_context_length":32768}]}`)
			},
		}, "/v1", "lmstudio", ContinuePrefill, ""},
		{"a server that says nothing", map[string]http.HandlerFunc{
			"GET /v1/models": func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"object":"list","data":[]}`) },
		}, "/v1", "unknown", ContinueNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, tt.routes)
			cache := NewDetectCache()
			s := compatSpec("local", f.srv.URL+tt.path, "")
			s.Detect = cache
			p := mustOpenAI(t, s)
			c := p.Continuation(context.Background())
			if c.Server != tt.wantServer || c.Mode != tt.wantMode || c.Version != tt.wantVer || c.Setting != ContinueAuto || c.Unsure {
				t.Fatalf("continuation = %+v; want server %q mode %q version %q", c, tt.wantServer, tt.wantMode, tt.wantVer)
			}
			if c.Reason == "" || c.DetectedAt.IsZero() {
				t.Errorf("no reason or time: %+v", c)
			}
			asked := len(f.got)
			// Asked once: a second question, and a provider rebuilt with
			// the same cache (config.toml changed), ask nothing.
			p.Continuation(context.Background())
			mustOpenAI(t, s).Continuation(context.Background())
			if len(f.got) != asked {
				t.Errorf("the server was asked %d more times", len(f.got)-asked)
			}
			if p.CanContinue() != c.CanContinue() {
				t.Errorf("CanContinue() = %v, want the detected %v", p.CanContinue(), c.CanContinue())
			}
		})
	}
}

// refuseTransport fails the test if a request is made.
type refuseTransport struct{ t *testing.T }

func (r refuseTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.t.Errorf("unexpected request to %s", req.URL)
	return nil, errors.New("no network in this test")
}

func TestContinuationOfHostedAPIs(t *testing.T) {
	tests := []struct {
		base, server, mode string
	}{
		{"https://api.openai.com/v1", "openai", ContinueNone},
		{"https://api.deepseek.com/v1", "deepseek", ContinueNone},
		{"https://api.deepseek.com/beta", "deepseek", ContinuePrefix},
	}
	for _, tt := range tests {
		s := compatSpec("hosted", tt.base, "")
		s.HTTPClient = &http.Client{Transport: refuseTransport{t}}
		p := mustOpenAI(t, s)
		c := p.Continuation(context.Background())
		if c.Server != tt.server || c.Mode != tt.mode {
			t.Errorf("%s: %+v; want %s, %s", tt.base, c, tt.server, tt.mode)
		}
		if tt.mode == ContinueNone {
			// No continuation: refused before anything is sent.
			_, _, err := collectAll(context.Background(), p, Request{Model: "m", Messages: hi, Prefix: "Half"})
			if !errors.Is(err, ErrCannotContinue) || KindOf(err) != KindRequest || !strings.Contains(err.Error(), c.Reason) {
				t.Errorf("%s: err %v; want ErrCannotContinue with the reason", tt.base, err)
			}
		}
	}
}

func TestContinuationUnreachableIsNotCached(t *testing.T) {
	base := closedPort(t)
	p := mustOpenAI(t, compatSpec("gone", base+"/v1", ""))
	c := p.Continuation(context.Background())
	if !c.Unsure || c.CanContinue() || !strings.Contains(c.Reason, "could not reach") {
		t.Fatalf("continuation = %+v; want an unsure none", c)
	}
	// The server comes up on that address: the next question finds it.
	f := newFakeServer(t, fakeOllama{model: chatModel}.routes())
	p2 := mustOpenAI(t, Spec{Name: "gone", Kind: ProviderOpenAI, BaseURL: f.srv.URL + "/v1", Timeouts: testTimeouts(), Detect: p.detect})
	if got := p2.Continuation(context.Background()); got.Server != "ollama" {
		t.Fatalf("after the server came up: %+v", got)
	}
}

func TestContinuationSettingWins(t *testing.T) {
	s := compatSpec("x", "http://127.0.0.1:1/v1", ContinueFinalMessage)
	s.HTTPClient = &http.Client{Transport: refuseTransport{t}}
	c := mustOpenAI(t, s).Continuation(context.Background())
	if c.Mode != ContinueFinalMessage || c.Setting != ContinueFinalMessage || c.Server != "" {
		t.Fatalf("%+v", c)
	}
	if _, err := NewOpenAI(compatSpec("x", "http://127.0.0.1:1/v1", "sometimes")); err == nil || !strings.Contains(err.Error(), "continuation") {
		t.Fatalf("a bad setting was accepted: %v", err)
	}
}

// TestContinueOnEachServer interrupts the tiny model's answer at various
// points and continues it on each fake server: the continuation must
// complete the answer with the earlier text exactly once.
func TestContinueOnEachServer(t *testing.T) {
	const chatFull = "Hello, world! This is a tiny model."
	tests := []struct {
		name      string
		routes    map[string]http.HandlerFunc
		path      string // base URL path
		setting   string
		anthropic bool
		req       Request // its partial answer
		wantText  string  // the whole answer after continuing
		wantReas  string  // the whole reasoning after continuing
		wantSent  func(t *testing.T, body map[string]any)
	}{
		{
			name: "llama.cpp, auto: prefill; the repeated prefix is removed", routes: fakeLlamaCpp{model: chatModel}.routes(), path: "/v1",
			req: Request{Prefix: "Hello, world"}, wantText: chatFull,
			wantSent: func(t *testing.T, b map[string]any) {
				if _, ok := b["continue_final_message"]; ok {
					t.Error("prefill sent continue_final_message")
				}
			},
		},
		{
			name: "llama.cpp, continue_final_message: no repeat", routes: fakeLlamaCpp{model: chatModel}.routes(), path: "/v1", setting: ContinueFinalMessage,
			req: Request{Prefix: "Hello, world! This is"}, wantText: chatFull,
			wantSent: func(t *testing.T, b map[string]any) {
				if b["continue_final_message"] != true || b["add_generation_prompt"] != false {
					t.Errorf("body %v lacks continue_final_message/add_generation_prompt", b)
				}
			},
		},
		{
			name: "llama.cpp, interrupted while reasoning: reasoning_content continues", routes: fakeLlamaCpp{model: thinkModel}.routes(), path: "/v1",
			req: Request{PrefixReasoning: "Let me"}, wantReas: "Let me think.\n", wantText: "The answer is 42.",
			wantSent: func(t *testing.T, b map[string]any) {
				last := lastMessage(b)
				if last["reasoning_content"] != "Let me" || last["content"] != "" {
					t.Errorf("last message %v", last)
				}
			},
		},
		{
			name: "llama.cpp, interrupted in the answer of a reasoning model", routes: fakeLlamaCpp{model: thinkModel}.routes(), path: "/v1",
			req: Request{Prefix: "The answer", PrefixReasoning: "Let me think.\n"}, wantReas: "Let me think.\n", wantText: "The answer is 42.",
		},
		{
			name: "llama.cpp Anthropic endpoint: the repeated prefix is removed", routes: fakeLlamaCpp{model: chatModel}.routes(), anthropic: true,
			req: Request{Prefix: "Hello, world"}, wantText: chatFull,
		},
		{
			name: "llama.cpp Anthropic endpoint, interrupted while thinking", routes: fakeLlamaCpp{model: thinkModel}.routes(), anthropic: true,
			req: Request{PrefixReasoning: "Let me"}, wantReas: "Let me think.\n", wantText: "The answer is 42.",
		},
		{
			name: "llama.cpp Anthropic endpoint, answer of a reasoning model, signed thinking sent back", routes: fakeLlamaCpp{model: thinkModel}.routes(), anthropic: true,
			req: Request{Prefix: "The answer", PrefixReasoning: "Let me think.\n", PrefixSigned: true}, wantReas: "Let me think.\n", wantText: "The answer is 42.",
		},
		{
			name: "Ollama: trailing assistant continues", routes: fakeOllama{model: chatModel}.routes(), path: "/v1",
			req: Request{Prefix: "Hello, world!"}, wantText: chatFull,
		},
		{
			name: "Ollama, interrupted while thinking: reasoning field continues", routes: fakeOllama{model: thinkModel}.routes(), path: "/v1",
			req: Request{PrefixReasoning: "Let me think"}, wantReas: "Let me think.\n", wantText: "The answer is 42.",
			wantSent: func(t *testing.T, b map[string]any) {
				if last := lastMessage(b); last["reasoning"] != "Let me think" {
					t.Errorf("last message %v", last)
				}
			},
		},
		{
			name: "vLLM, auto: continue_final_message", routes: fakeVLLM{model: chatModel}.routes(), path: "/v1",
			req: Request{Prefix: "Hello, world! This"}, wantText: chatFull,
			wantSent: func(t *testing.T, b map[string]any) {
				if b["continue_final_message"] != true || b["add_generation_prompt"] != false {
					t.Errorf("body %v", b)
				}
			},
		},
		{
			name: "vLLM, interrupted while reasoning: inline <think>", routes: fakeVLLM{model: thinkModel}.routes(), path: "/v1",
			req: Request{PrefixReasoning: "Let"}, wantReas: "Let me think.\n", wantText: "The answer is 42.",
			wantSent: func(t *testing.T, b map[string]any) {
				if last := lastMessage(b); last["content"] != "<think>\nLet" {
					t.Errorf("last message %v", last)
				}
			},
		},
		{
			name: "DeepSeek beta: prefix true", routes: fakeDeepSeek{model: chatModel}.routes(), path: "/beta",
			setting: ContinuePrefix, // auto knows DeepSeek by its host; this fake is on loopback
			req:     Request{Prefix: "Hello, world! This is a"}, wantText: chatFull,
			wantSent: func(t *testing.T, b map[string]any) {
				if last := lastMessage(b); last["prefix"] != true || last["role"] != "assistant" {
					t.Errorf("last message %v", last)
				}
			},
		},
		{
			name: "DeepSeek reasoner, interrupted while reasoning", routes: fakeDeepSeek{model: thinkModel}.routes(), path: "/beta", setting: ContinuePrefix,
			req: Request{PrefixReasoning: "Let me"}, wantReas: "Let me think.\n", wantText: "The answer is 42.",
		},
		{
			name: "Anthropic: prefill", routes: fakeAnthropic{model: chatModel}.routes(), anthropic: true,
			req: Request{Prefix: "Hello, world! "}, wantText: "Hello, world! This is a tiny model.",
		},
		{
			name: "Anthropic: signed thinking goes back with the prefill", routes: fakeAnthropic{model: thinkModel}.routes(), anthropic: true,
			req: Request{Prefix: "The answer", PrefixReasoning: "Let me think.\n", PrefixSignature: fakeSignature, PrefixSigned: true}, wantReas: "Let me think.\n", wantText: "The answer is 42.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, tt.routes)
			var p Provider
			if tt.anthropic {
				p = mustAnthropic(t, testSpec(ProviderAnthropic, f.srv.URL))
			} else {
				p = mustOpenAI(t, compatSpec("local", f.srv.URL+tt.path, tt.setting))
			}
			if !CanContinue(context.Background(), p) {
				t.Fatalf("cannot continue: %+v", ContinuationOf(context.Background(), p))
			}
			req := tt.req
			req.Model, req.Messages = "tiny", hi
			got, res, err := collectAll(context.Background(), p, req)
			if err != nil {
				t.Fatalf("Stream: %v", err)
			}
			if text := req.Prefix + got.text.String(); text != tt.wantText {
				t.Errorf("answer %q, want %q", text, tt.wantText)
			}
			if reas := req.PrefixReasoning + got.reasoning.String(); reas != tt.wantReas {
				t.Errorf("reasoning %q, want %q", reas, tt.wantReas)
			}
			if res.FinishReason != "stop" {
				t.Errorf("finish %q", res.FinishReason)
			}
			if tt.wantSent != nil {
				var bodies [][]byte
				for _, path := range []string{"/v1/chat/completions", "/beta/chat/completions"} {
					bodies = append(bodies, f.posts(path)...)
				}
				if len(bodies) != 1 {
					t.Fatalf("%d chat requests", len(bodies))
				}
				var b map[string]any
				if err := json.Unmarshal(bodies[0], &b); err != nil {
					t.Fatal(err)
				}
				tt.wantSent(t, b)
			}
		})
	}
}

func lastMessage(body map[string]any) map[string]any {
	msgs, _ := body["messages"].([]any)
	if len(msgs) == 0 {
		return nil
	}
	m, _ := msgs[len(msgs)-1].(map[string]any)
	return m
}

// TestContinueThatStartsANewTurn: a server that claims a continuation mode
// but starts a new answer instead (here vLLM set to "prefill", which it
// does not do; llama.cpp with --no-prefill-assistant alike). The
// continuation repeats the answer's beginning and departs from the
// prefix: it fails with ErrNewTurn and emits nothing.
func TestContinueThatStartsANewTurn(t *testing.T) {
	for _, tt := range []struct {
		name   string
		routes map[string]http.HandlerFunc
	}{
		{"vLLM told prefill", fakeVLLM{model: chatModel}.routes()},
		{"llama.cpp --no-prefill-assistant", fakeLlamaCpp{model: chatModel, noPrefill: true}.routes()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, tt.routes)
			p := mustOpenAI(t, compatSpec("local", f.srv.URL+"/v1", ContinuePrefill))
			got, _, err := collectAll(context.Background(), p, Request{Model: "tiny", Messages: hi, Prefix: "Hello, world! This was"})
			if !errors.Is(err, ErrNewTurn) || KindOf(err) != KindNewTurn {
				t.Fatalf("err %v; want ErrNewTurn", err)
			}
			if got.chunks != 0 {
				t.Fatalf("emitted %q before failing", got.text.String())
			}
			if !strings.Contains(err.Error(), "regenerate") {
				t.Errorf("the error does not say what to do: %v", err)
			}
		})
	}
	// A reasoning model answering afresh opens with reasoning.
	f := newFakeServer(t, fakeVLLM{model: thinkModel}.routes())
	p := mustOpenAI(t, compatSpec("local", f.srv.URL+"/v1", ContinuePrefill))
	_, _, err := collectAll(context.Background(), p, Request{Model: "tiny", Messages: hi, Prefix: "The answer"})
	if !errors.Is(err, ErrNewTurn) {
		t.Fatalf("reasoning first: err %v; want ErrNewTurn", err)
	}
}

func TestReasoningStreams(t *testing.T) {
	inline := func(w http.ResponseWriter, r *http.Request) {
		// A server that leaves the reasoning inline (llama.cpp with
		// --reasoning-format none, older Ollama templates), with the tags
		// split across chunks.
		send := sseStart(w)
		for _, s := range []string{"<thi", "nk>\nLet me", " think.\n</th", "ink>\n\nThe answer", " is 42."} {
			send(oaText(s))
		}
		send(oaFinish("stop"))
		send(oaDone)
	}
	// llama.cpp with reasoning_format "none" (capture 53 against the real
	// b10587): the template's opening "<think>\n" is put in front of the
	// first content delta, the tags and the blank line are deltas of
	// their own.
	llamaInline := func(w http.ResponseWriter, r *http.Request) {
		send := sseStart(w)
		chunk := func(delta, finish string) {
			send(`data: {"choices":[{"finish_reason":` + finish + `,"index":0,"delta":` + delta + `}],"created":1796164132,"id":"chatcmpl-wN09JJlZBFRptsAxZQYjFStCJg8cleSy","model":"tiny-think.gguf","system_fingerprint":"b10587-3f545becc","object":"chat.completion.chunk"}` + "\n\n")
		}
		chunk(`{"role":"assistant","content":null}`, "null")
		for _, s := range []string{"<think>\nLet", " me", " think", ".\n", "</think>", "\n\n", "The", " answer", " is", " 42", "."} {
			chunk(`{"content":`+quoteJSON(s)+`}`, "null")
		}
		chunk(`{}`, `"stop"`)
		send("data: [DONE]\n\n")
	}
	tests := []struct {
		name      string
		routes    map[string]http.HandlerFunc
		path      string
		anthropic bool
		wantSig   bool
	}{
		{"llama.cpp reasoning_format none: <think> inline", map[string]http.HandlerFunc{"POST /v1/chat/completions": llamaInline}, "/v1", false, false},
		{"llama.cpp reasoning_content", fakeLlamaCpp{model: thinkModel}.routes(), "/v1", false, false},
		{"Ollama reasoning", fakeOllama{model: thinkModel}.routes(), "/v1", false, false},
		{"vLLM reasoning", fakeVLLM{model: thinkModel}.routes(), "/v1", false, false},
		{"DeepSeek reasoning_content with nulls", fakeDeepSeek{model: thinkModel}.routes(), "", false, false},
		{"inline <think> split across chunks", map[string]http.HandlerFunc{"POST /v1/chat/completions": inline}, "/v1", false, false},
		{"Anthropic thinking deltas and signature", fakeAnthropic{model: thinkModel}.routes(), "", true, true},
		{"llama.cpp Anthropic endpoint: signature after the text", fakeLlamaCpp{model: thinkModel}.routes(), "", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, tt.routes)
			var p Provider
			if tt.anthropic {
				p = mustAnthropic(t, testSpec(ProviderAnthropic, f.srv.URL))
			} else {
				p = mustOpenAI(t, compatSpec("local", f.srv.URL+tt.path, ContinueNone))
			}
			got, res, err := collectAll(context.Background(), p, Request{Model: "tiny", Messages: hi})
			if err != nil {
				t.Fatal(err)
			}
			reas := strings.TrimSpace(got.reasoning.String())
			if reas != "Let me think." || got.text.String() != "The answer is 42." || res.FinishReason != "stop" {
				t.Fatalf("reasoning %q text %q finish %q", got.reasoning.String(), got.text.String(), res.FinishReason)
			}
			if got.signed != tt.wantSig {
				t.Errorf("signed = %v, want %v", got.signed, tt.wantSig)
			}
			if tt.wantSig && strings.Contains(tt.name, "Anthropic thinking") && got.signature != fakeSignature {
				t.Errorf("signature %q", got.signature)
			}
		})
	}
}

func TestReasoningOnlyAnswerAtTheLengthLimit(t *testing.T) {
	f := newFakeServer(t, fakeLlamaCpp{model: thinkModel}.routes())
	p := mustOpenAI(t, compatSpec("local", f.srv.URL+"/v1", ""))
	got, res, err := collectAll(context.Background(), p, Request{Model: "tiny", Messages: hi, MaxTokens: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got.reasoning.String() != "Let me think" || got.text.String() != "" || res.FinishReason != "length" {
		t.Fatalf("reasoning %q text %q finish %q", got.reasoning.String(), got.text.String(), res.FinishReason)
	}
	if res.Usage == nil || res.Usage.OutputTokens != 3 {
		t.Errorf("usage %+v (timings in the usage chunk must not hide it)", res.Usage)
	}
	// Then it is continued: the reasoning goes on and the answer follows.
	got2, _, err := collectAll(context.Background(), p, Request{Model: "tiny", Messages: hi, PrefixReasoning: "Let me think"})
	if err != nil {
		t.Fatal(err)
	}
	if "Let me think"+got2.reasoning.String() != "Let me think.\n" || got2.text.String() != "The answer is 42." {
		t.Fatalf("continued: reasoning %q text %q", got2.reasoning.String(), got2.text.String())
	}
}

func TestLlamaCppInStreamErrors(t *testing.T) {
	for _, anthropic := range []bool{false, true} {
		f := newFakeServer(t, fakeLlamaCpp{model: chatModel, failAfter: 3}.routes())
		var p Provider
		if anthropic {
			p = mustAnthropic(t, testSpec(ProviderAnthropic, f.srv.URL))
		} else {
			p = mustOpenAI(t, compatSpec("local", f.srv.URL+"/v1", ""))
		}
		got, _, err := collectAll(context.Background(), p, Request{Model: "tiny", Messages: hi})
		if err == nil {
			t.Fatalf("anthropic=%v: no error", anthropic)
		}
		if got.text.String() != "Hello, world" {
			t.Errorf("anthropic=%v: partial text %q", anthropic, got.text.String())
		}
		if !strings.Contains(err.Error(), "Context size has been exceeded") || KindOf(err) != KindTransient {
			t.Errorf("anthropic=%v: err %v (kind %q); want the server's message, transient", anthropic, err, KindOf(err))
		}
	}
}

func TestLlamaCppRejectsTwoTrailingAssistants(t *testing.T) {
	// The partial answer is also the last history message: it is sent
	// once, never as a second trailing assistant message (a 400 there).
	f := newFakeServer(t, fakeLlamaCpp{model: chatModel}.routes())
	p := mustOpenAI(t, compatSpec("local", f.srv.URL+"/v1", ""))
	msgs := append(append([]Message{}, hi...), Message{Role: "assistant", Content: "Hello, world"})
	got, _, err := collectAll(context.Background(), p, Request{Model: "tiny", Messages: msgs, Prefix: "Hello, world"})
	if err != nil {
		t.Fatal(err)
	}
	if got.text.String() != "! This is a tiny model." {
		t.Fatalf("text %q", got.text.String())
	}
}

func TestCheck(t *testing.T) {
	f := newFakeServer(t, fakeLlamaCpp{model: chatModel}.routes())
	s := compatSpec("llama", f.srv.URL+"/v1", "")
	s.Models = []string{"whatever-name"}
	p, err := NewProvider(s)
	if err != nil {
		t.Fatal(err)
	}
	r := Check(context.Background(), p, "")
	if !r.OK || r.Error != "" {
		t.Fatalf("check failed: %+v", r)
	}
	if len(r.Models) != 1 || r.Models[0] != "tiny-chat.gguf" || r.Model != "whatever-name" {
		t.Errorf("models %v, model %q", r.Models, r.Model)
	}
	if r.FirstTokenMS == nil || r.Reply != "Hello" || r.FinishReason != "length" {
		t.Errorf("first token %v reply %q finish %q", r.FirstTokenMS, r.Reply, r.FinishReason)
	}
	if r.Continuation.Server != "llama.cpp" || r.Continuation.Mode != ContinuePrefill {
		t.Errorf("continuation %+v", r.Continuation)
	}
	if len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "only labels") {
		t.Errorf("no single-model note: %v", r.Notes)
	}

	// A server that is not there: the exact error, nothing OK.
	bad, _ := NewProvider(compatSpec("gone", closedPort(t)+"/v1", ""))
	r = Check(context.Background(), bad, "m")
	if r.OK || r.ModelsError == "" || !strings.Contains(r.Error, "connection refused") || r.ErrorKind != string(KindTransient) {
		t.Fatalf("unreachable: %+v", r)
	}
}

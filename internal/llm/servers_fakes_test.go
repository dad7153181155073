package llm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Fake OpenAI-compatible and Anthropic-compatible servers that continue
// answers the way the real ones do, quirks included. Each says which
// server and version it follows and where that behaviour comes from.
//
// Behind them all is a tiny deterministic "model" like the random-weight
// GGUF used to check llama.cpp by hand: its answer is a fixed chain of
// tokens; a prefill that ends on a token boundary of the chain continues
// it, anything else starts the chain over (a new answer).

// tinyModel is a fixed answer, optionally preceded by reasoning.
type tinyModel struct {
	reasoning []string
	answer    []string
}

var (
	chatModel  = tinyModel{answer: []string{"Hello", ",", " world", "!", " This", " is", " a", " tiny", " model", "."}}
	thinkModel = tinyModel{reasoning: []string{"Let", " me", " think", ".\n"}, answer: []string{"The", " answer", " is", " 42", "."}}
)

// after returns the tokens of seq that follow prefix, when prefix is a
// token boundary of seq.
func after(seq []string, prefix string) ([]string, bool) {
	acc := ""
	for i := 0; i <= len(seq); i++ {
		if acc == prefix {
			return seq[i:], true
		}
		if i == len(seq) || !strings.HasPrefix(prefix, acc) {
			break
		}
		acc += seq[i]
	}
	return nil, false
}

// piece is one streamed token of reasoning or answer.
type piece struct {
	reasoning bool
	text      string
}

// plan is what the model says given the partial answer it was handed
// (prefill text and reasoning), or the whole answer for a new turn.
func (m tinyModel) plan(prefill, prefillReasoning string, cont bool) []piece {
	var out []piece
	add := func(reasoning bool, toks []string) {
		for _, t := range toks {
			out = append(out, piece{reasoning, t})
		}
	}
	if !cont {
		add(true, m.reasoning)
		add(false, m.answer)
		return out
	}
	if prefill == "" && prefillReasoning != "" {
		if rest, ok := after(m.reasoning, prefillReasoning); ok {
			add(true, rest)
			add(false, m.answer)
			return out
		}
	}
	if rest, ok := after(m.answer, prefill); ok {
		add(false, rest)
		return out
	}
	add(true, m.reasoning) // not a continuation of the chain: it starts over
	add(false, m.answer)
	return out
}

// compatRequest is the part of a chat-completions body the fakes read.
type compatRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role             string `json:"role"`
		Content          string `json:"content"`
		ReasoningContent string `json:"reasoning_content"`
		Reasoning        string `json:"reasoning"`
		Prefix           bool   `json:"prefix"`
	} `json:"messages"`
	MaxTokens            *int  `json:"max_tokens"`
	ContinueFinalMessage *bool `json:"continue_final_message"`
	AddGenerationPrompt  *bool `json:"add_generation_prompt"`
	StreamOptions        struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

// fakeServer is an httptest server with handlers per path that records
// each request.
type fakeServer struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []recorded
}

func newFakeServer(t *testing.T, routes map[string]http.HandlerFunc) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.got = append(f.got, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		h, ok := routes[r.Method+" "+r.URL.Path]
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"message":"File Not Found","type":"not_found_error","code":404}}`)
			return
		}
		h(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// posts returns the bodies of the POST requests to path.
func (f *fakeServer) posts(path string) [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out [][]byte
	for _, r := range f.got {
		if r.Method == http.MethodPost && r.Path == path {
			out = append(out, r.Body)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func sseStart(w http.ResponseWriter) func(string) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	return func(s string) {
		_, _ = io.WriteString(w, s)
		w.(http.Flusher).Flush()
	}
}

// ---------------------------------------------------------------------------
// llama.cpp server

// fakeLlamaCpp follows llama.cpp's llama-server, build b10587 (commit
// 3f545bec, August 2026), as captured against the real server with a tiny
// random-weight model (see docs/providers.md):
//   - GET /props answers with default_generation_settings and build_info;
//     /version and /api/version are 404 not_found_error.
//   - A trailing assistant message is prefilled by default
//     (--no-prefill-assistant turns that off: noPrefill). The implicit
//     prefill REPEATS the prefill at the start of the first delta (the
//     reasoning too when reasoning_content was sent); an explicit
//     continue_final_message: true with add_generation_prompt: false does
//     not. continue_final_message without add_generation_prompt: false is a
//     400. Two trailing assistant messages are a 400.
//   - A prefilled message with reasoning_content and empty content
//     continues the reasoning.
//   - Reasoning streams as reasoning_content; the first chunk is
//     {"role":"assistant","content":null}; the usage chunk carries
//     "timings"; every chunk has system_fingerprint "b10587-3f545becc".
//   - An error while streaming is one `data: {"error":{…}}` line and the
//     end of the stream, without [DONE].
//   - Its Anthropic endpoint (POST /v1/messages) streams thinking blocks
//     as thinking_delta and closes them with an empty signature_delta
//     after the text block's deltas; it repeats the prefill the same way;
//     an error is `event: error` with the bare error object as data.
type fakeLlamaCpp struct {
	model     tinyModel
	noPrefill bool
	// failAfter > 0: after that many deltas the server reports an error.
	failAfter int
}

const llamaFingerprint = "b10587-3f545becc"

func (l fakeLlamaCpp) routes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /props": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"default_generation_settings":{"params":{"temperature":0.8,"max_tokens":-1,"n_predict":-1},"n_ctx":4096},"total_slots":4,"model_alias":"tiny-chat.gguf","model_path":"/models/tiny-chat.gguf","chat_template":"…","bos_token":"<|endoftext|>","eos_token":"<|im_end|>","build_info":"`+llamaFingerprint+`","is_sleeping":false}`)
		},
		"GET /v1/models": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"models":[{"name":"tiny-chat.gguf","model":"tiny-chat.gguf"}],"object":"list","data":[{"id":"tiny-chat.gguf","aliases":["tiny-chat.gguf"],"tags":[],"object":"model","created":1796163934,"owned_by":"llamacpp","meta":{"n_vocab":312,"n_ctx":4096}}]}`)
		},
		"POST /v1/chat/completions": l.chat,
		"POST /v1/messages":         l.messages,
	}
}

// turn works out what the server generates for a request, or the 400 it
// answers with.
func (l fakeLlamaCpp) turn(req compatRequest) (pieces []piece, echoText, echoReasoning string, badRequest string) {
	msgs := req.Messages
	n := len(msgs)
	cfm := req.ContinueFinalMessage != nil && *req.ContinueFinalMessage
	agp := req.AddGenerationPrompt == nil || *req.AddGenerationPrompt
	if cfm && agp {
		return nil, "", "", "Cannot set both add_generation_prompt and continue_final_message to true."
	}
	cont := n > 0 && msgs[n-1].Role == "assistant" && (cfm || !l.noPrefill)
	if cont && !cfm && n >= 2 && msgs[n-2].Role == "assistant" {
		return nil, "", "", "Cannot have 2 or more assistant messages at the end of the list."
	}
	if !cont {
		return l.model.plan("", "", false), "", "", ""
	}
	last := msgs[n-1]
	pieces = l.model.plan(last.Content, last.ReasoningContent, true)
	if !cfm { // the implicit prefill repeats what it was given
		echoText, echoReasoning = last.Content, last.ReasoningContent
		if last.Content != "" && echoReasoning != "" {
			echoReasoning += "\n" // the template re-renders the closed reasoning
		}
	}
	return pieces, echoText, echoReasoning, ""
}

// merged folds the echo into the first pieces the way llama.cpp's diff of
// the parsed message does: the first reasoning delta carries the reasoning
// echo, the first text delta the text echo plus the next token.
func merged(pieces []piece, echoText, echoReasoning string) []piece {
	if echoText == "" && echoReasoning == "" {
		return pieces
	}
	var out []piece
	for _, p := range pieces {
		if p.reasoning && echoReasoning != "" {
			p.text, echoReasoning = echoReasoning+p.text, ""
		}
		if !p.reasoning {
			if echoReasoning != "" {
				out = append(out, piece{true, echoReasoning})
				echoReasoning = ""
			}
			if echoText != "" {
				p.text, echoText = echoText+p.text, ""
			}
		}
		out = append(out, p)
	}
	return out
}

func (l fakeLlamaCpp) chat(w http.ResponseWriter, r *http.Request) {
	var req compatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, 500, `{"error":{"code":500,"message":"[json.exception.parse_error.101] parse error","type":"server_error"}}`)
		return
	}
	pieces, echoText, echoReasoning, bad := l.turn(req)
	if bad != "" {
		writeJSON(w, 400, `{"error":{"code":400,"message":`+quoteJSON(bad)+`,"type":"invalid_request_error"}}`)
		return
	}
	pieces = merged(pieces, echoText, echoReasoning)
	finish := "stop"
	if req.MaxTokens != nil && *req.MaxTokens < len(pieces) {
		pieces, finish = pieces[:*req.MaxTokens], "length"
	}
	send := sseStart(w)
	chunk := func(delta, finish string) string {
		f := "null"
		if finish != "" {
			f = `"` + finish + `"`
		}
		return `data: {"choices":[{"finish_reason":` + f + `,"index":0,"delta":` + delta + `}],"created":1796163964,"id":"chatcmpl-tiny","model":"tiny-chat.gguf","system_fingerprint":"` + llamaFingerprint + `","object":"chat.completion.chunk"}` + "\n\n"
	}
	send(chunk(`{"role":"assistant","content":null}`, ""))
	for i, p := range pieces {
		if l.failAfter > 0 && i == l.failAfter {
			send(`data: {"error":{"code":500,"message":"Context size has been exceeded.","type":"server_error"}}` + "\n\n")
			return
		}
		field := "content"
		if p.reasoning {
			field = "reasoning_content"
		}
		send(chunk(`{"`+field+`":`+quoteJSON(p.text)+`}`, ""))
	}
	send(chunk(`{}`, finish))
	if req.StreamOptions.IncludeUsage {
		send(fmt.Sprintf(`data: {"choices":[],"created":1796163964,"id":"chatcmpl-tiny","model":"tiny-chat.gguf","system_fingerprint":"`+llamaFingerprint+`","object":"chat.completion.chunk","usage":{"completion_tokens":%d,"prompt_tokens":95,"total_tokens":%d,"prompt_tokens_details":{"cached_tokens":0}},"timings":{"cache_n":0,"prompt_n":95,"prompt_ms":24.538,"prompt_per_token_ms":0.258,"prompt_per_second":3871.5,"predicted_n":%d,"predicted_ms":6.455,"predicted_per_token_ms":0.6455,"predicted_per_second":1549.2}}`+"\n\n", len(pieces), 95+len(pieces), len(pieces)))
	}
	send("data: [DONE]\n\n")
}

// anthropicRequest is the part of a Messages body the Anthropic-side
// fakes read.
type anthropicRequest struct {
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	MaxTokens int `json:"max_tokens"`
}

// anthropicBlocks reads a message's content (a string or blocks).
func anthropicBlocks(raw json.RawMessage) (text, thinking, signature string, signed bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, "", "", false
	}
	var blocks []struct {
		Type      string  `json:"type"`
		Text      string  `json:"text"`
		Thinking  string  `json:"thinking"`
		Signature *string `json:"signature"`
	}
	_ = json.Unmarshal(raw, &blocks)
	for _, b := range blocks {
		switch b.Type {
		case "text":
			text += b.Text
		case "thinking":
			thinking += b.Thinking
			if b.Signature != nil {
				signature, signed = *b.Signature, true
			}
		}
	}
	return text, thinking, signature, signed
}

func (l fakeLlamaCpp) messages(w http.ResponseWriter, r *http.Request) {
	var areq anthropicRequest
	if err := json.NewDecoder(r.Body).Decode(&areq); err != nil {
		writeJSON(w, 400, `{"error":{"code":400,"message":"invalid body","type":"invalid_request_error"}}`)
		return
	}
	// The server turns the body into a chat-completions request.
	var req compatRequest
	for _, m := range areq.Messages {
		text, thinking, _, _ := anthropicBlocks(m.Content)
		req.Messages = append(req.Messages, struct {
			Role             string `json:"role"`
			Content          string `json:"content"`
			ReasoningContent string `json:"reasoning_content"`
			Reasoning        string `json:"reasoning"`
			Prefix           bool   `json:"prefix"`
		}{Role: m.Role, Content: text, ReasoningContent: thinking})
	}
	pieces, echoText, echoReasoning, bad := l.turn(req)
	if bad != "" {
		writeJSON(w, 400, `{"error":{"code":400,"message":`+quoteJSON(bad)+`,"type":"invalid_request_error"}}`)
		return
	}
	pieces = merged(pieces, echoText, echoReasoning)
	stop := "end_turn"
	if areq.MaxTokens > 0 && areq.MaxTokens < len(pieces) {
		pieces, stop = pieces[:areq.MaxTokens], "max_tokens"
	}
	send := sseStart(w)
	ev := func(name, data string) { send("event: " + name + "\ndata: " + data + "\n\n") }
	ev("message_start", `{"type":"message_start","message":{"id":"chatcmpl-tiny","type":"message","role":"assistant","content":[],"model":"tiny-chat.gguf","stop_reason":null,"stop_sequence":null,"usage":{"cache_read_input_tokens":0,"input_tokens":23,"output_tokens":0}}}`)
	thinking, text := false, false
	for i, p := range pieces {
		if l.failAfter > 0 && i == l.failAfter {
			ev("error", `{"code":500,"message":"Context size has been exceeded.","type":"server_error"}`)
			return
		}
		if p.reasoning {
			if !thinking {
				ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}`)
				thinking = true
			}
			ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":`+quoteJSON(p.text)+`}}`)
			continue
		}
		idx := 0
		if thinking {
			idx = 1
		}
		if !text {
			ev("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"text","text":""}}`, idx))
			text = true
		}
		ev("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"text_delta","text":%s}}`, idx, quoteJSON(p.text)))
	}
	if thinking {
		ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":""}}`)
		ev("content_block_stop", `{"type":"content_block_stop","index":0}`)
	}
	if text {
		idx := 0
		if thinking {
			idx = 1
		}
		ev("content_block_stop", fmt.Sprintf(`{"type":"content_block_stop","index":%d}`, idx))
	}
	ev("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":%q,"stop_sequence":null},"usage":{"output_tokens":%d}}`, stop, len(pieces)))
	ev("message_stop", `{"type":"message_stop"}`)
}

// ---------------------------------------------------------------------------
// Ollama

// fakeOllama follows Ollama's OpenAI-compatible endpoint as its source
// shows it (github.com/ollama/ollama, openai/openai.go and
// template/template.go, August 2026; no real server here):
//   - GET /api/version answers {"version":"…"}; /props is a plain-text 404.
//   - A trailing assistant message is continued: the template is cut after
//     the last Response, so generation carries on inside it, without
//     repeating it. Its reasoning field becomes the message's Thinking,
//     which a thinking model continues.
//   - Deltas carry "reasoning" (not reasoning_content), role "assistant"
//     in every delta and system_fingerprint "fp_ollama".
type fakeOllama struct{ model tinyModel }

func (o fakeOllama) routes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /api/version": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"version":"0.13.5"}`)
		},
		"GET /v1/models": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"object":"list","data":[{"id":"qwen3:0.6b","object":"model","created":1700000000,"owned_by":"library"}]}`)
		},
		"POST /v1/chat/completions": o.chat,
	}
}

func (o fakeOllama) chat(w http.ResponseWriter, r *http.Request) {
	var req compatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, 400, `{"error":{"message":"invalid request","type":"invalid_request_error","param":null,"code":null}}`)
		return
	}
	n := len(req.Messages)
	cont := n > 0 && req.Messages[n-1].Role == "assistant"
	var pieces []piece
	if cont {
		pieces = o.model.plan(req.Messages[n-1].Content, req.Messages[n-1].Reasoning, true)
	} else {
		pieces = o.model.plan("", "", false)
	}
	send := sseStart(w)
	chunk := func(delta, finish string) string {
		f := "null"
		if finish != "" {
			f = `"` + finish + `"`
		}
		return `data: {"id":"chatcmpl-42","object":"chat.completion.chunk","created":1700000000,"model":"qwen3:0.6b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":` + delta + `,"finish_reason":` + f + `}]}` + "\n\n"
	}
	for _, p := range pieces {
		if p.reasoning {
			send(chunk(`{"role":"assistant","content":"","reasoning":`+quoteJSON(p.text)+`}`, ""))
		} else {
			send(chunk(`{"role":"assistant","content":`+quoteJSON(p.text)+`}`, ""))
		}
	}
	send(chunk(`{"role":"assistant","content":""}`, "stop"))
	if req.StreamOptions.IncludeUsage {
		send(fmt.Sprintf(`data: {"id":"chatcmpl-42","object":"chat.completion.chunk","created":1700000000,"model":"qwen3:0.6b","system_fingerprint":"fp_ollama","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":%d,"total_tokens":%d}}`+"\n\n", len(pieces), 11+len(pieces)))
	}
	send("data: [DONE]\n\n")
}

// ---------------------------------------------------------------------------
// vLLM

// fakeVLLM follows vLLM's OpenAI-compatible server as its documentation
// and serving code describe it (vllm-project/vllm,
// entrypoints/openai/serving_chat.py and protocol.py, v0.11; no real
// server here):
//   - GET /version answers {"version":"…"}.
//   - continue_final_message: true with add_generation_prompt: false
//     renders the final assistant message open-ended and the model
//     continues it; both true is a 400 (BadRequestError, vLLM's top-level
//     error shape). Without the flag a trailing assistant message is a
//     finished turn and the model starts a new answer.
//   - A reasoning parser streams reasoning as "reasoning"; content that
//     opens with "<think>\n" continues inside the reasoning (the chat
//     template renders it as it is).
type fakeVLLM struct{ model tinyModel }

func (v fakeVLLM) routes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /version": func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"version":"0.11.0"}`) },
		"GET /v1/models": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"object":"list","data":[{"id":"Qwen/Qwen3-0.6B","object":"model","created":1700000000,"owned_by":"vllm","root":"Qwen/Qwen3-0.6B","parent":null,"max_model_len":4096}]}`)
		},
		"POST /v1/chat/completions": v.chat,
	}
}

func (v fakeVLLM) chat(w http.ResponseWriter, r *http.Request) {
	var req compatRequest
	_ = json.NewDecoder(r.Body).Decode(&req)
	cfm := req.ContinueFinalMessage != nil && *req.ContinueFinalMessage
	agp := req.AddGenerationPrompt == nil || *req.AddGenerationPrompt
	if cfm && agp {
		writeJSON(w, 400, `{"object":"error","message":"Cannot set both continue_final_message and add_generation_prompt to True.","type":"BadRequestError","param":null,"code":400}`)
		return
	}
	n := len(req.Messages)
	var pieces []piece
	if cfm && n > 0 && req.Messages[n-1].Role == "assistant" {
		last := req.Messages[n-1].Content
		if rest, ok := strings.CutPrefix(last, "<think>\n"); ok {
			pieces = v.model.plan("", rest, true)
		} else {
			pieces = v.model.plan(last, "", true)
		}
	} else {
		pieces = v.model.plan("", "", false)
	}
	send := sseStart(w)
	chunk := func(delta, finish string) string {
		f := "null"
		if finish != "" {
			f = `"` + finish + `"`
		}
		return `data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1700000000,"model":"Qwen/Qwen3-0.6B","choices":[{"index":0,"delta":` + delta + `,"logprobs":null,"finish_reason":` + f + `}]}` + "\n\n"
	}
	send(chunk(`{"role":"assistant","content":""}`, ""))
	for _, p := range pieces {
		if p.reasoning {
			send(chunk(`{"reasoning":`+quoteJSON(p.text)+`}`, ""))
		} else {
			send(chunk(`{"content":`+quoteJSON(p.text)+`}`, ""))
		}
	}
	send(chunk(`{"content":""}`, "stop"))
	send(fmt.Sprintf(`data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1700000000,"model":"Qwen/Qwen3-0.6B","choices":[],"usage":{"prompt_tokens":12,"total_tokens":%d,"completion_tokens":%d}}`+"\n\n", 12+len(pieces), len(pieces)))
	send("data: [DONE]\n\n")
}

// ---------------------------------------------------------------------------
// DeepSeek

// fakeDeepSeek follows DeepSeek's API documentation (api-docs.deepseek.com:
// "Chat Prefix Completion (Beta)" and "Reasoning Model"; no real server
// here):
//   - Prefix completion needs the beta base URL (/beta/chat/completions)
//     and prefix: true on the last message, which must be the assistant's;
//     the model continues that message. A prefix on the regular endpoint
//     is a 400.
//   - deepseek-reasoner streams reasoning_content (content null), then
//     content (reasoning_content null). The last chunk carries usage.
type fakeDeepSeek struct{ model tinyModel }

func (d fakeDeepSeek) routes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"POST /beta/chat/completions": func(w http.ResponseWriter, r *http.Request) { d.chat(w, r, true) },
		"POST /chat/completions":      func(w http.ResponseWriter, r *http.Request) { d.chat(w, r, false) },
		"GET /models": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"object":"list","data":[{"id":"deepseek-chat","object":"model","owned_by":"deepseek"},{"id":"deepseek-reasoner","object":"model","owned_by":"deepseek"}]}`)
		},
	}
}

func (d fakeDeepSeek) chat(w http.ResponseWriter, r *http.Request, beta bool) {
	var req compatRequest
	_ = json.NewDecoder(r.Body).Decode(&req)
	n := len(req.Messages)
	prefix := n > 0 && req.Messages[n-1].Prefix
	if prefix && !beta {
		writeJSON(w, 400, `{"error":{"message":"The prefix parameter is only available in the beta API (base_url https://api.deepseek.com/beta)","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}`)
		return
	}
	var pieces []piece
	if prefix && req.Messages[n-1].Role == "assistant" {
		pieces = d.model.plan(req.Messages[n-1].Content, req.Messages[n-1].ReasoningContent, true)
	} else {
		pieces = d.model.plan("", "", false)
	}
	send := sseStart(w)
	for i, p := range pieces {
		delta := `{"content":` + quoteJSON(p.text) + `,"reasoning_content":null}`
		if p.reasoning {
			delta = `{"content":null,"reasoning_content":` + quoteJSON(p.text) + `}`
		}
		if i == 0 {
			delta = strings.Replace(delta, "{", `{"role":"assistant",`, 1)
		}
		send(`data: {"id":"5f2a","object":"chat.completion.chunk","created":1700000000,"model":"deepseek-reasoner","system_fingerprint":"fp_7e73fd9a08","choices":[{"index":0,"delta":` + delta + `,"logprobs":null,"finish_reason":null}]}` + "\n\n")
	}
	send(fmt.Sprintf(`data: {"id":"5f2a","object":"chat.completion.chunk","created":1700000000,"model":"deepseek-reasoner","system_fingerprint":"fp_7e73fd9a08","choices":[{"index":0,"delta":{"content":"","reasoning_content":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":13,"completion_tokens":%d,"total_tokens":%d,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":13}}`+"\n\n", len(pieces), 13+len(pieces)))
	send("data: [DONE]\n\n")
}

// ---------------------------------------------------------------------------
// Anthropic

// fakeAnthropic follows Anthropic's Messages streaming documentation
// (docs.anthropic.com, "Streaming Messages" and "Extended thinking", and
// the anthropic-sdk-go v1.84.0 event types; no real API here): a thinking
// block streams thinking_delta events and ends with one signature_delta
// before its content_block_stop, then the text block follows. A trailing
// assistant message is continued (prefill); thinking blocks sent back
// must carry the signature the API gave them.
type fakeAnthropic struct{ model tinyModel }

const fakeSignature = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"

func (a fakeAnthropic) routes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{"POST /v1/messages": a.messages}
}

func (a fakeAnthropic) messages(w http.ResponseWriter, r *http.Request) {
	var req anthropicRequest
	_ = json.NewDecoder(r.Body).Decode(&req)
	n := len(req.Messages)
	var pieces []piece
	if n > 0 && req.Messages[n-1].Role == "assistant" {
		text, thinking, sig, signed := anthropicBlocks(req.Messages[n-1].Content)
		if thinking != "" && (!signed || sig != fakeSignature) {
			writeJSON(w, 400, `{"type":"error","error":{"type":"invalid_request_error","message":"messages.1.content.0: Invalid `+"`signature`"+` in `+"`thinking`"+` block"}}`)
			return
		}
		pieces = a.model.plan(text, "", true)
	} else {
		pieces = a.model.plan("", "", false)
	}
	send := sseStart(w)
	ev := func(name, data string) { send("event: " + name + "\ndata: " + data + "\n\n") }
	ev("message_start", `{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","content":[],"model":"claude-test","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}`)
	idx, open, kind := 0, false, ""
	closeBlock := func() {
		if !open {
			return
		}
		if kind == "thinking" {
			ev("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"signature_delta","signature":%q}}`, idx, fakeSignature))
		}
		ev("content_block_stop", fmt.Sprintf(`{"type":"content_block_stop","index":%d}`, idx))
		idx++
		open = false
	}
	for _, p := range pieces {
		want := "text"
		if p.reasoning {
			want = "thinking"
		}
		if !open || kind != want {
			closeBlock()
			kind, open = want, true
			if want == "thinking" {
				ev("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"thinking","thinking":"","signature":""}}`, idx))
			} else {
				ev("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"text","text":""}}`, idx))
			}
		}
		if p.reasoning {
			ev("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"thinking_delta","thinking":%s}}`, idx, quoteJSON(p.text)))
		} else {
			ev("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"text_delta","text":%s}}`, idx, quoteJSON(p.text)))
		}
	}
	closeBlock()
	ev("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":%d}}`, len(pieces)))
	ev("message_stop", `{"type":"message_stop"}`)
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

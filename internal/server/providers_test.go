package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
)

// tinyLlama is a minimal stand-in for llama.cpp's llama-server (build
// b10587, as captured against the real one; the full fakes are in
// internal/llm): /props, one model, and a reasoning model whose answer is
// a fixed chain of tokens. A trailing assistant message is prefilled and
// repeated at the start of the answer, as the real server does. gate,
// when set, holds the answer back after that many tokens until released.
type tinyLlama struct {
	srv  *httptest.Server
	mu   sync.Mutex
	gate chan struct{}
	at   int
}

var (
	llamaReasoning = []string{"Let", " me", " think", ".\n"}
	llamaAnswer    = []string{"The", " answer", " is", " 42", "."}
)

func newTinyLlama(t *testing.T) *tinyLlama {
	l := &tinyLlama{}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "llama.cpp")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		switch r.URL.Path {
		case "/props":
			io.WriteString(w, `{"default_generation_settings":{"n_ctx":4096},"build_info":"b10587-3f545becc"}`)
		case "/v1/models":
			io.WriteString(w, `{"object":"list","data":[{"id":"tiny-think.gguf","object":"model","created":1,"owned_by":"llamacpp"}]}`)
		case "/v1/chat/completions":
			l.chat(w, r)
		default:
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"message":"File Not Found","type":"not_found_error","code":404}}`)
		}
	}))
	t.Cleanup(l.srv.Close)
	return l
}

func (l *tinyLlama) chat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Messages []struct {
			Role, Content    string
			ReasoningContent string `json:"reasoning_content"`
		}
		MaxTokens int `json:"max_tokens"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	type piece struct {
		field, text string
	}
	var pieces []piece
	for _, s := range llamaReasoning {
		pieces = append(pieces, piece{"reasoning_content", s})
	}
	for _, s := range llamaAnswer {
		pieces = append(pieces, piece{"content", s})
	}
	last := req.Messages[len(req.Messages)-1]
	if last.Role == "assistant" {
		// Continue after the prefill, repeating it first.
		done := strings.Join(llamaReasoning, "") + last.Content
		if last.Content == "" {
			done = last.ReasoningContent
		}
		acc := ""
		for i, p := range pieces {
			if acc == done {
				pieces = pieces[i:]
				break
			}
			acc += p.text
		}
		if last.Content != "" {
			pieces[0].text = last.Content + pieces[0].text
		} else {
			pieces[0].text = last.ReasoningContent + pieces[0].text
		}
	}
	finish := "stop"
	if req.MaxTokens > 0 && req.MaxTokens < len(pieces) {
		pieces, finish = pieces[:req.MaxTokens], "length"
	}
	w.Header().Set("Content-Type", "text/event-stream")
	send := func(s string) {
		io.WriteString(w, "data: "+s+"\n\n")
		w.(http.Flusher).Flush()
	}
	chunk := func(delta, finish string) string {
		return `{"choices":[{"finish_reason":` + finish + `,"index":0,"delta":` + delta + `}],"created":1,"id":"c","model":"tiny-think.gguf","system_fingerprint":"b10587-3f545becc","object":"chat.completion.chunk"}`
	}
	send(chunk(`{"role":"assistant","content":null}`, "null"))
	for _, p := range pieces {
		l.mu.Lock()
		gate := l.gate
		l.at++
		at := l.at
		l.mu.Unlock()
		if gate != nil && at > 3 {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		b, _ := json.Marshal(p.text)
		send(chunk(`{"`+p.field+`":`+string(b)+`}`, "null"))
	}
	send(chunk(`{}`, `"`+finish+`"`))
	send(fmt.Sprintf(`{"choices":[],"created":1,"id":"c","model":"tiny-think.gguf","object":"chat.completion.chunk","usage":{"completion_tokens":%d,"prompt_tokens":20,"total_tokens":%d},"timings":{"predicted_n":%d}}`, len(pieces), 20+len(pieces), len(pieces)))
	send("[DONE]")
}

type fullMessage struct {
	ID              string  `json:"id"`
	Content         string  `json:"content"`
	Status          string  `json:"status"`
	Reasoning       string  `json:"reasoning"`
	ReasoningChunks int     `json:"reasoning_chunks"`
	ReasoningMS     *int64  `json:"reasoning_ms"`
	FinishReason    string  `json:"finish_reason"`
	Usage           *usage  `json:"usage"`
	Signature       *string `json:"reasoning_signature"`
}

type usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

func TestProvidersAPIAndReasoning(t *testing.T) {
	h := start(t, time.Second, 1000)
	llama := newTinyLlama(t)
	h.jsonDo("PUT", "/api/config", fmt.Sprintf(`{"providers":[
		{"name":"llama","kind":"openai","base_url":%q},
		{"name":"gone","kind":"openai","base_url":"http://127.0.0.1:9/v1","models":["kept"]}]}`, llama.srv.URL+"/v1"), 200, nil)

	// The model picker: every provider, the unreachable one marked and
	// keeping its configured model.
	var models struct {
		Models []struct {
			ID, Provider string
		}
		Providers []struct {
			Name      string
			Kind      string
			Reachable bool
			Error     string
		}
	}
	h.jsonDo("GET", "/api/models", "", 200, &models)
	if len(models.Providers) != 3 || models.Providers[1].Name != "llama" || !models.Providers[1].Reachable ||
		models.Providers[2].Name != "gone" || models.Providers[2].Reachable || models.Providers[2].Error == "" {
		t.Fatalf("providers %+v", models.Providers)
	}
	ids := map[string]bool{}
	for _, m := range models.Models {
		ids[m.ID] = true
	}
	if !ids["llama/tiny-think.gguf"] || !ids["gone/kept"] {
		t.Fatalf("models %v", ids)
	}

	// How each continues, and why.
	var conts struct {
		Providers []struct {
			Name         string
			Continuation struct{ Setting, Mode, Server, Version, Reason string }
		}
	}
	h.jsonDo("GET", "/api/providers", "", 200, &conts)
	c := conts.Providers[1].Continuation
	if conts.Providers[1].Name != "llama" || c.Mode != "prefill" || c.Server != "llama.cpp" || c.Version != "b10587-3f545becc" || !strings.Contains(c.Reason, "/props") {
		t.Fatalf("continuations %+v", conts.Providers)
	}

	// The Test button.
	var check struct {
		OK           bool
		Models       []string
		FirstTokenMS *int64 `json:"first_token_ms"`
		Continuation struct{ Mode string }
		Notes        []string
		Error        string
	}
	h.jsonDo("POST", "/api/providers/llama/test", `{}`, 200, &check)
	if !check.OK || check.FirstTokenMS == nil || check.Continuation.Mode != "prefill" || len(check.Notes) != 1 {
		t.Fatalf("test %+v", check)
	}
	h.jsonDo("POST", "/api/providers/gone/test", ``, 200, &check)
	if check.OK || !strings.Contains(check.Error, "connection refused") {
		t.Fatalf("test of an unreachable provider %+v", check)
	}
	if resp, _ := h.do("POST", "/api/providers/nope/test", `{}`); resp.StatusCode != 404 {
		t.Fatalf("test of an unknown provider: %d", resp.StatusCode)
	}

	// A reasoning answer, held after three tokens and stopped there, then
	// continued: reasoning and text each exactly once, events numbered
	// without gap.
	llama.mu.Lock()
	llama.gate, llama.at = make(chan struct{}), 0
	llama.mu.Unlock()
	var sess session
	h.jsonDo("POST", "/api/sessions", `{"model":"llama/tiny-think.gguf"}`, 201, &sess)
	var health struct{ Epoch string }
	h.jsonDo("GET", "/api/health", "", 200, &health)
	r := ssetest.Open(t, h.base, token, ssetest.Options{LastEventID: health.Epoch + ":0"})
	var s sent
	h.jsonDo("POST", "/api/sessions/"+sess.ID+"/messages", `{"content":"think"}`, 201, &s)
	var reasoning, text strings.Builder
	nextR, nextT := 0, 0
	// readUntil consumes events, checking the numbering of text and
	// reasoning, until one of type until for the answer for which done
	// (if given) holds.
	readUntil := func(until string, done func() bool) {
		t.Helper()
		for end := time.Now().Add(15 * time.Second); ; {
			ev, err := r.Next(time.Until(end))
			if err != nil {
				t.Fatalf("waiting for %s: %v", until, err)
			}
			var d struct {
				Index int
				Text  string
			}
			json.Unmarshal([]byte(ev.Data), &d)
			switch ev.Event {
			case "message.reasoning":
				if d.Index != nextR {
					t.Fatalf("reasoning index %d, want %d", d.Index, nextR)
				}
				nextR++
				reasoning.WriteString(d.Text)
			case "message.delta":
				if d.Index != nextT {
					t.Fatalf("delta index %d, want %d", d.Index, nextT)
				}
				nextT++
				text.WriteString(d.Text)
			}
			if ev.Event == until && strings.Contains(ev.Data, s.Assistant.ID) && (done == nil || done()) {
				return
			}
		}
	}
	readUntil("message.reasoning", func() bool { return nextR == 3 })
	h.jsonDo("POST", "/api/messages/"+s.Assistant.ID+"/stop", "", 200, nil)
	readUntil("message.stopped", nil)
	close(llama.gate)
	var cont fullMessage
	h.jsonDo("POST", "/api/messages/"+s.Assistant.ID+"/continue", "", 200, &cont)
	readUntil("message.completed", nil)
	if reasoning.String() != "Let me think.\n" || text.String() != "The answer is 42." {
		t.Fatalf("streamed reasoning %q text %q", reasoning.String(), text.String())
	}
	var page struct{ Messages []fullMessage }
	h.jsonDo("GET", "/api/sessions/"+sess.ID+"/messages", "", 200, &page)
	m := page.Messages[1]
	if m.Reasoning != "Let me think.\n" || m.Content != "The answer is 42." || m.Status != "complete" || m.FinishReason != "stop" ||
		m.ReasoningChunks != nextR || m.ReasoningMS == nil || m.Signature != nil {
		t.Fatalf("snapshot %+v", m)
	}
	// The stopped part never got to its usage chunk; the continuation's
	// is what the provider reported.
	if m.Usage == nil || m.Usage.InputTokens != 20 || m.Usage.OutputTokens != 6 {
		t.Fatalf("usage %+v", m.Usage)
	}
	// The export has the reasoning.
	resp2, body := h.do("GET", "/api/sessions/"+sess.ID+"/export?format=md", "")
	if resp2.StatusCode != 200 || !strings.Contains(string(body), "<details>") || !strings.Contains(string(body), "> Let me think.") {
		t.Fatalf("export %d:\n%s", resp2.StatusCode, body)
	}
}

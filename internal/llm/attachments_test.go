package llm

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

// The files a user message carries, as the chat service hands them over.
var (
	testPNG = []byte("\x89PNG\r\n\x1a\n fake but opaque image bytes")
	testPDF = []byte("%PDF-1.4 opaque document bytes")
)

func filesReq(model string) Request {
	return Request{Model: model, Messages: []Message{{Role: "user", Content: "What is in these?", Attachments: []Attachment{
		{Name: "cat.png", Kind: AttachImage, MIME: "image/png", Data: testPNG},
		{Name: "report.pdf", Kind: AttachPDF, MIME: "application/pdf", Data: testPDF, Text: "Revenue grew."},
		{Name: `main".go`, Kind: AttachText, MIME: "text/plain; charset=utf-8", Text: "package main"},
	}}}}
}

// TestOpenAIAttachmentsOnTheWire: the exact user message an
// OpenAI-compatible server gets (as the Chat Completions API documents
// it, and llama-server and Ollama's /v1 take it): content parts, an
// image as image_url with a data URL, a PDF as its extracted text, a
// text file as a named text part, then the words.
func TestOpenAIAttachmentsOnTheWire(t *testing.T) {
	up := newUpstream(t, sse(oaRole, oaText("ok"), oaFinish("stop"), oaDone))
	if _, _, err := streamAll(context.Background(), mustOpenAI(t, testSpec(ProviderOpenAI, up.URL()+"/v1")), filesReq("gpt-test")); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	var body struct {
		Messages []any `json:"messages"`
	}
	if err := json.Unmarshal(up.request(t, 0).Body, &body); err != nil {
		t.Fatal(err)
	}
	want := []any{map[string]any{"role": "user", "content": []any{
		map[string]any{"type": "image_url", "image_url": map[string]any{"url": "data:image/png;base64," + base64.StdEncoding.EncodeToString(testPNG)}},
		map[string]any{"type": "text", "text": "<file name=\"report.pdf\" type=\"application/pdf\" content=\"extracted text\">\nRevenue grew.\n</file>"},
		map[string]any{"type": "text", "text": "<file name=\"main&#34;.go\">\npackage main\n</file>"},
		map[string]any{"type": "text", "text": "What is in these?"},
	}}}
	if !reflect.DeepEqual(body.Messages, want) {
		got, _ := json.MarshalIndent(body.Messages, "", " ")
		t.Fatalf("messages:\n%s", got)
	}
}

// TestAnthropicAttachmentsOnTheWire: the blocks the Messages API gets:
// a base64 image block, a base64 PDF document block titled with the
// file's name, a text block naming the text file, then the words.
func TestAnthropicAttachmentsOnTheWire(t *testing.T) {
	up := newUpstream(t, sse(anStart(1), anBlockStart, anText("ok"), anBlockStop, anDelta("end_turn", 1), anStop))
	if _, _, err := streamAll(context.Background(), mustAnthropic(t, testSpec(ProviderAnthropic, up.URL())), filesReq("claude-test")); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	var body struct {
		Messages []any `json:"messages"`
	}
	if err := json.Unmarshal(up.request(t, 0).Body, &body); err != nil {
		t.Fatal(err)
	}
	want := []any{map[string]any{"role": "user", "content": []any{
		map[string]any{"type": "image", "source": map[string]any{"type": "base64", "media_type": "image/png", "data": base64.StdEncoding.EncodeToString(testPNG)}},
		map[string]any{"type": "document", "title": "report.pdf", "source": map[string]any{"type": "base64", "media_type": "application/pdf", "data": base64.StdEncoding.EncodeToString(testPDF)}},
		map[string]any{"type": "text", "text": "<file name=\"main&#34;.go\">\npackage main\n</file>"},
		map[string]any{"type": "text", "text": "What is in these?"},
	}}}
	if !reflect.DeepEqual(body.Messages, want) {
		got, _ := json.MarshalIndent(body.Messages, "", " ")
		t.Fatalf("messages:\n%s", got)
	}
}

// TestOmittedImage: an image a model cannot see is named, not sent.
func TestOmittedImage(t *testing.T) {
	up := newUpstream(t, sse(oaRole, oaText("ok"), oaFinish("stop"), oaDone))
	req := Request{Model: "gpt-test", Messages: []Message{{Role: "user", Content: "hi", Attachments: []Attachment{
		{Name: "cat.png", Kind: AttachImage, MIME: "image/png", Omitted: true}}}}}
	if _, _, err := streamAll(context.Background(), mustOpenAI(t, testSpec(ProviderOpenAI, up.URL()+"/v1")), req); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Messages []struct {
			Content []map[string]any `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(up.request(t, 0).Body, &body); err != nil {
		t.Fatal(err)
	}
	if c := body.Messages[0].Content; len(c) != 2 || c[0]["type"] != "text" || c[0]["text"] != `<file name="cat.png" omitted="this model cannot see images"/>` {
		t.Fatalf("content = %v", c)
	}
}

// TestVisionProbes: what servers report decides, the per-model switch
// overrides it; Ollama (0.6.4+ /api/show capabilities) and llama-server
// (/props modalities, as b10587 answers) are both asked.
func TestVisionProbes(t *testing.T) {
	ollama := func(caps string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/api/show" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"modelfile":"…","details":{"family":"llama"},"capabilities":` + caps + `}`))
		}
	}
	llama := func(vision bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/props" {
				http.NotFound(w, r)
				return
			}
			v, _ := json.Marshal(vision)
			w.Header().Set("Content-Type", "application/json")
			// The fields of llama-server b10587's /props (vision false
			// without an --mmproj projector, true with one).
			w.Write([]byte(`{"default_generation_settings":{"n_ctx":4096,"params":{"chat_format":"Content-only"}},"total_slots":4,"model_alias":"m","model_path":"m.gguf",` +
				`"modalities":{"vision":` + string(v) + `,"video":false,"audio":false},"build_info":"b10587-3f545becc","is_sleeping":false}`))
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		setting map[string]bool
		want    Vision
	}{
		{"ollama vision model", ollama(`["completion","vision"]`), nil, Vision{Can: true, Known: true, Source: "server"}},
		{"ollama text model", ollama(`["completion","tools"]`), nil, Vision{Can: false, Known: true, Source: "server"}},
		{"llama-server with mmproj", llama(true), nil, Vision{Can: true, Known: true, Source: "server"}},
		{"llama-server text only", llama(false), nil, Vision{Can: false, Known: true, Source: "server"}},
		{"a server that says nothing", http.NotFound, nil, Vision{}},
		{"the switch overrides the server", llama(false), map[string]bool{"m": true}, Vision{Can: true, Known: true, Source: "setting"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, tt.handler)
			s := testSpec(ProviderOpenAI, up.URL()+"/v1")
			s.Vision = tt.setting
			if got := CanSee(context.Background(), mustOpenAI(t, s), "m"); got != tt.want {
				t.Fatalf("CanSee = %+v, want %+v", got, tt.want)
			}
		})
	}
}

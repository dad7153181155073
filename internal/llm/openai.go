package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
)

// OpenAI streams from any OpenAI-compatible chat-completions server
// (OpenAI, Ollama, LM Studio, llama.cpp server, vLLM, OpenRouter,
// DeepSeek), chosen by base URL, through the official SDK.
//
// Chat completions have no standard way to continue an answer; each server
// has its own (a trailing assistant message, continue_final_message,
// DeepSeek's prefix flag), and some have none. Spec.Continuation says
// which, or "auto" finds out from the server (see Continuation and
// docs/providers.md). Reasoning arrives as reasoning_content or reasoning
// fields of the chunks, or inline as <think>…</think> at the start of the
// content; all three become Chunk.Reasoning.
type OpenAI struct {
	spec Spec
	// maxCompletionTokens: api.openai.com wants max_completion_tokens
	// (reasoning models reject max_tokens); other servers only know
	// max_tokens.
	maxCompletionTokens bool
	chat                openai.ChatCompletionService
	models              openai.ModelService
	vision              *visionProbe // what the server says about images (vision.go)
	detect              *DetectCache
}

var (
	_ Provider           = (*OpenAI)(nil)
	_ ContinuationProber = (*OpenAI)(nil)
)

// NewOpenAI builds an OpenAI-compatible provider. Every SDK setting is
// explicit and the SDK's environment defaults (OPENAI_API_KEY,
// OPENAI_BASE_URL, OPENAI_ORG_ID, …) are never consulted: the services are
// built directly, without openai.NewClient, which is what reads them.
func NewOpenAI(s Spec) (*OpenAI, error) {
	s, err := s.check(DefaultOpenAIBaseURL)
	if err != nil {
		return nil, err
	}
	if !ValidContinuation(s.Continuation) {
		return nil, fmt.Errorf("provider %q: continuation %q is not one of %s", s.Name, s.Continuation, strings.Join(ContinuationSettings, ", "))
	}
	opts := []option.RequestOption{
		option.WithBaseURL(s.BaseURL),
		option.WithAPIKey(s.APIKey),
		option.WithHTTPClient(s.HTTPClient),
		option.WithMaxRetries(0), // WithRetry does it, and only before the first chunk
	}
	u, _ := url.Parse(s.BaseURL)
	detect := s.Detect
	if detect == nil {
		detect = NewDetectCache()
	}
	return &OpenAI{
		spec:                s,
		maxCompletionTokens: u.Hostname() == "api.openai.com",
		chat:                openai.NewChatCompletionService(opts...),
		models:              openai.NewModelService(opts...),
		vision:              newVisionProbe(s),
		detect:              detect,
	}, nil
}

// Name returns the provider's configured name.
func (p *OpenAI) Name() string { return p.spec.Name }

// ConfiguredModels returns the models set in config.toml, nil when none.
func (p *OpenAI) ConfiguredModels() []Model { return p.spec.configuredModels() }

// CanContinue answers without asking the server: false when the setting
// is "none" or "auto" already found a server that cannot, true otherwise.
// Continuation gives the sure answer.
func (p *OpenAI) CanContinue() bool {
	setting := p.setting()
	if setting != ContinueAuto {
		return setting != ContinueNone
	}
	p.detect.mu.Lock()
	c, ok := p.detect.entries[p.detectKey()]
	p.detect.mu.Unlock()
	return !ok || c.CanContinue()
}

func (p *OpenAI) setting() string {
	if p.spec.Continuation == "" {
		return ContinueAuto
	}
	return p.spec.Continuation
}

func (p *OpenAI) detectKey() string { return strings.TrimSuffix(p.spec.BaseURL, "/") }

// Continuation says how this server continues an answer: the configured
// mode, or for "auto" what the server turned out to be (asked once per
// base URL; see DetectCache).
func (p *OpenAI) Continuation(ctx context.Context) Continuation {
	setting := p.setting()
	if setting != ContinueAuto {
		return Continuation{Setting: setting, Mode: setting, Reason: "set in config.toml"}
	}
	return p.detect.get(ctx, p.detectKey(), func(ctx context.Context) Continuation {
		return detectServer(ctx, p.spec.HTTPClient, p.spec.BaseURL, p.spec.APIKey)
	})
}

// ForgetContinuation makes the next Continuation ask the server again.
func (p *OpenAI) ForgetContinuation() { p.detect.Forget(p.detectKey()) }

// Models returns the configured models, or else asks GET {base}/models.
func (p *OpenAI) Models(ctx context.Context) ([]Model, error) {
	if len(p.spec.Models) > 0 {
		return staticModels(p.spec.Name, p.spec.Models), nil
	}
	return p.ListServerModels(ctx)
}

// ListServerModels asks GET {base}/models even when models are
// configured (the Settings screen's Test).
func (p *OpenAI) ListServerModels(ctx context.Context) ([]Model, error) {
	w := &wire{}
	page, err := p.models.List(ctx, option.WithMiddleware(w.middleware))
	if err != nil {
		return nil, w.fail(ctx, p.spec.Name, p.spec.BaseURL, err, openAIStreamError)
	}
	ids := make([]string, 0, len(page.Data))
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	sort.Strings(ids)
	return staticModels(p.spec.Name, ids), nil
}

// Stream streams one chat completion with usage. The answer is complete
// only when a choice carried finish_reason and the stream ended with
// "data: [DONE]"; anything else is ErrTruncated. A continuation is asked
// for the way Continuation says; its start is checked by the echo guard
// (continuationGuard).
func (p *OpenAI) Stream(ctx context.Context, req Request, emit func(Chunk) error) (Result, error) {
	var res Result
	cont := Continuation{Mode: ContinueNone}
	if req.Continuing() {
		cont = p.Continuation(ctx)
		if !cont.CanContinue() {
			msg := ErrCannotContinue.Error()
			if cont.Reason != "" {
				msg += " (" + cont.Reason + ")"
			}
			return res, &Error{Provider: p.spec.Name, Kind: KindRequest, Message: msg, Err: ErrCannotContinue}
		}
	}
	params, inline := p.params(req, cont)
	guard := newContinuationGuard(p.spec.Name, req, emit)
	split := newThinkSplitter(inline)
	feed := func(cs []Chunk) error {
		for _, c := range cs {
			if err := guard.feed(c); err != nil {
				return err
			}
		}
		return nil
	}
	w := &wire{watchDone: true}
	stream := p.chat.NewStreaming(ctx, params, option.WithMiddleware(w.middleware))
	defer stream.Close()
	for stream.Next() {
		chunk := stream.Current()
		if chunk.JSON.Usage.Valid() {
			res.Usage = &Usage{InputTokens: int(chunk.Usage.PromptTokens), OutputTokens: int(chunk.Usage.CompletionTokens)}
		}
		for _, choice := range chunk.Choices {
			if choice.Index != 0 {
				continue
			}
			if r := deltaReasoning(choice.Delta); r != "" {
				split.serverSeparates()
				if err := feed([]Chunk{{Reasoning: r}}); err != nil {
					return res, err
				}
			}
			if text := choice.Delta.Content; text != "" {
				if err := feed(split.feed(text)); err != nil {
					return res, err
				}
			}
			if choice.FinishReason != "" {
				res.FinishReason = choice.FinishReason
			}
		}
	}
	if err := stream.Err(); err != nil {
		_ = feed(split.flush())
		return res, w.fail(ctx, p.spec.Name, p.spec.BaseURL, err, openAIStreamError)
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if err := feed(split.flush()); err != nil {
		return res, err
	}
	switch {
	case res.FinishReason == "":
		return res, truncatedError(p.spec.Name, "no finish_reason", nil)
	case !w.sawDone():
		return res, truncatedError(p.spec.Name, "no data: [DONE]", nil)
	}
	if err := guard.flush(); err != nil {
		return res, err
	}
	return res, nil
}

// deltaReasoning reads the reasoning a chunk carries outside the content:
// reasoning_content (llama.cpp, DeepSeek, vLLM before 0.10, LM Studio) or
// reasoning (Ollama, vLLM, OpenRouter).
func deltaReasoning(d openai.ChatCompletionChunkChoiceDelta) string {
	for _, key := range []string{"reasoning_content", "reasoning"} {
		// Extra fields are never Valid() in the SDK's terms; read the raw
		// JSON (null when the server sends "reasoning_content": null).
		f, ok := d.JSON.ExtraFields[key]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal([]byte(f.Raw()), &s) == nil && s != "" {
			return s
		}
	}
	return ""
}

// params builds the request. With a continuation it ends the messages with
// the partial answer as the mode requires; inline reports that the
// earlier reasoning was sent inside the content ("<think>\n" + reasoning),
// so the answer starts inside the reasoning.
func (p *OpenAI) params(req Request, cont Continuation) (params openai.ChatCompletionNewParams, inline bool) {
	history := req.Messages
	if n := len(history); req.Prefix != "" && n > 0 && history[n-1].Role == "assistant" && history[n-1].Content == req.Prefix {
		history = history[:n-1] // the partial answer goes last, once
	}
	msgs := make([]openai.ChatCompletionMessageParamUnion, 0, len(history)+2)
	if req.System != "" {
		msgs = append(msgs, openai.SystemMessage(req.System))
	}
	for _, m := range history {
		switch m.Role {
		case "system":
			msgs = append(msgs, openai.SystemMessage(m.Content))
		case "assistant":
			msgs = append(msgs, openai.AssistantMessage(m.Content))
		default:
			msgs = append(msgs, openAIUser(m))
		}
	}
	var extra map[string]any
	if req.Continuing() {
		last, in := continuationMessage(req, cont)
		inline = in
		msgs = append(msgs, openai.ChatCompletionMessageParamUnion{OfAssistant: &last})
		if cont.Mode == ContinueFinalMessage {
			extra = map[string]any{"continue_final_message": true, "add_generation_prompt": false}
		}
	}
	params = openai.ChatCompletionNewParams{
		Model:         req.Model,
		Messages:      msgs,
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}
	if extra != nil {
		params.SetExtraFields(extra)
	}
	maxTokens, temperature, topP := p.spec.Defaults.resolve(req)
	if maxTokens > 0 {
		if p.maxCompletionTokens {
			params.MaxCompletionTokens = openai.Int(int64(maxTokens))
		} else {
			params.MaxTokens = openai.Int(int64(maxTokens))
		}
	}
	if temperature != nil {
		params.Temperature = openai.Float(*temperature)
	}
	if topP != nil {
		params.TopP = openai.Float(*topP)
	}
	return params, inline
}

// continuationMessage is the trailing assistant message that asks for a
// continuation. The partial text is its content. An answer interrupted
// while the model reasoned (no text yet) sends the reasoning: as
// reasoning_content and reasoning fields (llama.cpp reads the first,
// Ollama the second) for prefill and prefix, and for
// continue_final_message inline as "<think>\n…" (vLLM and SGLang render
// the content as it is; llama.cpp reads reasoning_content there too).
func continuationMessage(req Request, cont Continuation) (openai.ChatCompletionAssistantMessageParam, bool) {
	msg := openai.ChatCompletionAssistantMessageParam{
		Content: openai.ChatCompletionAssistantMessageParamContentUnion{OfString: openai.String(req.Prefix)},
	}
	extra := map[string]any{}
	inline := false
	if req.Prefix == "" && req.PrefixReasoning != "" {
		switch {
		case cont.Mode == ContinueFinalMessage && cont.Server != "llama.cpp":
			msg.Content.OfString = openai.String(thinkOpen + "\n" + req.PrefixReasoning)
			inline = true
		default:
			extra["reasoning_content"] = req.PrefixReasoning
			if cont.Mode == ContinuePrefill {
				extra["reasoning"] = req.PrefixReasoning
			}
		}
	}
	if cont.Mode == ContinuePrefix {
		extra["prefix"] = true
	}
	if len(extra) > 0 {
		msg.SetExtraFields(extra)
	}
	return msg, inline
}

// openAIStreamError extracts the error object the SDK found inside a 200
// stream ({"error":{…}} in a data line).
func openAIStreamError(err error) ([]byte, bool) {
	var se *ssestream.StreamError
	if errors.As(err, &se) {
		return se.Event.Data, true
	}
	return nil, false
}

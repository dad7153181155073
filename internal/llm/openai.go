package llm

import (
	"context"
	"errors"
	"net/url"
	"sort"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
)

// OpenAI streams from any OpenAI-compatible chat-completions server
// (OpenAI, Ollama, LM Studio, llama.cpp server, vLLM, OpenRouter,
// DeepSeek), chosen by base URL, through the official SDK.
//
// It cannot continue an interrupted answer (CanContinue is false): the
// chat-completions API has no way to make the model resume inside its own
// turn, and a trailing assistant message is treated differently by every
// server. The UI offers Regenerate instead; see docs/providers.md.
type OpenAI struct {
	spec Spec
	// maxCompletionTokens: api.openai.com wants max_completion_tokens
	// (reasoning models reject max_tokens); other servers only know
	// max_tokens.
	maxCompletionTokens bool
	chat                openai.ChatCompletionService
	models              openai.ModelService
}

// NewOpenAI builds an OpenAI-compatible provider. Every SDK setting is
// explicit and the SDK's environment defaults (OPENAI_API_KEY,
// OPENAI_BASE_URL, OPENAI_ORG_ID, …) are never consulted: the services are
// built directly, without openai.NewClient, which is what reads them.
func NewOpenAI(s Spec) (*OpenAI, error) {
	s, err := s.check(DefaultOpenAIBaseURL)
	if err != nil {
		return nil, err
	}
	opts := []option.RequestOption{
		option.WithBaseURL(s.BaseURL),
		option.WithAPIKey(s.APIKey),
		option.WithHTTPClient(s.HTTPClient),
		option.WithMaxRetries(0), // WithRetry does it, and only before the first chunk
	}
	u, _ := url.Parse(s.BaseURL)
	return &OpenAI{
		spec:                s,
		maxCompletionTokens: u.Hostname() == "api.openai.com",
		chat:                openai.NewChatCompletionService(opts...),
		models:              openai.NewModelService(opts...),
	}, nil
}

// Name returns the provider's configured name.
func (p *OpenAI) Name() string { return p.spec.Name }

// CanContinue is false; see the type's comment.
func (p *OpenAI) CanContinue() bool { return false }

// Models returns the configured models, or else asks GET {base}/models.
func (p *OpenAI) Models(ctx context.Context) ([]Model, error) {
	if len(p.spec.Models) > 0 {
		return staticModels(p.spec.Name, p.spec.Models), nil
	}
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
// "data: [DONE]"; anything else is ErrTruncated.
func (p *OpenAI) Stream(ctx context.Context, req Request, emit func(Chunk) error) (Result, error) {
	var res Result
	if req.Prefix != "" {
		return res, &Error{Provider: p.spec.Name, Kind: KindRequest, Message: ErrCannotContinue.Error(), Err: ErrCannotContinue}
	}
	w := &wire{watchDone: true}
	stream := p.chat.NewStreaming(ctx, p.params(req), option.WithMiddleware(w.middleware))
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
			if text := choice.Delta.Content; text != "" {
				if err := emit(Chunk{Text: text}); err != nil {
					return res, err
				}
			}
			if choice.FinishReason != "" {
				res.FinishReason = choice.FinishReason
			}
		}
	}
	if err := stream.Err(); err != nil {
		return res, w.fail(ctx, p.spec.Name, p.spec.BaseURL, err, openAIStreamError)
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	switch {
	case res.FinishReason == "":
		return res, truncatedError(p.spec.Name, "no finish_reason", nil)
	case !w.sawDone():
		return res, truncatedError(p.spec.Name, "no data: [DONE]", nil)
	}
	return res, nil
}

func (p *OpenAI) params(req Request) openai.ChatCompletionNewParams {
	msgs := make([]openai.ChatCompletionMessageParamUnion, 0, len(req.Messages)+1)
	if req.System != "" {
		msgs = append(msgs, openai.SystemMessage(req.System))
	}
	for _, m := range req.Messages {
		switch m.Role {
		case "system":
			msgs = append(msgs, openai.SystemMessage(m.Content))
		case "assistant":
			msgs = append(msgs, openai.AssistantMessage(m.Content))
		default:
			msgs = append(msgs, openai.UserMessage(m.Content))
		}
	}
	params := openai.ChatCompletionNewParams{
		Model:         req.Model,
		Messages:      msgs,
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
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
	return params
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

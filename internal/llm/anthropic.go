package llm

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
)

// DefaultAnthropicMaxTokens is sent when neither the request nor the
// provider's defaults set max_tokens, which the Messages API requires. It
// is the largest value every current and legacy Claude model accepts.
const DefaultAnthropicMaxTokens = 4096

// Anthropic streams from Anthropic's Messages API through the official SDK.
// It continues an interrupted answer by assistant prefill: Request.Prefix
// is sent as a trailing assistant message and the model carries on after
// it (see Stream for the whitespace rule). Thinking deltas become
// Chunk.Reasoning and the block's signature Chunk.Signature.
type Anthropic struct {
	spec     Spec
	messages anthropic.MessageService
	models   anthropic.ModelService
}

// NewAnthropic builds an Anthropic provider. Every SDK setting is explicit
// and option.WithoutEnvironmentDefaults keeps ANTHROPIC_API_KEY,
// ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN, profiles and the rest out.
func NewAnthropic(s Spec) (*Anthropic, error) {
	s, err := s.check(DefaultAnthropicBaseURL)
	if err != nil {
		return nil, err
	}
	client := anthropic.NewClient(
		option.WithoutEnvironmentDefaults(),
		option.WithBaseURL(s.BaseURL),
		option.WithAPIKey(s.APIKey),
		option.WithHTTPClient(s.HTTPClient),
		option.WithMaxRetries(0), // WithRetry does it, and only before the first chunk
	)
	return &Anthropic{spec: s, messages: client.Messages, models: client.Models}, nil
}

// Name returns the provider's configured name.
func (p *Anthropic) Name() string { return p.spec.Name }

// ConfiguredModels returns the models set in config.toml, nil when none.
func (p *Anthropic) ConfiguredModels() []Model { return p.spec.configuredModels() }

// CanContinue is true: Request.Prefix is honoured by assistant prefill.
func (p *Anthropic) CanContinue() bool { return true }

// Continuation reports the prefill; it needs no question to the server.
func (p *Anthropic) Continuation(context.Context) Continuation {
	return Continuation{Mode: ContinuePrefill, Reason: "the Messages API continues a trailing assistant message (prefill)"}
}

// Models returns the configured models, or else pages through
// GET /v1/models.
func (p *Anthropic) Models(ctx context.Context) ([]Model, error) {
	if len(p.spec.Models) > 0 {
		return staticModels(p.spec.Name, p.spec.Models), nil
	}
	return p.ListServerModels(ctx)
}

// ListServerModels pages through GET /v1/models even when models are
// configured (reachability, and the Settings screen's Test).
func (p *Anthropic) ListServerModels(ctx context.Context) ([]Model, error) {
	w := &wire{}
	pager := p.models.ListAutoPaging(ctx, anthropic.ModelListParams{Limit: anthropic.Int(1000)}, option.WithMiddleware(w.middleware))
	var out []Model
	for pager.Next() {
		m := pager.Current()
		label := m.DisplayName
		if label == "" {
			label = m.ID
		}
		out = append(out, Model{ID: m.ID, Provider: p.spec.Name, Label: label})
	}
	if err := pager.Err(); err != nil {
		return nil, w.fail(ctx, p.spec.Name, p.spec.BaseURL, err, anthropicStreamError)
	}
	return out, nil
}

// Stream streams one message. The answer is complete only when
// message_stop arrived; anything else is ErrTruncated. An error event
// inside the 200 stream is classified by its type (overloaded_error is
// transient).
//
// Continue: Anthropic rejects a prefill that ends in whitespace, so the
// prefix is sent with its trailing whitespace trimmed, and the model's
// continuation usually starts with the whitespace it wants there. The
// emitted text is adjusted so that Prefix + emitted text reads as the
// trimmed prefix + the model's text would (see prefillJoin).
func (p *Anthropic) Stream(ctx context.Context, req Request, emit func(Chunk) error) (Result, error) {
	var res Result
	join := newPrefillJoin(req.Prefix)
	w := &wire{}
	stream := p.messages.NewStreaming(ctx, p.params(req, join.trimmed), option.WithMiddleware(w.middleware))
	defer stream.Close()
	var usage Usage
	stopped := false
	// The guard sees the model's raw text, which may repeat the trimmed
	// prefix that was sent (llama.cpp's Anthropic endpoint does); the join
	// then reconciles whitespace with what the user already has.
	guard := newContinuationGuard(p.spec.Name, req, func(c Chunk) error {
		if c.Text != "" {
			c.Text = join.feed(c.Text)
		}
		if c.empty() {
			return nil
		}
		return emit(c)
	})
	send := func(text string) error {
		if text == "" {
			return nil
		}
		return emit(Chunk{Text: text})
	}
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "message_start":
			u := ev.Message.Usage
			usage.InputTokens = int(u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens)
			usage.OutputTokens = int(u.OutputTokens)
			res.Usage = &usage
		case "content_block_delta":
			// By delta type, not block index: llama.cpp closes its
			// thinking block (signature_delta) after the text block's
			// deltas.
			var c Chunk
			switch ev.Delta.Type {
			case "text_delta":
				c.Text = ev.Delta.Text
			case "thinking_delta":
				c.Reasoning = ev.Delta.Thinking
			case "signature_delta":
				c.Signature, c.Signed = ev.Delta.Signature, true
			}
			if err := guard.feed(c); err != nil {
				return res, err
			}
		case "message_delta":
			res.FinishReason = normalizeStopReason(string(ev.Delta.StopReason))
			// message_delta's counts are cumulative; input appears here
			// only in newer API versions.
			if in := ev.Usage.InputTokens + ev.Usage.CacheCreationInputTokens + ev.Usage.CacheReadInputTokens; in > 0 {
				usage.InputTokens = int(in)
			}
			if ev.Usage.OutputTokens > 0 {
				usage.OutputTokens = int(ev.Usage.OutputTokens)
			}
			res.Usage = &usage
		case "message_stop":
			stopped = true
		}
	}
	if err := stream.Err(); err != nil {
		return res, w.fail(ctx, p.spec.Name, p.spec.BaseURL, err, anthropicStreamError)
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if !stopped {
		return res, truncatedError(p.spec.Name, "no message_stop", nil)
	}
	if err := guard.flush(); err != nil {
		return res, err
	}
	if err := send(join.flush()); err != nil {
		return res, err
	}
	return res, nil
}

func (p *Anthropic) params(req Request, prefill string) anthropic.MessageNewParams {
	system := []string{}
	if req.System != "" {
		system = append(system, req.System)
	}
	history := req.Messages
	// A caller that also put the partial answer into the history would
	// have it sent twice.
	if n := len(history); req.Prefix != "" && n > 0 && history[n-1].Role == "assistant" && history[n-1].Content == req.Prefix {
		history = history[:n-1]
	}
	msgs := make([]anthropic.MessageParam, 0, len(history)+1)
	for _, m := range history {
		if m.Content == "" && len(m.Attachments) == 0 {
			continue // the API rejects empty text blocks
		}
		switch m.Role {
		case "system":
			system = append(system, m.Content)
		case "assistant":
			msgs = append(msgs, anthropic.NewAssistantMessage(anthropic.NewTextBlock(m.Content)))
		default:
			msgs = append(msgs, anthropic.NewUserMessage(anthropicUserBlocks(m)...))
		}
	}
	var blocks []anthropic.ContentBlockParamUnion
	// The earlier thinking goes back when it can be: when its block was
	// closed with a signature (Anthropic verifies it; llama.cpp sends an
	// empty one), or when the answer has no text yet and the thinking
	// itself is what continues (llama.cpp then carries on inside it).
	// Anthropic's own API only streams thinking when extended thinking is
	// requested, which Holdfast does not do.
	if req.PrefixReasoning != "" && (req.PrefixSigned || prefill == "") {
		blocks = append(blocks, anthropic.NewThinkingBlock(req.PrefixSignature, req.PrefixReasoning))
	}
	if prefill != "" {
		blocks = append(blocks, anthropic.NewTextBlock(prefill))
	}
	if len(blocks) > 0 {
		msgs = append(msgs, anthropic.NewAssistantMessage(blocks...))
	}
	maxTokens, temperature, topP := p.spec.Defaults.resolve(req)
	if maxTokens <= 0 {
		maxTokens = DefaultAnthropicMaxTokens
	}
	params := anthropic.MessageNewParams{
		Model:     anthropic.Model(req.Model),
		MaxTokens: int64(maxTokens),
		Messages:  msgs,
	}
	if len(system) > 0 {
		params.System = []anthropic.TextBlockParam{{Text: strings.Join(system, "\n\n")}}
	}
	if temperature != nil {
		params.Temperature = anthropic.Float(*temperature)
	}
	if topP != nil {
		params.TopP = anthropic.Float(*topP)
	}
	return params
}

// anthropicStreamError extracts the body of an `event: error` the SDK
// reported inside a 200 stream.
func anthropicStreamError(err error) ([]byte, bool) {
	var ae *anthropic.Error
	if errors.As(err, &ae) && ae.StatusCode < 400 {
		return []byte(ae.RawJSON()), true
	}
	return nil, false
}

// normalizeStopReason maps Anthropic's stop reasons onto the OpenAI words
// the rest of Holdfast uses; others pass through.
func normalizeStopReason(r string) string {
	switch r {
	case "end_turn", "stop_sequence":
		return "stop"
	case "max_tokens":
		return "length"
	}
	return r
}

// prefillJoin makes a continuation read on from the prefix the user
// already has. Anthropic is sent the prefix without its trailing
// whitespace (tail); the model's leading whitespace (lead) is held back
// until the first visible character and then reconciled with tail:
//
//   - lead starts with tail ("\n\n" after "\n\n"): emit lead minus tail;
//   - tail starts with lead (including no lead): emit nothing of lead, the
//     user's text already has that whitespace;
//   - otherwise (" " against "\n"): emit lead whole; the text keeps both.
//
// So Prefix + emitted == trimmed prefix + model text exactly in the first
// two cases, which are the usual ones.
type prefillJoin struct {
	trimmed  string
	tail     string
	resolved bool
	lead     strings.Builder
}

func newPrefillJoin(prefix string) *prefillJoin {
	trimmed := strings.TrimRightFunc(prefix, unicode.IsSpace)
	return &prefillJoin{trimmed: trimmed, tail: prefix[len(trimmed):], resolved: prefix == ""}
}

// feed takes the model's next text and returns what to emit.
func (j *prefillJoin) feed(text string) string {
	if j.resolved {
		return text
	}
	i := strings.IndexFunc(text, func(r rune) bool { return !unicode.IsSpace(r) })
	if i < 0 {
		j.lead.WriteString(text)
		return ""
	}
	j.lead.WriteString(text[:i])
	return j.resolve() + text[i:]
}

// flush returns held-back whitespace when the answer ended inside it.
func (j *prefillJoin) flush() string {
	if j.resolved {
		return ""
	}
	return j.resolve()
}

func (j *prefillJoin) resolve() string {
	j.resolved = true
	lead := j.lead.String()
	switch {
	case strings.HasPrefix(lead, j.tail):
		return lead[len(j.tail):]
	case strings.HasPrefix(j.tail, lead):
		return ""
	default:
		return lead
	}
}

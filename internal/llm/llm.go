// Package llm defines the provider contract Holdfast streams answers from,
// and the providers themselves (the offline demo, OpenAI-compatible,
// Anthropic).
package llm

import (
	"context"
	"errors"
)

// Message is one turn of the conversation sent to a provider.
type Message struct {
	Role    string // "user" | "assistant" | "system"
	Content string
	// Attachments are the files of a user message (see attachments.go).
	Attachments []Attachment
}

// Request asks a provider for one answer.
type Request struct {
	Model    string
	System   string
	Messages []Message
	// Prefix is assistant text already shown to the user. When non-empty
	// the provider must continue exactly after it (only providers whose
	// CanContinue reports true are asked to).
	Prefix string
	// PrefixReasoning is the reasoning (thinking) text already shown. With
	// an empty Prefix it means the answer was interrupted while the model
	// was still reasoning: the continuation carries on inside the
	// reasoning. With a Prefix it is context only.
	PrefixReasoning string
	// PrefixSignature is the signature an Anthropic thinking block ended
	// with (see Chunk.Signature), "" when none came.
	PrefixSignature string
	// PrefixSigned reports that PrefixReasoning's block was closed with a
	// signature (possibly an empty one, as llama.cpp sends).
	PrefixSigned bool
	// MaxTokens: zero means the provider's default. Temperature, TopP:
	// nil means the provider's default (zero is a real temperature).
	MaxTokens   int
	Temperature *float64
	TopP        *float64
	// Purpose says what the answer is for; PurposeChat ("") unless set.
	// Providers send it nowhere; the demo answers a title request with a
	// title.
	Purpose Purpose
}

// Purpose is what a request's answer is for.
type Purpose string

// Purposes.
const (
	PurposeChat  Purpose = ""
	PurposeTitle Purpose = "title" // a short name for the conversation
)

// Continuing reports whether req asks for a continuation.
func (r Request) Continuing() bool { return r.Prefix != "" || r.PrefixReasoning != "" }

// Chunk is one piece of streamed output: answer text, reasoning text, or
// the signature that closes an Anthropic thinking block. Usually one field
// is set.
type Chunk struct {
	Text      string
	Reasoning string
	// Signature, with Signed, is the signature_delta of an Anthropic
	// thinking block. Anthropic needs it to accept the block back;
	// llama.cpp sends an empty one.
	Signature string
	Signed    bool
}

// empty reports whether c carries nothing to store.
func (c Chunk) empty() bool { return c.Text == "" && c.Reasoning == "" && !c.Signed }

// Usage is the token accounting reported at the end of a stream.
type Usage struct {
	InputTokens  int
	OutputTokens int
}

// Result is what a stream reports, also when it fails (Usage then holds
// whatever the provider reported before the failure).
type Result struct {
	Usage *Usage
	// FinishReason is why the model stopped, in OpenAI's words: "stop",
	// "length", "content_filter", "tool_calls", or the provider's own.
	FinishReason string
}

// Model describes one model a provider offers.
type Model struct {
	ID       string `json:"id"`       // the model name the provider knows
	Provider string `json:"provider"` // provider name
	Label    string `json:"label"`
}

// Provider streams answers. Stream calls emit for every chunk in order and
// returns when the answer is complete (nil error), the context is cancelled
// (ctx.Err()), or the upstream fails. A stream that ends without the
// upstream's terminator is an error (ErrTruncated), never a silent success.
// If emit returns an error, Stream stops and returns it.
type Provider interface {
	Name() string
	Stream(ctx context.Context, req Request, emit func(Chunk) error) (Result, error)
	// CanContinue reports whether Request.Prefix is honoured, as far as
	// the provider knows without asking its server. A provider whose
	// answer depends on the server also implements ContinuationProber;
	// use CanContinue(ctx, p) to ask it.
	CanContinue() bool
	Models(ctx context.Context) ([]Model, error)
}

// Every provider and wrapper; IsDemo finds the demo through the optional
// Demo and Unwrap methods, so a typo there would fail silently.
var (
	_ Provider = (*Demo)(nil)
	_ Provider = (*OpenAI)(nil)
	_ Provider = (*Anthropic)(nil)
	_ Provider = (*retrying)(nil)

	_ interface{ Demo() bool }       = (*Demo)(nil)
	_ interface{ Unwrap() Provider } = (*retrying)(nil)
)

// ErrTruncated means the upstream stream ended without its terminator.
var ErrTruncated = errors.New("stream ended before the provider finished the answer")

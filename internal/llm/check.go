package llm

import (
	"context"
	"errors"
	"strings"
	"time"
)

// CheckResult is what Check found out about a provider: the answer of the
// Settings screen's Test button.
type CheckResult struct {
	// OK: the models could be listed and the 1-token request answered.
	OK bool `json:"ok"`
	// Models the server lists (the configured ones when it lists none).
	Models      []string `json:"models"`
	ModelsError string   `json:"models_error,omitempty"`
	// Model is the model the 1-token request asked for.
	Model string `json:"model,omitempty"`
	// FirstTokenMS is the time from sending the request to the first
	// streamed text or reasoning; TotalMS to the end of the answer.
	FirstTokenMS *int64 `json:"first_token_ms,omitempty"`
	TotalMS      int64  `json:"total_ms"`
	Reply        string `json:"reply,omitempty"`
	FinishReason string `json:"finish_reason,omitempty"`
	// Error is the request's error exactly as the provider's error
	// message says it; ErrorKind its llm.ErrorKind.
	Error     string `json:"error,omitempty"`
	ErrorKind string `json:"error_kind,omitempty"`
	// Continuation: how this provider continues answers (asked afresh).
	Continuation Continuation `json:"continuation"`
	// Notes worth showing that are not errors.
	Notes []string `json:"notes,omitempty"`
}

// serverModelLister lists what the server has even when models are
// configured.
type serverModelLister interface {
	ListServerModels(ctx context.Context) ([]Model, error)
}

// continuationForgetter drops a cached detection.
type continuationForgetter interface{ ForgetContinuation() }

// unwrapTo finds the first provider in p's Unwrap chain that implements T.
func unwrapTo[T any](p Provider) (T, bool) {
	for p != nil {
		if t, ok := p.(T); ok {
			return t, true
		}
		u, ok := p.(interface{ Unwrap() Provider })
		if !ok {
			break
		}
		p = u.Unwrap()
	}
	var zero T
	return zero, false
}

// Check tests a provider the way a user setting it up wants to know: it
// lists the models, sends a 1-token request (to model, or the first
// configured or listed one), times the first token, and finds out afresh
// how the server continues answers.
func Check(ctx context.Context, p Provider, model string) CheckResult {
	var out CheckResult
	var configured []Model
	if cm, err := p.Models(ctx); err == nil {
		configured = cm
	}
	var listed []Model
	var err error
	if l, ok := unwrapTo[serverModelLister](p); ok {
		listed, err = l.ListServerModels(ctx)
	} else {
		listed, err = p.Models(ctx)
	}
	if err != nil {
		out.ModelsError = err.Error()
		listed = configured
	}
	for _, m := range listed {
		out.Models = append(out.Models, m.ID)
	}
	switch {
	case model != "":
	case len(configured) > 0:
		model = configured[0].ID
	case len(listed) > 0:
		model = listed[0].ID
	}
	if f, ok := unwrapTo[continuationForgetter](p); ok {
		f.ForgetContinuation()
	}
	out.Continuation = ContinuationOf(ctx, p)
	if out.Continuation.Server == "llama.cpp" {
		out.Notes = append(out.Notes, "llama.cpp's server answers with the model it was started with whatever model name a request asks for: the names in this provider's model list are only labels")
	}
	if model == "" {
		out.Error = "no model to try: the server lists none and none are configured"
		out.ErrorKind = string(KindRequest)
		return out
	}
	out.Model = model
	start := time.Now()
	var reply strings.Builder
	res, err := p.Stream(ctx, Request{Model: model, MaxTokens: 1, Messages: []Message{{Role: "user", Content: "Say OK."}}}, func(c Chunk) error {
		if out.FirstTokenMS == nil && (c.Text != "" || c.Reasoning != "") {
			ms := time.Since(start).Milliseconds()
			out.FirstTokenMS = &ms
		}
		reply.WriteString(c.Text)
		return nil
	})
	out.TotalMS = time.Since(start).Milliseconds()
	out.Reply, out.FinishReason = reply.String(), res.FinishReason
	if err != nil {
		out.Error = err.Error()
		out.ErrorKind = string(KindOf(err))
		if errors.Is(err, context.DeadlineExceeded) && out.ErrorKind == "" {
			out.ErrorKind = string(KindTimeout)
		}
		return out
	}
	out.OK = out.ModelsError == ""
	return out
}

// ListServerModels asks p's server for its models, even when p has
// models configured; a provider that cannot ask (the demo) answers with
// its own list.
func ListServerModels(ctx context.Context, p Provider) ([]Model, error) {
	if l, ok := unwrapTo[serverModelLister](p); ok {
		return l.ListServerModels(ctx)
	}
	return p.Models(ctx)
}

// ConfiguredModels returns the models p has configured (config.toml's
// models), nil when it asks its server.
func ConfiguredModels(p Provider) []Model {
	if c, ok := unwrapTo[interface{ ConfiguredModels() []Model }](p); ok {
		return c.ConfiguredModels()
	}
	return nil
}

package llm

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Continuation settings of an OpenAI-compatible provider (Spec.Continuation):
// how the server is asked to carry on an interrupted answer.
const (
	// ContinueAuto finds out what the server is, once, and picks the mode.
	ContinueAuto = "auto"
	// ContinuePrefill sends the partial answer as a trailing assistant
	// message (llama.cpp server, Ollama, LM Studio).
	ContinuePrefill = "prefill"
	// ContinueFinalMessage adds continue_final_message: true and
	// add_generation_prompt: false to the prefill (vLLM, SGLang, TGI;
	// llama.cpp since May 2026).
	ContinueFinalMessage = "continue_final_message"
	// ContinuePrefix marks the trailing assistant message prefix: true
	// (DeepSeek's chat prefix completion, on its beta base URL).
	ContinuePrefix = "prefix"
	// ContinueNone: the server cannot continue; Regenerate instead.
	ContinueNone = "none"
	// ContinueNative is reported by providers that continue by their own
	// means (the demo; Anthropic's prefill).
	ContinueNative = "native"
)

// ContinuationSettings lists the values config.toml accepts, "auto" first.
var ContinuationSettings = []string{ContinueAuto, ContinuePrefill, ContinueFinalMessage, ContinuePrefix, ContinueNone}

// ValidContinuation reports whether s is a continuation setting ("" means
// auto).
func ValidContinuation(s string) bool {
	if s == "" {
		return true
	}
	for _, v := range ContinuationSettings {
		if s == v {
			return true
		}
	}
	return false
}

// Continuation says how a provider continues an interrupted answer and
// why: the setting, the mode in force, and for "auto" what was found.
type Continuation struct {
	// Setting is what config.toml says ("auto" when unset); "" for kinds
	// that have no setting.
	Setting string `json:"setting,omitempty"`
	// Mode is the mode in force: prefill, continue_final_message, prefix,
	// none, or native.
	Mode string `json:"mode"`
	// Server is what detection found: llama.cpp, ollama, vllm, lmstudio,
	// openai, deepseek, unknown; "" when nothing was asked.
	Server  string `json:"server,omitempty"`
	Version string `json:"version,omitempty"`
	// Reason says in a sentence why this mode.
	Reason string `json:"reason"`
	// DetectedAt is when the server was asked; zero when it was not.
	DetectedAt time.Time `json:"detected_at,omitzero"`
	// Unsure is set when the server could not be reached: the result is
	// not cached and the next question asks again.
	Unsure bool `json:"unsure,omitempty"`
}

// CanContinue reports whether the mode continues answers.
func (c Continuation) CanContinue() bool { return c.Mode != "" && c.Mode != ContinueNone }

// ContinuationProber is implemented by providers whose way of continuing
// depends on the server behind them. Continuation may ask the server (once;
// the answer is cached) and so may block until ctx ends.
type ContinuationProber interface {
	Continuation(ctx context.Context) Continuation
}

// ContinuationOf tells how p (or a provider it wraps) continues answers,
// asking the server when that is needed.
func ContinuationOf(ctx context.Context, p Provider) Continuation {
	for q := p; q != nil; {
		if cp, ok := q.(ContinuationProber); ok {
			return cp.Continuation(ctx)
		}
		u, ok := q.(interface{ Unwrap() Provider })
		if !ok {
			break
		}
		q = u.Unwrap()
	}
	if p != nil && p.CanContinue() {
		return Continuation{Mode: ContinueNative, Reason: "this provider continues answers by itself"}
	}
	return Continuation{Mode: ContinueNone, Reason: "this provider cannot continue an answer"}
}

// CanContinue reports whether p can continue an answer, asking its server
// when that is needed.
func CanContinue(ctx context.Context, p Provider) bool {
	return ContinuationOf(ctx, p).CanContinue()
}

// DetectCache remembers what "auto" found per server, so a server is asked
// once, not at every Continue, and not again when config.toml changes and
// the providers are rebuilt. Results that could not be established (server
// unreachable) are not kept. Safe for concurrent use.
type DetectCache struct {
	mu      sync.Mutex
	entries map[string]Continuation
	// inflight collapses concurrent detections of one server into one.
	inflight map[string]chan struct{}
}

// NewDetectCache returns an empty cache.
func NewDetectCache() *DetectCache {
	return &DetectCache{entries: map[string]Continuation{}, inflight: map[string]chan struct{}{}}
}

// get returns the cached result for key, or runs detect once for all
// concurrent callers and caches a sure result.
func (c *DetectCache) get(ctx context.Context, key string, detect func(context.Context) Continuation) Continuation {
	for {
		c.mu.Lock()
		if v, ok := c.entries[key]; ok {
			c.mu.Unlock()
			return v
		}
		wait, busy := c.inflight[key]
		if !busy {
			done := make(chan struct{})
			c.inflight[key] = done
			c.mu.Unlock()
			v := detect(ctx)
			c.mu.Lock()
			if !v.Unsure {
				c.entries[key] = v
			}
			delete(c.inflight, key)
			close(done)
			c.mu.Unlock()
			return v
		}
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return Continuation{Mode: ContinueNone, Unsure: true, Reason: "stopped while finding out what the server is: " + ctx.Err().Error()}
		}
	}
}

// Forget drops what was found for a server, so the next question asks it
// again (the Settings screen's Test button does this).
func (c *DetectCache) Forget(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

// describeServer names a detected server with its version.
func describeServer(name, version string) string {
	if version == "" {
		return name
	}
	return fmt.Sprintf("%s %s", name, strings.TrimSpace(version))
}

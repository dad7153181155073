package llm

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// Provider kinds (Spec.Kind).
const (
	// ProviderOpenAI is any OpenAI-compatible chat-completions server:
	// OpenAI, Ollama, LM Studio, llama.cpp server, vLLM, OpenRouter,
	// DeepSeek.
	ProviderOpenAI = "openai"
	// ProviderAnthropic is Anthropic's Messages API.
	ProviderAnthropic = "anthropic"
)

// Official endpoints used when Spec.BaseURL is empty.
const (
	DefaultOpenAIBaseURL    = "https://api.openai.com/v1"
	DefaultAnthropicBaseURL = "https://api.anthropic.com"
)

// Params are a provider's default generation parameters. A Request's own
// values (non-zero MaxTokens, non-nil Temperature and TopP) win over them.
type Params struct {
	Temperature *float64 // nil: the provider's default
	MaxTokens   int      // 0: the provider's default
}

// resolve merges req over p.
func (p Params) resolve(req Request) (maxTokens int, temperature, topP *float64) {
	maxTokens = p.MaxTokens
	if req.MaxTokens > 0 {
		maxTokens = req.MaxTokens
	}
	temperature = p.Temperature
	if req.Temperature != nil {
		temperature = req.Temperature
	}
	return maxTokens, temperature, req.TopP
}

// Spec describes one provider to build, the way one [[providers]] entry of
// config.toml does. Every setting is explicit: nothing is read from the
// environment (the SDKs' OPENAI_* / ANTHROPIC_* variables are ignored).
type Spec struct {
	// Name is used in model references ("<name>/<model>") and in error
	// messages; it must not contain "/".
	Name string
	Kind string // ProviderOpenAI | ProviderAnthropic
	// BaseURL: for openai, up to and including /v1
	// ("http://127.0.0.1:11434/v1"); for anthropic, the host
	// ("https://api.anthropic.com"). Empty: the kind's official endpoint.
	BaseURL string
	// APIKey may be empty (local servers need none). Never logged.
	APIKey string
	// Models, when set, is what Models returns instead of asking the
	// server.
	Models []string
	// Vision is the per-model switch of Settings: whether a model takes
	// images, overriding what the server reports.
	Vision   map[string]bool
	Defaults Params
	Timeouts Timeouts
	// HTTPClient, when set, is used instead of NewHTTPClient(Timeouts).
	HTTPClient *http.Client
	// Retry is the policy NewProvider wraps the provider in.
	Retry RetryPolicy
	// Continuation (openai kind): how the server continues an answer, one
	// of ContinuationSettings; "" means auto.
	Continuation string
	// Detect keeps what "auto" found across rebuilds of the provider; nil
	// gives the provider a cache of its own.
	Detect *DetectCache
}

// String describes s without its key.
func (s Spec) String() string {
	key := "none"
	if s.APIKey != "" {
		key = "set"
	}
	return fmt.Sprintf("%s (%s, %s, key %s)", s.Name, s.Kind, s.BaseURL, key)
}

// LogValue keeps the key out of structured logs.
func (s Spec) LogValue() slog.Value { return slog.StringValue(s.String()) }

// check validates the fields every kind needs and fills in the defaults.
func (s Spec) check(defaultBase string) (Spec, error) {
	if err := ValidateProviderName(s.Name); err != nil {
		return s, err
	}
	if s.BaseURL == "" {
		s.BaseURL = defaultBase
	}
	u, err := url.Parse(s.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return s, fmt.Errorf("provider %q: base_url %q is not an http(s) URL", s.Name, s.BaseURL)
	}
	if s.HTTPClient == nil {
		s.HTTPClient = NewHTTPClient(s.Timeouts)
	}
	return s, nil
}

// ValidateProviderName reports whether name can name a provider.
func ValidateProviderName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("provider name is empty")
	case strings.Contains(name, "/"):
		return fmt.Errorf("provider name %q contains \"/\", which separates provider and model in a model reference", name)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("provider name %q has leading or trailing spaces", name)
	}
	return nil
}

// NewProvider builds the provider s describes, wrapped in WithRetry.
func NewProvider(s Spec) (Provider, error) {
	var (
		p   Provider
		err error
	)
	switch s.Kind {
	case ProviderOpenAI:
		p, err = NewOpenAI(s)
	case ProviderAnthropic:
		p, err = NewAnthropic(s)
	default:
		return nil, fmt.Errorf("provider %q: unknown kind %q (want %q or %q)", s.Name, s.Kind, ProviderOpenAI, ProviderAnthropic)
	}
	if err != nil {
		return nil, err
	}
	return WithRetry(p, s.Retry), nil
}

// staticModels lists configured model names as Models.
func staticModels(provider string, ids []string) []Model {
	out := make([]Model, 0, len(ids))
	for _, id := range ids {
		out = append(out, Model{ID: id, Provider: provider, Label: id})
	}
	return out
}

// configuredModels is what ConfiguredModels returns for a spec.
func (s Spec) configuredModels() []Model {
	if len(s.Models) == 0 {
		return nil
	}
	return staticModels(s.Name, s.Models)
}

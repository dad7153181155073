// Package config loads, validates, writes and watches Holdfast's
// config.toml, and keeps API keys in the OS keychain where there is one.
//
// The file lives in the data folder the caller passes in. A bad file never
// replaces a good configuration: the last good one stays in force and the
// problem is reported with its line and column. API keys never leave the
// package in logs or in Redacted copies.
//
// Choices where a file could mean several things:
//   - Unknown keys are warnings, not errors: the rest of the file applies
//     (a typo is shown with its position; a newer version's keys do not
//     break an older one).
//   - A missing or empty file at start-up is replaced by the commented
//     default file. While running, a removed or empty file is an error
//     state: the last good configuration stays in force until the file is
//     back (an empty file is most often a save caught half-way).
//   - Update refuses to run while the file on disk is invalid, so a hand
//     edit in progress is never overwritten.
package config

import (
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// FileName is the name of the configuration file inside the data folder.
const FileName = "config.toml"

// DemoProvider is the name of the built-in offline provider; it is reserved
// and cannot be configured in config.toml.
const DemoProvider = "demo"

// Provider kinds.
const (
	KindOpenAI    = "openai"    // OpenAI-compatible: OpenAI, Ollama, LM Studio, OpenRouter, vLLM, llama.cpp, DeepSeek
	KindAnthropic = "anthropic" // Anthropic Messages API
)

// UI choices.
const (
	ThemeSystem = "system"
	ThemeLight  = "light"
	ThemeDark   = "dark"

	LanguageAuto    = "auto"
	LanguageEnglish = "en"
	LanguageChinese = "zh"
)

// Continuation settings (Provider.Continuation, openai kind): how the
// server is asked to continue an interrupted answer.
const (
	ContinueAuto         = "auto"                   // find out what the server is (the default)
	ContinuePrefill      = "prefill"                // a trailing assistant message (llama.cpp, Ollama, LM Studio)
	ContinueFinalMessage = "continue_final_message" // vLLM, SGLang, TGI
	ContinuePrefix       = "prefix"                 // DeepSeek's beta prefix completion
	ContinueNone         = "none"                   // the server cannot; Regenerate instead
)

// ContinuationValues lists the continuation settings, the default first.
var ContinuationValues = []string{ContinueAuto, ContinuePrefill, ContinueFinalMessage, ContinuePrefix, ContinueNone}

// Key references (Provider.APIKeyRef).
const (
	// KeyRefKeyring: the key is in the OS keychain, under the provider's name.
	KeyRefKeyring = "keyring"
	// KeyRefEnvPrefix + NAME: the key is read from environment variable NAME.
	KeyRefEnvPrefix = "env:"
)

// Defaults for values config.toml leaves out (or sets to zero).
const (
	DefaultModel             = "demo/demo"
	DefaultAddr              = "127.0.0.1:0"
	DefaultHeartbeat         = 15 * time.Second
	DefaultConnectTimeout    = 10 * time.Second
	DefaultFirstTokenTimeout = 5 * time.Minute
	DefaultIdleTimeout       = 2 * time.Minute

	// DefaultOpenAIBaseURL and DefaultAnthropicBaseURL are used when a
	// provider leaves base_url empty.
	DefaultOpenAIBaseURL    = "https://api.openai.com/v1"
	DefaultAnthropicBaseURL = "https://api.anthropic.com"
)

// Config is the whole configuration. The zero value is not valid; start
// from Default.
type Config struct {
	// DefaultModel is a model reference "<provider>/<model>" (split at the
	// first "/"), e.g. "demo/demo" or "openrouter/meta-llama/llama-3-8b".
	DefaultModel string     `json:"default_model"`
	SystemPrompt string     `json:"system_prompt"`
	Server       Server     `json:"server"`
	UI           UI         `json:"ui"`
	Providers    []Provider `json:"providers"`
}

// Server is the [server] table.
type Server struct {
	// Addr is the loopback host:port the HTTP server listens on; port 0
	// picks a free one.
	Addr      string   `json:"addr"`
	Heartbeat Duration `json:"heartbeat"`
}

// UI is the [ui] table.
type UI struct {
	Theme    string `json:"theme"`    // system | light | dark
	Language string `json:"language"` // auto | en | zh
}

// Provider is one [[providers]] entry.
type Provider struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`               // openai | anthropic
	BaseURL string `json:"base_url,omitempty"` // empty: the kind's official endpoint
	// APIKeyRef says where the key is: "keyring", "env:NAME", or empty
	// (then APIKey, or no key at all, as local servers need none).
	APIKeyRef string `json:"api_key_ref,omitempty"`
	// APIKey is a key kept in the file itself; used only where no keychain
	// is available. Never log it; Redacted masks it.
	APIKey string   `json:"api_key,omitempty"`
	Models []string `json:"models,omitempty"` // empty: ask the provider
	// Vision is the per-model switch: whether a model takes images,
	// overriding what its server reports (vision = { "llava" = true }).
	Vision map[string]bool `json:"vision,omitempty"`
	Params Params          `json:"params"`
	// Timeouts; zero in the file means the default, and loading fills the
	// default in, so a loaded Config always holds the effective value.
	ConnectTimeout    Duration `json:"connect_timeout"`
	FirstTokenTimeout Duration `json:"first_token_timeout"`
	IdleTimeout       Duration `json:"idle_timeout"`
	// Continuation (openai kind): one of ContinuationValues; empty means
	// auto.
	Continuation string `json:"continuation,omitempty"`
}

// Params are a provider's default generation parameters.
type Params struct {
	Temperature *float64 `json:"temperature,omitempty"` // nil: the provider's default
	MaxTokens   int      `json:"max_tokens,omitempty"`  // 0: the provider's default
}

// Duration is a time.Duration written as text ("15s", "2m") in TOML and
// JSON.
type Duration time.Duration

var (
	_ encoding.TextMarshaler   = Duration(0)
	_ encoding.TextUnmarshaler = (*Duration)(nil)
)

// Keys must never reach a log, a %v or %#v, or JSON in full: these checks
// keep the redacting methods from silently falling off by a typo.
var (
	_ fmt.Stringer   = Config{}
	_ fmt.GoStringer = Config{}
	_ slog.LogValuer = Config{}
	_ fmt.Stringer   = Provider{}
	_ fmt.GoStringer = Provider{}
	_ slog.LogValuer = Provider{}
	_ json.Marshaler = Provider{}
)

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d like time.Duration does, without zero units at the
// end: "10m", not "10m0s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") || strings.HasSuffix(s, "h0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalText writes d as "15s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads "15s", "1m30s", "500ms".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func parseDuration(s string) (Duration, error) {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; write a number with a unit, like \"15s\", \"2m\" or \"500ms\"", s)
	}
	return Duration(v), nil
}

// Default returns the configuration a fresh install starts with.
func Default() Config {
	return Config{
		DefaultModel: DefaultModel,
		Server:       Server{Addr: DefaultAddr, Heartbeat: Duration(DefaultHeartbeat)},
		UI:           UI{Theme: ThemeSystem, Language: LanguageAuto},
	}
}

// Clone returns a deep copy of c.
func (c Config) Clone() Config {
	out := c
	if c.Providers != nil {
		out.Providers = make([]Provider, len(c.Providers))
		for i, p := range c.Providers {
			out.Providers[i] = p.clone()
		}
	}
	return out
}

func (p Provider) clone() Provider {
	out := p
	if p.Models != nil {
		out.Models = append([]string(nil), p.Models...)
	}
	if p.Params.Temperature != nil {
		t := *p.Params.Temperature
		out.Params.Temperature = &t
	}
	return out
}

// Provider returns the configured provider with that name.
func (c Config) Provider(name string) (Provider, bool) {
	for _, p := range c.Providers {
		if p.Name == name {
			return p.clone(), true
		}
	}
	return Provider{}, false
}

// Redacted returns a deep copy safe to log or send to the front end: every
// API key is replaced by its Mask.
func (c Config) Redacted() Config {
	out := c.Clone()
	for i := range out.Providers {
		out.Providers[i] = out.Providers[i].Redacted()
	}
	return out
}

// Redacted returns a copy of p with the API key replaced by its Mask.
func (p Provider) Redacted() Provider {
	out := p.clone()
	if out.APIKey != "" && !strings.Contains(out.APIKey, "…") { // masked already
		out.APIKey = Mask(out.APIKey)
	}
	return out
}

// String summarises c without any key.
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "config{default_model=%q addr=%q heartbeat=%s theme=%s language=%s providers=[",
		c.DefaultModel, c.Server.Addr, c.Server.Heartbeat, c.UI.Theme, c.UI.Language)
	for i, p := range c.Providers {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(p.String())
	}
	b.WriteString("]}")
	return b.String()
}

// GoString keeps %#v from printing keys.
func (c Config) GoString() string { return c.String() }

// LogValue makes slog print c without any key.
func (c Config) LogValue() slog.Value {
	names := make([]string, len(c.Providers))
	for i, p := range c.Providers {
		names[i] = p.Name
	}
	return slog.GroupValue(
		slog.String("default_model", c.DefaultModel),
		slog.String("addr", c.Server.Addr),
		slog.Duration("heartbeat", c.Server.Heartbeat.D()),
		slog.String("theme", c.UI.Theme),
		slog.String("language", c.UI.Language),
		slog.Any("providers", names),
	)
}

// String summarises p without its key.
func (p Provider) String() string {
	key := "none"
	switch {
	case p.APIKeyRef != "":
		key = p.APIKeyRef
	case p.APIKey != "":
		key = "file " + Mask(p.APIKey)
	}
	return fmt.Sprintf("%s(%s %s key=%s)", p.Name, p.Kind, p.Endpoint(), key)
}

// GoString keeps %#v from printing the key.
func (p Provider) GoString() string { return p.String() }

// LogValue makes slog print p without its key.
func (p Provider) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", p.Name),
		slog.String("kind", p.Kind),
		slog.String("base_url", p.Endpoint()),
		slog.String("api_key_ref", p.APIKeyRef),
		slog.Bool("api_key_in_file", p.APIKey != ""),
	)
}

// MarshalJSON writes p with its key masked, so a Provider (or a Config
// holding one) can never be serialised with the key in full by accident.
func (p Provider) MarshalJSON() ([]byte, error) {
	type plain Provider // no methods: avoids recursion
	return json.Marshal(plain(p.Redacted()))
}

// Endpoint returns BaseURL, or the official endpoint of the kind when it is
// empty.
func (p Provider) Endpoint() string {
	if p.BaseURL != "" {
		return p.BaseURL
	}
	switch p.Kind {
	case KindAnthropic:
		return DefaultAnthropicBaseURL
	case KindOpenAI:
		return DefaultOpenAIBaseURL
	}
	return ""
}

// Mask hides an API key for display: "sk-…abcd" for long keys (a short
// standard prefix and the last four characters), "…abcd" for medium ones,
// and "…" for short ones, which would otherwise be shown nearly in full.
func Mask(key string) string {
	r := []rune(key)
	switch {
	case len(r) == 0:
		return ""
	case len(r) < 16:
		return "…"
	}
	tail := string(r[len(r)-4:])
	if i := strings.IndexByte(key, '-'); len(r) >= 24 && i > 0 && i <= 3 {
		return key[:i+1] + "…" + tail
	}
	return "…" + tail
}

// SplitModelRef splits "<provider>/<model>" at the first "/".
func SplitModelRef(ref string) (provider, model string, ok bool) {
	provider, model, ok = strings.Cut(ref, "/")
	if !ok || provider == "" || model == "" {
		return "", "", false
	}
	return provider, model, true
}

// Change reports that the configuration in force, or the state of the file,
// changed.
type Change struct {
	// Config is the configuration now in force. When Err is set it is the
	// last good one, unchanged.
	Config Config
	// Previous is the configuration in force before this change (the one
	// the subscriber last saw, when changes were coalesced).
	Previous Config
	// Err is non-nil while config.toml cannot be used (a *Error, with
	// positions where known); nil means the file is good.
	Err error
	// Warnings are problems that did not stop the file from applying, such
	// as unknown keys or an API key kept in the file.
	Warnings []Problem
}

// AddrChanged reports whether server.addr changed, which needs the HTTP
// server to be restarted on the new address.
func (c Change) AddrChanged() bool { return c.Config.Server.Addr != c.Previous.Server.Addr }

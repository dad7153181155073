package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Problem is one thing wrong (or worth a warning) in the configuration.
type Problem struct {
	// Line and Column are 1-based positions in config.toml; 0 when not
	// known (a removed file, or a Config that did not come from the file).
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Key is the path of the offending value, like "server.addr" or
	// "providers[1].kind"; empty for whole-file problems.
	Key     string `json:"key,omitempty"`
	Message string `json:"message"`
}

// String formats p as "line 3, column 1: server.addr: message".
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ", column %d", p.Column)
		}
		b.WriteString(": ")
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error says why a configuration cannot be used. Problems is never empty.
type Error struct {
	File     string // path of config.toml; empty for a Config checked in memory
	Problems []Problem
	err      error // underlying cause, if any (file I/O)
}

var _ error = (*Error)(nil)

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		s := p.String()
		switch {
		case i > 0:
			b.WriteString("; ")
		case e.File != "" && !strings.HasPrefix(s, FileName):
			b.WriteString(FileName + ": ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.err }

// ErrorReport is a config.toml that cannot be used, as the Settings API
// (GET /api/config) and the `config.error` event show it.
type ErrorReport struct {
	File     string    `json:"file"`
	Problems []Problem `json:"problems"`
}

// NewErrorReport describes err (a *Error where positions are known) in the
// file at path file.
func NewErrorReport(file string, err error) *ErrorReport {
	var ce *Error
	if errors.As(err, &ce) {
		if ce.File != "" {
			file = ce.File
		}
		return &ErrorReport{File: file, Problems: ce.Problems}
	}
	return &ErrorReport{File: file, Problems: []Problem{{Message: err.Error()}}}
}

// Validation limits.
const (
	minHeartbeat    = Duration(1e9)       // 1s
	maxHeartbeat    = Duration(5 * 60e9)  // 5m
	minTimeout      = Duration(100e6)     // 100ms
	maxTimeout      = Duration(60 * 60e9) // 1h
	maxMaxTokens    = 10_000_000
	maxSystemPrompt = 256 << 10
	maxNameLen      = 64
)

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9_-]+$`)
	envVarRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// normalize fills in defaults for values left zero.
func normalize(c *Config) {
	for i := range c.Providers {
		p := &c.Providers[i]
		if p.ConnectTimeout == 0 {
			p.ConnectTimeout = Duration(DefaultConnectTimeout)
		}
		if p.FirstTokenTimeout == 0 {
			p.FirstTokenTimeout = Duration(DefaultFirstTokenTimeout)
		}
		if p.IdleTimeout == 0 {
			p.IdleTimeout = Duration(DefaultIdleTimeout)
		}
	}
}

// Validate checks c as Update would before writing it. The error, if any,
// is an *Error.
func (c Config) Validate() error {
	n := c.Clone()
	normalize(&n)
	if errs, _ := validate(n); len(errs) > 0 {
		return &Error{Problems: errs}
	}
	return nil
}

// validate returns the problems that make c unusable, and warnings. It
// never puts an API key into a message.
func validate(c Config) (errs, warns []Problem) {
	bad := func(key, format string, a ...any) {
		errs = append(errs, Problem{Key: key, Message: fmt.Sprintf(format, a...)})
	}
	warn := func(key, format string, a ...any) {
		warns = append(warns, Problem{Key: key, Message: fmt.Sprintf(format, a...)})
	}

	names := map[string]int{}
	for i, p := range c.Providers {
		at := func(field string) string { return fmt.Sprintf("providers[%d].%s", i, field) }
		switch {
		case p.Name == "":
			bad(at("name"), "every provider needs a name")
		case len(p.Name) > maxNameLen || !nameRE.MatchString(p.Name):
			bad(at("name"), "provider name %q may only use a-z, 0-9, _ and - (at most %d characters)", p.Name, maxNameLen)
		case p.Name == DemoProvider:
			bad(at("name"), "the name %q is reserved for the built-in demo provider", DemoProvider)
		default:
			if first, dup := names[p.Name]; dup {
				bad(at("name"), "provider name %q is already used by providers[%d]; names must be unique", p.Name, first)
			} else {
				names[p.Name] = i
			}
		}
		switch p.Kind {
		case KindOpenAI, KindAnthropic:
		case "":
			bad(at("kind"), "provider %q needs a kind: %q or %q", p.Name, KindOpenAI, KindAnthropic)
		default:
			bad(at("kind"), "unknown provider kind %q; use %q (also for Ollama, LM Studio, OpenRouter…) or %q", p.Kind, KindOpenAI, KindAnthropic)
		}
		if c := p.Continuation; c != "" {
			known := false
			for _, v := range ContinuationValues {
				known = known || c == v
			}
			switch {
			case !known:
				bad(at("continuation"), "continuation must be one of %s, not %q", strings.Join(quoteAll(ContinuationValues), ", "), c)
			case p.Kind == KindAnthropic && c != ContinueAuto:
				warn(at("continuation"), "provider %q is of kind %q, which always continues by prefill; continuation is ignored", p.Name, KindAnthropic)
			}
		}
		if p.BaseURL != "" {
			if msg := checkBaseURL(p.BaseURL); msg != "" {
				bad(at("base_url"), "%s", msg)
			}
		}
		switch ref := p.APIKeyRef; {
		case ref == "", ref == KeyRefKeyring:
		case strings.HasPrefix(ref, KeyRefEnvPrefix):
			if v := strings.TrimPrefix(ref, KeyRefEnvPrefix); !envVarRE.MatchString(v) {
				bad(at("api_key_ref"), "%q is not an environment variable name (write \"env:OPENAI_API_KEY\")", v)
			}
		default:
			bad(at("api_key_ref"), "api_key_ref must be %q, \"env:VARIABLE\" or empty, not %q", KeyRefKeyring, ref)
		}
		if p.APIKey != "" {
			// The key itself is never quoted in a message.
			switch {
			case strings.Contains(p.APIKey, "…"):
				bad(at("api_key"), "the API key of provider %q is a masked copy (it contains \"…\"); enter the full key", p.Name)
			case strings.IndexFunc(p.APIKey, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
				bad(at("api_key"), "the API key of provider %q contains spaces or control characters", p.Name)
			case p.APIKeyRef != "":
				warn(at("api_key"), "provider %q takes its key from %q; the api_key in the file is ignored", p.Name, p.APIKeyRef)
			default:
				warn(at("api_key"), "the API key of provider %q is stored in config.toml in plain text (no system keychain); keep the file private", p.Name)
			}
		}
		seen := map[string]bool{}
		for j, m := range p.Models {
			key := fmt.Sprintf("providers[%d].models[%d]", i, j)
			switch {
			case strings.TrimSpace(m) == "":
				bad(key, "model names cannot be empty")
			case strings.TrimSpace(m) != m || strings.ContainsAny(m, "\r\n\t"):
				bad(key, "model name %q has surrounding spaces or control characters", m)
			case seen[m]:
				bad(key, "model %q is listed twice", m)
			}
			seen[m] = true
		}
		if t := p.Params.Temperature; t != nil && (math.IsNaN(*t) || *t < 0 || *t > 2) {
			bad(at("params.temperature"), "temperature must be between 0 and 2")
		}
		if mt := p.Params.MaxTokens; mt < 0 || mt > maxMaxTokens {
			bad(at("params.max_tokens"), "max_tokens must be between 1 and %d (or 0 for the provider's default)", maxMaxTokens)
		}
		for _, d := range []struct {
			key string
			v   Duration
		}{{"connect_timeout", p.ConnectTimeout}, {"first_token_timeout", p.FirstTokenTimeout}, {"idle_timeout", p.IdleTimeout}} {
			if d.v < minTimeout || d.v > maxTimeout {
				bad(at(d.key), "%s must be between %s and %s (or \"0s\" for the default)", d.key, minTimeout, maxTimeout)
			}
		}
	}

	if prov, model, ok := SplitModelRef(c.DefaultModel); !ok {
		bad("default_model", "%q is not a model reference; write \"<provider>/<model>\", like %q", c.DefaultModel, DefaultModel)
	} else if !nameRE.MatchString(prov) {
		bad("default_model", "%q does not start with a provider name (a-z, 0-9, _ and -)", c.DefaultModel)
	} else if strings.TrimSpace(model) != model {
		bad("default_model", "the model name in %q has surrounding spaces", c.DefaultModel)
	} else if _, found := names[prov]; !found && prov != DemoProvider {
		// Not an error: local servers found on loopback (Ollama, LM Studio)
		// appear as providers without being configured here.
		warn("default_model", "provider %q is not configured; %q works only if Holdfast finds that provider running locally", prov, c.DefaultModel)
	}
	if len(c.SystemPrompt) > maxSystemPrompt {
		bad("system_prompt", "the system prompt is longer than %d KiB", maxSystemPrompt>>10)
	}
	if msg := checkAddr(c.Server.Addr); msg != "" {
		bad("server.addr", "%s", msg)
	}
	if h := c.Server.Heartbeat; h < minHeartbeat || h > maxHeartbeat {
		bad("server.heartbeat", "heartbeat must be between %s and %s", minHeartbeat, maxHeartbeat)
	}
	switch c.UI.Theme {
	case ThemeSystem, ThemeLight, ThemeDark:
	default:
		bad("ui.theme", "theme must be %q, %q or %q, not %q", ThemeSystem, ThemeLight, ThemeDark, c.UI.Theme)
	}
	switch c.UI.Language {
	case LanguageAuto, LanguageEnglish, LanguageChinese:
	default:
		bad("ui.language", "language must be %q, %q or %q, not %q", LanguageAuto, LanguageEnglish, LanguageChinese, c.UI.Language)
	}
	return errs, warns
}

// checkAddr returns why addr is not a loopback host:port, or "".
func checkAddr(addr string) string {
	const hint = "; use a loopback address like \"127.0.0.1:0\" or \"[::1]:8080\" (port 0 picks a free port)"
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("%q is not a host:port address%s", addr, hint)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || strconv.FormatUint(n, 10) != port {
		return fmt.Sprintf("%q has no valid port (0-65535)%s", addr, hint)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" || !ip.IsLoopback() {
		// Names (even "localhost") are refused: only an address literal
		// guarantees the server never listens beyond this machine.
		return fmt.Sprintf("%q is not a loopback address%s", addr, hint)
	}
	return ""
}

// checkBaseURL returns why u is not a usable endpoint, or "".
func checkBaseURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Sprintf("base_url is not a URL: %v", err)
	case u.User != nil:
		// Never echo the URL: the user part may hold a password.
		return "base_url must not contain a user name or password; put the key in api_key_ref or api_key"
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("base_url must start with http:// or https://, not %q", raw)
	case u.Host == "":
		return fmt.Sprintf("base_url %q has no host", raw)
	case u.Fragment != "":
		return fmt.Sprintf("base_url %q must not have a #fragment", raw)
	}
	return ""
}

// quoteAll quotes each value for a message.
func quoteAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strconv.Quote(v)
	}
	return out
}

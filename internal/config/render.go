package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// render writes c as config.toml: the standard comments explaining every
// field, the values, and commented-out provider examples. The first run
// writes render(Default()); Update writes render of the edited Config, so
// comments and keys a user added by hand are not kept (documented in the
// header).
func render(c Config) []byte {
	var b strings.Builder
	b.WriteString(headerComment)
	fmt.Fprintf(&b, "\n# The model new chats use: \"<provider>/<model>\", split at the first \"/\".\n")
	fmt.Fprintf(&b, "# %q is the built-in offline demo.\n", DefaultModel)
	fmt.Fprintf(&b, "default_model = %s\n", quote(c.DefaultModel))
	b.WriteString("\n# The system prompt for new chats (\"\" for none). Use \"\"\"triple quotes\"\"\" for\n# several lines.\n")
	fmt.Fprintf(&b, "system_prompt = %s\n", quoteText(c.SystemPrompt))

	b.WriteString("\n[server]\n")
	b.WriteString("# Where the local API listens: a loopback address (127.0.0.1 or [::1]) only.\n")
	b.WriteString("# Port 0 picks a free port at every start.\n")
	fmt.Fprintf(&b, "addr = %s\n", quote(c.Server.Addr))
	fmt.Fprintf(&b, "# How often the live stream sends a keep-alive (1s to 5m).\n")
	fmt.Fprintf(&b, "heartbeat = %s\n", quote(c.Server.Heartbeat.String()))

	b.WriteString("\n[ui]\n")
	fmt.Fprintf(&b, "# %q, %q or %q.\n", ThemeSystem, ThemeLight, ThemeDark)
	fmt.Fprintf(&b, "theme = %s\n", quote(c.UI.Theme))
	fmt.Fprintf(&b, "# %q (follow the system), %q or %q.\n", LanguageAuto, LanguageEnglish, LanguageChinese)
	fmt.Fprintf(&b, "language = %s\n", quote(c.UI.Language))

	b.WriteString(providersComment)
	for _, p := range c.Providers {
		b.WriteString("\n")
		writeProvider(&b, p)
	}
	b.WriteString("\n# Examples: remove the leading \"# \" from one block to use it.\n")
	for _, ex := range examples() {
		var e strings.Builder
		writeProvider(&e, ex.p)
		fmt.Fprintf(&b, "#\n# --- %s\n", ex.title)
		for _, line := range strings.SplitAfter(strings.TrimSuffix(e.String(), "\n"), "\n") {
			b.WriteString("# " + line)
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}

func writeProvider(b *strings.Builder, p Provider) {
	b.WriteString("[[providers]]\n")
	fmt.Fprintf(b, "name = %s\n", quote(p.Name))
	fmt.Fprintf(b, "kind = %s\n", quote(p.Kind))
	if p.BaseURL != "" {
		fmt.Fprintf(b, "base_url = %s\n", quote(p.BaseURL))
	}
	if p.Continuation != "" && p.Continuation != ContinueAuto {
		fmt.Fprintf(b, "continuation = %s\n", quote(p.Continuation))
	}
	if p.APIKeyRef != "" {
		fmt.Fprintf(b, "api_key_ref = %s\n", quote(p.APIKeyRef))
	}
	if p.APIKey != "" {
		fmt.Fprintf(b, "api_key = %s\n", quote(p.APIKey))
	}
	if p.Models != nil {
		quoted := make([]string, len(p.Models))
		for i, m := range p.Models {
			quoted[i] = quote(m)
		}
		fmt.Fprintf(b, "models = [%s]\n", strings.Join(quoted, ", "))
	}
	if len(p.Vision) > 0 {
		models := make([]string, 0, len(p.Vision))
		for m := range p.Vision {
			models = append(models, m)
		}
		sort.Strings(models)
		pairs := make([]string, len(models))
		for i, m := range models {
			pairs[i] = fmt.Sprintf("%s = %t", quote(m), p.Vision[m])
		}
		fmt.Fprintf(b, "vision = { %s }\n", strings.Join(pairs, ", "))
	}
	for _, t := range []struct {
		key      string
		v, deflt Duration
	}{
		{"connect_timeout", p.ConnectTimeout, Duration(DefaultConnectTimeout)},
		{"first_token_timeout", p.FirstTokenTimeout, Duration(DefaultFirstTokenTimeout)},
		{"idle_timeout", p.IdleTimeout, Duration(DefaultIdleTimeout)},
	} {
		if t.v != 0 && t.v != t.deflt {
			fmt.Fprintf(b, "%s = %s\n", t.key, quote(t.v.String()))
		}
	}
	if p.Params.Temperature != nil || p.Params.MaxTokens != 0 {
		b.WriteString("[providers.params]\n")
		if t := p.Params.Temperature; t != nil {
			s := strconv.FormatFloat(*t, 'f', -1, 64)
			if !strings.Contains(s, ".") {
				s += ".0"
			}
			fmt.Fprintf(b, "temperature = %s\n", s)
		}
		if p.Params.MaxTokens != 0 {
			fmt.Fprintf(b, "max_tokens = %d\n", p.Params.MaxTokens)
		}
	}
}

// quote writes s as a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	escape(&b, s, false)
	b.WriteByte('"')
	return b.String()
}

// quoteText writes s as a multi-line basic string when it has line breaks,
// so a long system prompt stays readable in the file.
func quoteText(s string) string {
	if !strings.Contains(s, "\n") {
		return quote(s)
	}
	var b strings.Builder
	b.WriteString("\"\"\"\n") // the newline right after the delimiter is not part of the value
	escape(&b, s, true)
	b.WriteString("\"\"\"")
	return b.String()
}

func escape(b *strings.Builder, s string, multiline bool) {
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n' && multiline:
			b.WriteByte('\n')
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
}

type example struct {
	title string
	p     Provider
}

// examples are the commented-out providers in a written file. A test
// uncomments each one and checks that it loads.
func examples() []example {
	temp := 0.7
	return []example{
		{"OpenAI (key in the system keychain: add it in Settings)", Provider{
			Name: "openai", Kind: KindOpenAI, APIKeyRef: KeyRefKeyring,
			Models: []string{"gpt-4o", "gpt-4o-mini"},
			Params: Params{Temperature: &temp},
		}},
		{"Anthropic (key from the ANTHROPIC_API_KEY environment variable)", Provider{
			Name: "anthropic", Kind: KindAnthropic, APIKeyRef: KeyRefEnvPrefix + "ANTHROPIC_API_KEY",
			Models: []string{"claude-sonnet-4-5", "claude-haiku-4-5"},
			Params: Params{MaxTokens: 4096},
		}},
		{"Ollama on this machine (found automatically; list it to change settings)", Provider{
			Name: "ollama", Kind: KindOpenAI, BaseURL: "http://127.0.0.1:11434/v1",
			FirstTokenTimeout: Duration(10 * 60e9), // loading a large model takes a while
		}},
		{"LM Studio on this machine (found automatically; list it to change settings)", Provider{
			Name: "lmstudio", Kind: KindOpenAI, BaseURL: "http://127.0.0.1:1234/v1",
		}},
		{"OpenRouter", Provider{
			Name: "openrouter", Kind: KindOpenAI, BaseURL: "https://openrouter.ai/api/v1",
			APIKeyRef: KeyRefKeyring, Models: []string{"meta-llama/llama-3.1-8b-instruct"},
		}},
	}
}

const headerComment = `# Holdfast configuration.
#
# Holdfast watches this file: saved changes apply within a second, without a
# restart. If the file has a mistake, Holdfast keeps using the last good
# settings and shows the error, with its line and column, in the app. Unknown
# keys are ignored with a warning. If the file is deleted, the current
# settings stay in force; the next start writes a fresh default file.
#
# The Settings screen rewrites this file from its values with these standard
# comments: comments and unknown keys you add by hand are not kept.
`

const providersComment = `
# Providers -----------------------------------------------------------------
#
# Each [[providers]] table adds one. Its fields:
#   name         how models are referred to, as "<name>/<model>": a-z, 0-9, _
#                and -, unique; "demo" is the built-in demo.
#   kind         "openai" for anything OpenAI-compatible (OpenAI, Ollama,
#                LM Studio, llama.cpp, vLLM, OpenRouter, DeepSeek), or
#                "anthropic".
#   base_url     the API endpoint; leave it out for the official OpenAI or
#                Anthropic endpoint.
#   api_key_ref  where the API key is: "keyring" (the system keychain; set the
#                key in Settings), "env:VARIABLE" (an environment variable),
#                or left out (the key is in api_key, or none is needed).
#   api_key      the key itself, in this file. Settings writes it here only
#                when there is no system keychain; keep this file private.
#   models       the models to offer, like ["gpt-4o", "gpt-4o-mini"]; leave
#                it out to ask the provider for its list.
#   vision       which models take images, like { "llava:7b" = true,
#                "llama3.2" = false }; a model left out is asked of its
#                server (Ollama, llama.cpp), else images are sent.
#   continuation (openai kind) how the server continues an interrupted
#                answer: "auto" (the default: find out what the server is),
#                "prefill" (llama.cpp, Ollama, LM Studio),
#                "continue_final_message" (vLLM, SGLang, TGI), "prefix"
#                (DeepSeek's beta API) or "none".
#   connect_timeout      give up connecting after this long (default 10s).
#   first_token_timeout  give up when the answer does not start within this
#                        long (default 5m).
#   idle_timeout         give up when the answer stalls this long (default 2m).
#   [providers.params]   temperature (0 to 2) and max_tokens for answers;
#                        leave them out for the provider's defaults. This
#                        table comes last in its provider.
`

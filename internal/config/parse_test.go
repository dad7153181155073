package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const testFile = "/data/config.toml"

// mustParse parses src and fails the test on any error.
func mustParse(t *testing.T, src string) (Config, []Problem) {
	t.Helper()
	cfg, warns, err := parse(testFile, []byte(src))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, src)
	}
	return cfg, warns
}

// parseError parses src and returns its *Error, failing if there is none.
func parseError(t *testing.T, src string) *Error {
	t.Helper()
	_, _, err := parse(testFile, []byte(src))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("parse: got %v, want an *Error\n%s", err, src)
	}
	if len(e.Problems) == 0 {
		t.Fatalf("parse: *Error without problems")
	}
	return e
}

func TestDefaultFileParsesToDefaults(t *testing.T) {
	cfg, warns := mustParse(t, string(render(Default())))
	if !reflect.DeepEqual(cfg, Default()) {
		t.Fatalf("default file parses to %v, want %v", cfg, Default())
	}
	if len(warns) != 0 {
		t.Fatalf("default file has warnings: %v", warns)
	}
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestEmptyTablesMeanDefaults(t *testing.T) {
	cfg, _ := mustParse(t, "# nothing but a comment\n[server]\n[ui]\n")
	if !reflect.DeepEqual(cfg, Default()) {
		t.Fatalf("got %v, want the defaults", cfg)
	}
}

// Every commented-out example in the written file must load once its
// block is uncommented.
func TestExamplesLoadWhenUncommented(t *testing.T) {
	text := string(render(Default()))
	for _, ex := range examples() {
		t.Run(ex.p.Name, func(t *testing.T) {
			lines := strings.Split(text, "\n")
			start := -1
			for i, l := range lines {
				if l == "# --- "+ex.title {
					start = i
				}
			}
			if start < 0 {
				t.Fatalf("example %q not in the file", ex.title)
			}
			for i := start + 1; i < len(lines) && strings.HasPrefix(lines[i], "# "); i++ {
				lines[i] = strings.TrimPrefix(lines[i], "# ")
			}
			cfg, warns := mustParse(t, strings.Join(lines, "\n"))
			if len(cfg.Providers) != 1 || cfg.Providers[0].Name != ex.p.Name {
				t.Fatalf("providers = %v, want just %q", cfg.Providers, ex.p.Name)
			}
			if len(warns) != 0 {
				t.Fatalf("warnings: %v", warns)
			}
		})
	}
}

func TestRenderRoundTrip(t *testing.T) {
	temp0, temp1, tempFrac := 0.0, 1.0, 0.25
	cases := []struct {
		name string
		cfg  func(*Config)
	}{
		{"defaults", func(*Config) {}},
		{"every field", func(c *Config) {
			c.DefaultModel = "openrouter/meta-llama/llama-3-8b"
			c.Server = Server{Addr: "[::1]:8765", Heartbeat: Duration(90e9)}
			c.UI = UI{Theme: ThemeDark, Language: LanguageChinese}
			c.Providers = []Provider{
				{Name: "openrouter", Kind: KindOpenAI, BaseURL: "https://openrouter.ai/api/v1?x=1", APIKeyRef: "env:OR_KEY",
					Models: []string{"meta-llama/llama-3-8b", "qwen:7b"}, Params: Params{Temperature: &tempFrac, MaxTokens: 2048},
					ConnectTimeout: Duration(3e9), FirstTokenTimeout: Duration(90e9), IdleTimeout: Duration(1500e6),
					Continuation: ContinueFinalMessage},
				{Name: "a_1", Kind: KindAnthropic, APIKey: "sk-ant-0123456789abcdef", Params: Params{Temperature: &temp0}, Models: []string{}},
				{Name: "z-2", Kind: KindOpenAI, APIKeyRef: KeyRefKeyring, Params: Params{Temperature: &temp1}},
			}
		}},
		{"awkward system prompt", func(c *Config) {
			c.SystemPrompt = "Line one \"quoted\" \\ back\n\tindented\n\"\"\" triple\r\nctrl\x01\x7f end \"\"\n\n中文 ✓ \""
		}},
		{"one-line prompt with quotes", func(c *Config) { c.SystemPrompt = `say "hi" \n literally` }},
		{"prompt starting with a newline", func(c *Config) { c.SystemPrompt = "\nafter a blank line\n" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := Default()
			tc.cfg(&want)
			normalize(&want)
			got, _ := mustParse(t, string(render(want)))
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip:\n got %#v\nwant %#v\nsystem prompts %q vs %q\n%s", got, want, got.SystemPrompt, want.SystemPrompt, render(want))
			}
		})
	}
}

func TestValidationErrors(t *testing.T) {
	const provider = "[[providers]]\nname = \"p\"\nkind = \"openai\"\n"
	cases := []struct {
		name      string
		src       string
		key       string
		line, col int
		msg       string
	}{
		{"bad kind", "[[providers]]\nname = \"p\"\n  kind = \"opnai\"\n", "providers[0].kind", 3, 3, `unknown provider kind "opnai"`},
		{"missing kind", "[[providers]]\nname = \"p\"\n", "providers[0].kind", 1, 1, "needs a kind"},
		{"duplicate provider name", provider + "\n" + provider, "providers[1].name", 6, 1, `"p" is already used by providers[0]`},
		{"reserved name", "[[providers]]\nname = \"demo\"\nkind = \"openai\"\n", "providers[0].name", 2, 1, "reserved for the built-in demo"},
		{"bad name", "[[providers]]\nname = \"Open AI\"\nkind = \"openai\"\n", "providers[0].name", 2, 1, "may only use a-z, 0-9, _ and -"},
		{"missing name", "[[providers]]\nkind = \"openai\"\n", "providers[0].name", 1, 1, "needs a name"},
		{"non-loopback addr", "[server]\naddr = \"0.0.0.0:8080\"\n", "server.addr", 2, 1, "is not a loopback address"},
		{"all interfaces", "[server]\naddr = \":8080\"\n", "server.addr", 2, 1, "is not a loopback address"},
		{"host name addr", "[server]\naddr = \"localhost:8080\"\n", "server.addr", 2, 1, "is not a loopback address"},
		{"addr without port", "[server]\naddr = \"127.0.0.1\"\n", "server.addr", 2, 1, "is not a host:port address"},
		{"port out of range", "[server]\naddr = \"127.0.0.1:70000\"\n", "server.addr", 2, 1, "no valid port"},
		{"dotted key addr", "server.addr = \"10.0.0.1:80\"\n", "server.addr", 1, 1, "is not a loopback address"},
		{"bad duration", "[server]\nheartbeat = \"fast\"\n", "server.heartbeat", 2, 1, `"fast" is not a duration`},
		{"duration without unit", "[server]\nheartbeat = 15\n", "server.heartbeat", 2, 1, `write "15s"`},
		{"heartbeat too short", "[server]\nheartbeat = \"500ms\"\n", "server.heartbeat", 2, 1, "between 1s and 5m"},
		{"timeout too long", provider + "connect_timeout = \"2h\"\n", "providers[0].connect_timeout", 4, 1, "between 100ms and 1h"},
		{"bad duration in second provider", provider + "\n[[providers]]\nname = \"q\"\nkind = \"openai\"\nidle_timeout = \"soon\"\n", "providers[1].idle_timeout", 8, 1, `"soon" is not a duration`},
		{"default model without provider", "default_model = \"gpt-4o\"\n", "default_model", 1, 1, "is not a model reference"},
		{"default model without model", "default_model = \"openai/\"\n", "default_model", 1, 1, "is not a model reference"},
		{"default model bad provider", "default_model = \"Open AI/gpt\"\n", "default_model", 1, 1, "does not start with a provider name"},
		{"bad theme", "[ui]\ntheme = \"blue\"\n", "ui.theme", 2, 1, `theme must be "system", "light" or "dark", not "blue"`},
		{"bad language", "[ui]\nlanguage = \"fr\"\n", "ui.language", 2, 1, `not "fr"`},
		{"string expected", "default_model = 42\n", "default_model", 1, 1, "must be a string in double quotes, not an integer"},
		{"table expected", "server = \"here\"\n", "server", 1, 1, "server must be a table, not a string"},
		{"bad base_url", provider + "base_url = \"ftp://example.com\"\n", "providers[0].base_url", 4, 1, "must start with http:// or https://"},
		{"base_url with password", provider + "base_url = \"https://me:hunter2@example.com\"\n", "providers[0].base_url", 4, 1, "must not contain a user name or password"},
		{"bad key ref", provider + "api_key_ref = \"vault\"\n", "providers[0].api_key_ref", 4, 1, `not "vault"`},
		{"bad continuation", provider + "continuation = \"sometimes\"\n", "providers[0].continuation", 4, 1, `continuation must be one of "auto", "prefill", "continue_final_message", "prefix", "none", not "sometimes"`},
		{"bad env name", provider + "api_key_ref = \"env:1KEY\"\n", "providers[0].api_key_ref", 4, 1, "not an environment variable name"},
		{"masked key", provider + "api_key = \"sk-…abcd\"\n", "providers[0].api_key", 4, 1, "masked copy"},
		{"models not a list", provider + "models = \"gpt-4o\"\n", "providers[0].models", 4, 1, "must be a list of names"},
		{"duplicate model", provider + "models = [\n  \"a\",\n  \"a\",\n]\n", "providers[0].models[1]", 6, 3, `"a" is listed twice`},
		{"temperature out of range", provider + "[providers.params]\ntemperature = 2.5\n", "providers[0].params.temperature", 5, 1, "between 0 and 2"},
		{"max_tokens as string", provider + "[providers.params]\nmax_tokens = \"100\"\n", "providers[0].params.max_tokens", 5, 1, "whole number"},
		{"negative max_tokens", provider + "params = { max_tokens = -1 }\n", "providers[0].params.max_tokens", 4, 12, "max_tokens must be between"},
		{"inline array of tables", "providers = [{ name = \"a\", kind = \"x\" }]\n", "providers[0].kind", 1, 28, `unknown provider kind "x"`},
		{"key after multi-line prompt", "system_prompt = \"\"\"\nkind = \"nope\"\n[[providers]]\n\"\"\"\n" + provider + "[providers.params]\ntemperature = 9\n", "providers[0].params.temperature", 9, 1, "between 0 and 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := parseError(t, tc.src)
			var found *Problem
			for i, p := range e.Problems {
				if p.Key == tc.key {
					found = &e.Problems[i]
				}
			}
			if found == nil {
				t.Fatalf("no problem for %s in %v", tc.key, e.Problems)
			}
			if found.Line != tc.line || found.Column != tc.col {
				t.Errorf("position = %d:%d, want %d:%d (%v)", found.Line, found.Column, tc.line, tc.col, found)
			}
			if !strings.Contains(found.Message, tc.msg) {
				t.Errorf("message = %q, want it to contain %q", found.Message, tc.msg)
			}
			if !strings.Contains(e.Error(), "config.toml: line ") || !strings.Contains(e.Error(), tc.key) {
				t.Errorf("Error() = %q, want the file, line and key", e.Error())
			}
			if strings.Contains(e.Error(), "hunter2") {
				t.Errorf("Error() repeats a password: %q", e.Error())
			}
		})
	}
}

func TestSyntaxErrorsReportLineAndColumn(t *testing.T) {
	cases := []struct {
		name      string
		src       string
		line, col int
		msg       string
	}{
		{"unclosed table header", "default_model = \"demo/demo\"\n[server\naddr = \"127.0.0.1:0\"\n", 2, 8, "to end table name"},
		{"unterminated string", "[ui]\ntheme = \"dark\n", 2, 14, "strings cannot contain newlines"},
		{"garbage after value", "system_prompt = \"héllo\" x\n", 1, 25, "got 'x'"},
		{"duplicate key", "[ui]\ntheme = \"dark\"\ntheme = \"light\"\n", 3, 1, "already been defined"},
		{"stray comma", "[[providers]]\nmodels = [\"a\",,]\n", 2, 15, "unexpected comma"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := parseError(t, tc.src)
			p := e.Problems[0]
			if p.Line != tc.line || p.Column != tc.col {
				t.Errorf("position = %d:%d, want %d:%d (%v)", p.Line, p.Column, tc.line, tc.col, p)
			}
			if !strings.Contains(p.Message, tc.msg) {
				t.Errorf("message = %q, want %q", p.Message, tc.msg)
			}
		})
	}
}

func TestSyntaxErrorNeverQuotesAKey(t *testing.T) {
	const secret = "sk-live-SYNTAXSECRET0123456789"
	for _, src := range []string{
		"[[providers]]\nname = \"p\"\nkind = \"openai\"\napi_key = " + secret + "\n",
		"[[providers]]\nname = \"p\"\nkind = \"openai\"\napi_key = \"" + secret + "\" junk\n",
		"[[providers]]\nname = \"p\"\nkind = \"openai\"\napi_key = \"" + secret + "\n",
	} {
		e := parseError(t, src)
		if strings.Contains(e.Error(), secret) || strings.Contains(e.Error(), "SYNTAXSECRET") {
			t.Errorf("error quotes the key: %q", e.Error())
		}
		if e.Problems[0].Line != 4 {
			t.Errorf("line = %d, want 4", e.Problems[0].Line)
		}
	}
}

func TestUnknownKeysAreWarnings(t *testing.T) {
	src := "colour = \"red\"\n[ui]\ntheme = \"dark\"\nthem = \"light\"\n[[providers]]\nname = \"p\"\nkind = \"openai\"\n[providers.params]\ntemprature = 0.5\n"
	cfg, warns := mustParse(t, src)
	if cfg.UI.Theme != ThemeDark || len(cfg.Providers) != 1 {
		t.Fatalf("the known keys should still apply: %v", cfg)
	}
	want := []struct {
		key  string
		line int
	}{{"colour", 1}, {"ui.them", 4}, {"providers[0].params.temprature", 9}}
	if len(warns) != len(want) {
		t.Fatalf("warnings = %v, want %d", warns, len(want))
	}
	for i, w := range want {
		if warns[i].Key != w.key || warns[i].Line != w.line || !strings.Contains(warns[i].Message, "unknown key") {
			t.Errorf("warning %d = %+v, want key %s at line %d", i, warns[i], w.key, w.line)
		}
	}
}

func TestWarnings(t *testing.T) {
	cases := []struct {
		name, src, key, msg string
	}{
		{"key in the file", "[[providers]]\nname = \"p\"\nkind = \"openai\"\napi_key = \"sk-0123456789abcdef\"\n", "providers[0].api_key", "stored in config.toml in plain text"},
		{"key in the file and a ref", "[[providers]]\nname = \"p\"\nkind = \"openai\"\napi_key_ref = \"keyring\"\napi_key = \"sk-0123456789abcdef\"\n", "providers[0].api_key", "is ignored"},
		{"default model of an unconfigured provider", "default_model = \"ollama/llama3.2:3b\"\n", "default_model", `provider "ollama" is not configured`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, warns := mustParse(t, tc.src)
			if len(warns) != 1 || warns[0].Key != tc.key || !strings.Contains(warns[0].Message, tc.msg) || warns[0].Line == 0 {
				t.Fatalf("warnings = %+v, want one for %s containing %q", warns, tc.key, tc.msg)
			}
		})
	}
}

func TestTimeoutsDefaultWhenZeroOrMissing(t *testing.T) {
	cfg, _ := mustParse(t, "[[providers]]\nname = \"p\"\nkind = \"openai\"\nconnect_timeout = \"0s\"\nidle_timeout = 0\nfirst_token_timeout = \"45s\"\n")
	p := cfg.Providers[0]
	if p.ConnectTimeout.D() != DefaultConnectTimeout || p.IdleTimeout.D() != DefaultIdleTimeout || p.FirstTokenTimeout.D() != 45e9 {
		t.Fatalf("timeouts = %v %v %v", p.ConnectTimeout, p.FirstTokenTimeout, p.IdleTimeout)
	}
}

func TestFileLimits(t *testing.T) {
	big := "system_prompt = \"" + strings.Repeat("x", maxFileSize) + "\"\n"
	if e := parseError(t, big); !strings.Contains(e.Error(), "larger than") {
		t.Errorf("big file: %v", e)
	}
	if e := parseError(t, "default_model = \"\xff\"\n"); !strings.Contains(e.Error(), "UTF-8") {
		t.Errorf("bad UTF-8: %v", e)
	}
	cfg, _ := mustParse(t, "\uFEFF[ui]\ntheme = \"light\"\n")
	if cfg.UI.Theme != ThemeLight {
		t.Errorf("a file with a BOM should load, got %v", cfg)
	}
}

func TestDurationText(t *testing.T) {
	for in, want := range map[string]string{"10m": "10m", "1h0m0s": "1h", "90s": "1m30s", "1500ms": "1.5s", "2h30m": "2h30m"} {
		var d Duration
		if err := d.UnmarshalText([]byte(in)); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if d.String() != want {
			t.Errorf("%s formats as %s, want %s", in, d, want)
		}
		var back Duration
		if err := back.UnmarshalText([]byte(d.String())); err != nil || back != d {
			t.Errorf("%s does not read back: %v %v", d, back, err)
		}
	}
}

func TestMask(t *testing.T) {
	for key, want := range map[string]string{
		"":                                   "",
		"short":                              "…",
		"0123456789abcdef":                   "…cdef",
		"sk-proj-0123456789abcdefghijWXYZ":   "sk-…WXYZ",
		"sk-ant-api03-0123456789abcdefgWXYZ": "sk-…WXYZ",
		"nodash0123456789abcdefghijklmWXYZ":  "…WXYZ",
	} {
		if got := Mask(key); got != want {
			t.Errorf("Mask(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestSplitModelRef(t *testing.T) {
	cases := []struct {
		ref, provider, model string
		ok                   bool
	}{
		{"demo/demo", "demo", "demo", true},
		{"openrouter/meta-llama/llama-3-8b", "openrouter", "meta-llama/llama-3-8b", true},
		{"ollama/llama3.2:3b", "ollama", "llama3.2:3b", true},
		{"gpt-4o", "", "", false},
		{"/gpt", "", "", false},
		{"openai/", "", "", false},
	}
	for _, tc := range cases {
		p, m, ok := SplitModelRef(tc.ref)
		if p != tc.provider || m != tc.model || ok != tc.ok {
			t.Errorf("SplitModelRef(%q) = %q %q %v", tc.ref, p, m, ok)
		}
	}
}

// The config.error payload keeps a parse error's file and positions; any
// other error becomes one problem carrying its message, in the file given.
func TestNewErrorReport(t *testing.T) {
	parsed := func() error {
		_, _, err := parse(testFile, []byte("[server\n"))
		return err
	}()
	inMemory := (Config{DefaultModel: "nope"}).Validate()
	cases := []struct {
		name     string
		err      error
		wantFile string
		wantLine bool
		wantMsg  string
	}{
		{"syntax error with a position", parsed, testFile, true, ""},
		{"validation error without a file", inMemory, "/other/config.toml", false, "default_model"},
		{"wrapped file error", fmt.Errorf("load: %w", parsed), testFile, true, ""},
		{"plain error", errors.New("read config.toml: permission denied"), "/other/config.toml", false, "permission denied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := NewErrorReport("/other/config.toml", tc.err)
			if r.File != tc.wantFile || len(r.Problems) == 0 {
				t.Fatalf("report %+v; want file %q and problems", r, tc.wantFile)
			}
			p := r.Problems[0]
			if tc.wantLine && (p.Line == 0 || p.Column == 0) {
				t.Errorf("problem %+v; want its line and column", p)
			}
			if !strings.Contains(p.Key+": "+p.Message, tc.wantMsg) {
				t.Errorf("problem %+v; want it to say %q", p, tc.wantMsg)
			}
		})
	}
}

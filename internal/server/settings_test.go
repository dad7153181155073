package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/holdfast-chat/holdfast/internal/chat"
	"github.com/holdfast-chat/holdfast/internal/config"
	"github.com/holdfast-chat/holdfast/internal/llm"
)

// onDisk is the configuration a PUT body is applied to: one provider with
// a key in the file, one that reads it from the environment.
func onDisk() config.Config {
	c := config.Default()
	c.Providers = []config.Provider{
		{Name: "a", Kind: config.KindOpenAI, BaseURL: "http://127.0.0.1:9/v1", APIKey: "sk-file-key-0123456789abcdef"},
		{Name: "b", Kind: config.KindAnthropic, APIKeyRef: "env:ANTHROPIC_KEY"},
	}
	return c
}

func TestConfigEdit(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		badBody bool // refused before the file is read (400)
		invalid bool // refused by validation (422)
		check   func(t *testing.T, c config.Config)
	}{
		{name: "a field of ui changes only that field", body: `{"ui":{"theme":"dark"}}`, check: func(t *testing.T, c config.Config) {
			if c.UI.Theme != "dark" || c.UI.Language != config.LanguageAuto || len(c.Providers) != 2 || c.Providers[0].APIKey == "" {
				t.Errorf("%+v", c)
			}
		}},
		{name: "providers replace the list and keep keys by name", body: `{"providers":[{"name":"a","kind":"openai","models":["m1"]}]}`, check: func(t *testing.T, c config.Config) {
			if len(c.Providers) != 1 || c.Providers[0].APIKey != onDisk().Providers[0].APIKey || c.Providers[0].Models[0] != "m1" || c.Providers[0].BaseURL != "" {
				t.Errorf("%+v", c.Providers)
			}
		}},
		{name: "a provider keeps its key reference when the body has none", body: `{"providers":[{"name":"b","kind":"anthropic"}]}`, check: func(t *testing.T, c config.Config) {
			if c.Providers[0].APIKeyRef != "env:ANTHROPIC_KEY" {
				t.Errorf("%+v", c.Providers[0])
			}
		}},
		{name: "an explicit key reference is taken", body: `{"providers":[{"name":"b","kind":"anthropic","api_key_ref":"env:OTHER"}]}`, check: func(t *testing.T, c config.Config) {
			if c.Providers[0].APIKeyRef != "env:OTHER" {
				t.Errorf("%+v", c.Providers[0])
			}
		}},
		{name: "a new provider has no key", body: `{"providers":[{"name":"c","kind":"openai"}]}`, check: func(t *testing.T, c config.Config) {
			if p := c.Providers[0]; p.APIKey != "" || p.APIKeyRef != "" {
				t.Errorf("%+v", p)
			}
		}},
		{name: "a key is refused", body: `{"providers":[{"name":"a","kind":"openai","api_key":"sk-new"}]}`, badBody: true},
		{name: "unknown field", body: `{"server":{"adr":"127.0.0.1:0"}}`, badBody: true},
		{name: "two values", body: `{}{}`, badBody: true},
		{name: "empty body", body: ``, badBody: true},
		{name: "invalid value", body: `{"server":{"addr":"10.0.0.1:80"}}`, invalid: true},
		{name: "duplicate names", body: `{"providers":[{"name":"a","kind":"openai"},{"name":"a","kind":"openai"}]}`, invalid: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			edit, err := configEdit([]byte(tc.body))
			if tc.badBody {
				if err == nil {
					t.Fatal("accepted; want the body refused")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := onDisk()
			err = edit(&c)
			var ce *config.Error
			if tc.invalid {
				if !errors.Is(err, ErrInvalidSettings) || !errors.As(err, &ce) || len(ce.Problems) == 0 {
					t.Fatalf("err %v; want ErrInvalidSettings with problems", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

// Each failure reaches the front end with its own status and code, and
// the problems where there are some.
func TestSettingsErrorStatus(t *testing.T) {
	problems := &config.Error{File: "/x/config.toml", Problems: []config.Problem{{Line: 3, Column: 7, Key: "server.addr", Message: "bad"}}}
	cases := []struct {
		name     string
		err      error
		status   int
		code     string
		problems bool
	}{
		{"unknown provider", fmt.Errorf("set API key: %w %q", ErrNoProvider, "x"), 404, "not_found", false},
		{"invalid request", fmt.Errorf("update config: %w: %w", ErrInvalidSettings, problems), 422, "invalid_config", true},
		{"broken file", fmt.Errorf("update config: fix config.toml first: %w", problems), 409, "config_file_invalid", true},
		{"keychain", fmt.Errorf("%w: keychain locked", ErrKeyNotSaved), 503, "key_not_saved", false},
		{"closing", fmt.Errorf("update config: %w", config.ErrClosed), 503, "unavailable", false},
		{"provider cannot continue", fmt.Errorf("continue: %w", llm.ErrCannotContinue), 422, "cannot_continue", false},
		{"model cannot continue", chat.ErrCannotContinue, 422, "cannot_continue", false},
		{"anything else", errors.New("disk on fire"), 500, "internal", false},
	}
	s := New(Config{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			s.settingsFail(w, httptest.NewRequest("PUT", "/api/config", nil), tc.err)
			var body struct {
				Error struct {
					Code     string           `json:"code"`
					Problems []config.Problem `json:"problems"`
				} `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if w.Code != tc.status || body.Error.Code != tc.code {
				t.Errorf("%d %s; want %d %s", w.Code, w.Body, tc.status, tc.code)
			}
			if got := len(body.Error.Problems) == 1 && body.Error.Problems[0].Line == 3; got != tc.problems {
				t.Errorf("problems %+v; want them: %v", body.Error.Problems, tc.problems)
			}
		})
	}
}

// Without a Settings the endpoints do not exist.
func TestSettingsRoutesNeedSettings(t *testing.T) {
	s := New(Config{Token: "t"})
	req := httptest.NewRequest("GET", "http://127.0.0.1/api/config", nil)
	req.Header.Set("Authorization", "Bearer t")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != http.StatusNotFound {
		t.Errorf("GET /api/config without settings: %d; want 404", w.Code)
	}
}

package settings_test

// These tests drive the settings service end to end, the way a user does:
// a real backend on loopback (the one place that wires settings to the
// HTTP server, the providers and the event log), config.toml edited by
// hand or through the API, the stream watched for config events, and
// fake upstreams that speak the providers' wire formats.

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/config"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/server"
	"github.com/holdfast-chat/holdfast/internal/settings"
)

// A user with Ollama running gets its models listed on the first start,
// with no configuration at all; discovery on demand finds it again, and a
// server that goes away hides no other provider.
func TestFirstStartListsLocalServersWithoutConfiguration(t *testing.T) {
	checkNoLeaks(t)
	ollama := fakeOllama(t)
	h := startBackend(t, harnessOpts{discover: []llm.Candidate{
		{Name: "ollama", BaseURL: ollama.URL, Ollama: true},
		{Name: "lmstudio", BaseURL: "http://" + freeAddr(t)}, // nothing there
	}})

	info, err := os.Stat(filepath.Join(h.home, config.FileName))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("config.toml after the first start: %v, mode %v; want a default file with mode 0600", err, info.Mode().Perm())
	}
	eventually(t, 5*time.Second, "Ollama's models listed", func() bool {
		m := h.models()
		return m.has("ollama/llama3.2:3b") && m.has("demo/demo")
	})
	if m := h.models(); m.Default != "demo/demo" {
		t.Errorf("default model %q; want demo/demo until the user picks another", m.Default)
	}

	var found struct{ Servers []server.LocalServer }
	h.api("POST", "/api/providers/discover", "", 200, &found)
	if len(found.Servers) != 1 {
		t.Fatalf("discover found %+v; want only the fake Ollama", found.Servers)
	}
	if s := found.Servers[0]; s.Name != "ollama" || s.Kind != "openai" || s.BaseURL != ollama.URL+"/v1" ||
		len(s.Models) != 1 || s.Models[0] != "llama3.2:3b" || s.Configured {
		t.Errorf("discovered %+v", s)
	}

	ollama.Close()
	m := h.models()
	if !m.has("demo/demo") || m.has("ollama/llama3.2:3b") {
		t.Errorf("models with Ollama gone: %+v; want the demo still listed", m.Models)
	}
}

// A local server the user configured under its own name is not listed
// twice: the configured entry wins.
func TestConfiguredProviderShadowsTheSameLocalServer(t *testing.T) {
	checkNoLeaks(t)
	ollama := fakeOllama(t)
	localhostURL := strings.Replace(ollama.URL, "127.0.0.1", "localhost", 1)
	h := startBackend(t, harnessOpts{
		discover: []llm.Candidate{{Name: "ollama", BaseURL: ollama.URL, Ollama: true}},
		config:   providerTOML("mybox", localhostURL),
	})
	var found struct{ Servers []server.LocalServer }
	h.api("POST", "/api/providers/discover", "", 200, &found)
	if len(found.Servers) != 1 || !found.Servers[0].Configured {
		t.Fatalf("discovered %+v; want Ollama marked as configured", found.Servers)
	}
	m := h.models()
	if !m.has("mybox/llama3.2:3b") || m.has("ollama/llama3.2:3b") {
		t.Errorf("models %+v; want the server once, under the configured name", m.Models)
	}
}

// Editing config.toml by hand takes effect within a second and tells the
// windows; the new provider then streams an answer whose usage is stored.
func TestHandEditAppliesAndTheNewProviderChats(t *testing.T) {
	checkNoLeaks(t)
	up := newFakeOpenAI(t, "")
	h := startBackend(t, harnessOpts{})
	s := h.stream()

	writeConfig(t, h.home, "default_model = \"fake/gpt-fake\"\n\n"+providerTOML("fake", up.srv.URL))
	ev := s.waitFor(t, settings.EventConfigChanged, time.Second, nil)
	var changed struct {
		Config struct {
			DefaultModel string `json:"default_model"`
			Providers    []struct{ Name, BaseURL string }
		}
	}
	if err := json.Unmarshal([]byte(ev.Data), &changed); err != nil || changed.Config.DefaultModel != "fake/gpt-fake" ||
		len(changed.Config.Providers) != 1 || changed.Config.Providers[0].Name != "fake" {
		t.Fatalf("config.changed data %s (%v)", ev.Data, err)
	}
	m := h.models()
	if !m.has("fake/gpt-fake") || !m.has("demo/demo") || m.Default != "fake/gpt-fake" {
		t.Fatalf("models after the edit: %+v", m)
	}

	sid, mid := h.chat("fake/gpt-fake", "Say hello")
	s.waitFor(t, "message.completed", 10*time.Second, func(d string) bool { return strings.Contains(d, mid) })
	msg := h.settled(sid, mid)
	if msg.Status != "complete" || msg.Content != fakeAnswer || msg.Model != "fake/gpt-fake" {
		t.Fatalf("answer %+v; want the fake's text, complete", msg)
	}
	if msg.Usage == nil || msg.Usage.InputTokens != 11 || msg.Usage.OutputTokens != 7 {
		t.Errorf("usage %+v; want 11 in, 7 out from the usage chunk", msg.Usage)
	}
	_, all := up.requests()
	// The first answer also names the chat in a request of its own.
	var bodies []map[string]any
	for _, b := range all {
		msgs, _ := b["messages"].([]any)
		if first, ok := firstContent(msgs); ok && strings.HasPrefix(first, "You name conversations") {
			continue
		}
		bodies = append(bodies, b)
	}
	if len(bodies) != 1 {
		t.Fatalf("upstream got %d chat requests; want 1", len(bodies))
	}
	opts, _ := bodies[0]["stream_options"].(map[string]any)
	if bodies[0]["model"] != "gpt-fake" || bodies[0]["stream"] != true || opts["include_usage"] != true {
		t.Errorf("upstream request %v", bodies[0])
	}
}

// firstContent is the text of the first message of an OpenAI request.
func firstContent(msgs []any) (string, bool) {
	if len(msgs) == 0 {
		return "", false
	}
	m, _ := msgs[0].(map[string]any)
	s, ok := m["content"].(string)
	return s, ok
}

// A syntax error keeps the last good configuration in force and is
// reported with its position; fixing the file clears it.
func TestBrokenConfigKeepsTheLastGoodOne(t *testing.T) {
	checkNoLeaks(t)
	up := newFakeOpenAI(t, "")
	good := providerTOML("fake", up.srv.URL, `models = ["gpt-fake"]`)
	h := startBackend(t, harnessOpts{config: good})
	s := h.stream()

	broken := good + "\n[server\naddr = \"127.0.0.1:0\"\n"
	wantLine := strings.Count(good+"\n", "\n") + 1
	writeConfig(t, h.home, broken)
	ev := s.waitFor(t, "config.error", 2*time.Second, nil)
	var cerr config.ErrorReport
	if err := json.Unmarshal([]byte(ev.Data), &cerr); err != nil || len(cerr.Problems) == 0 {
		t.Fatalf("config.error data %s (%v)", ev.Data, err)
	}
	if p := cerr.Problems[0]; p.Line != wantLine || p.Column <= 0 || filepath.Base(cerr.File) != config.FileName {
		t.Errorf("problem %+v in %q; want line %d with a column, in config.toml", p, cerr.File, wantLine)
	}
	var view server.SettingsView
	h.api("GET", "/api/config", "", 200, &view)
	if view.Error == nil || view.Error.Problems[0].Line != wantLine || len(view.Config.Providers) != 1 {
		t.Fatalf("GET /api/config while broken: %+v; want the error and the last good providers", view)
	}

	sid, mid := h.chat("fake/gpt-fake", "still there?")
	if msg := h.settled(sid, mid); msg.Status != "complete" || msg.Content != fakeAnswer {
		t.Fatalf("chat on the last good configuration: %+v", msg)
	}

	writeConfig(t, h.home, good)
	s.waitFor(t, "config.changed", 2*time.Second, nil)
	h.api("GET", "/api/config", "", 200, &view)
	if view.Error != nil {
		t.Errorf("error after the fix: %+v", view.Error)
	}
}

// A key pasted through the API is what the provider sends; it never shows
// in an API answer, the stream, an export or the log.
func TestKeyFromTheAPIIsUsedAndNeverShown(t *testing.T) {
	checkNoLeaks(t)
	const secret = "sk-proj-SECRETkey0123456789abcdefXYZ"
	const wrong = "sk-proj-WRONGkey0123456789abcdefQRS"
	up := newFakeOpenAI(t, secret)
	h := startBackend(t, harnessOpts{config: providerTOML("x", up.srv.URL, `models = ["gpt-fake"]`)})
	s := h.stream()

	failed := func(what string) message {
		t.Helper()
		sid, mid := h.chat("x/gpt-fake", "hi")
		msg := h.settled(sid, mid)
		if msg.Status != "failed" || !strings.Contains(msg.Error, `"x"`) || !strings.Contains(msg.Error, "Settings") {
			t.Fatalf("%s: %+v; want failed, naming the provider and Settings", what, msg)
		}
		return msg
	}
	failed("no key")

	var st config.KeyStatus
	h.api("PUT", "/api/providers/x/key", `{"key":"`+wrong+`"}`, 200, &st)
	failed("wrong key, which the upstream echoes")

	h.api("PUT", "/api/providers/x/key", `{"key":"`+secret+`\n"}`, 200, &st)
	if !st.HasKey || st.Source != config.SourceFile || st.Hint != config.Mask(secret) || st.Warning == "" {
		t.Errorf("key status %+v; want it in the file (no keychain here), masked, with a warning", st)
	}
	sid, mid := h.chat("x/gpt-fake", "hi")
	s.waitFor(t, "message.completed", 10*time.Second, func(d string) bool { return strings.Contains(d, mid) })
	if msg := h.settled(sid, mid); msg.Status != "complete" || msg.Content != fakeAnswer {
		t.Fatalf("with the key: %+v", msg)
	}
	auths, _ := up.requests()
	if got := auths[len(auths)-1]; got != "Bearer "+secret {
		t.Fatalf("upstream got Authorization %q; want the pasted key", got)
	}

	var view server.SettingsView
	h.api("GET", "/api/config", "", 200, &view)
	if ks := view.Keys["x"]; !ks.HasKey || ks.Hint != config.Mask(secret) || view.Keychain.Available || view.Keychain.Warning == "" {
		t.Errorf("GET /api/config keys %+v keychain %+v", view.Keys, view.Keychain)
	}
	_, raw := h.do("GET", "/api/config", "")
	if strings.Contains(string(raw), `"api_key"`) {
		t.Errorf("GET /api/config carries an api_key field: %s", raw)
	}
	if info, err := os.Stat(filepath.Join(h.home, config.FileName)); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("config.toml holding a key: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	for _, f := range []string{"md", "json", "html"} {
		h.api("GET", "/api/sessions/"+sid+"/export?format="+f, "", 200, nil)
	}
	h.models()

	cases := []struct{ name, body, code string }{
		{"unknown provider", `{"key":"` + secret + `"}`, "not_found"},
		{"empty key", `{"key":"  "}`, "bad_request"},
		{"masked copy", `{"key":"` + config.Mask(secret) + `"}`, "invalid_config"},
	}
	for _, tc := range cases {
		path := "/api/providers/x/key"
		if tc.name == "unknown provider" {
			path = "/api/providers/nope/key"
		}
		_, b := h.do("PUT", path, tc.body)
		var e struct{ Error struct{ Code string } }
		if json.Unmarshal(b, &e); e.Error.Code != tc.code {
			t.Errorf("%s: %s; want %s", tc.name, b, tc.code)
		}
	}

	h.api("DELETE", "/api/providers/x/key", "", 200, &st)
	if st.HasKey {
		t.Errorf("after DELETE: %+v", st)
	}
	failed("key deleted")

	s.cancel()
	<-s.done
	// The outputs searched below are the real ones, not empty.
	if !strings.Contains(h.seen.String(), "event: message.delta") || !strings.Contains(h.log.String(), "providers ready") {
		t.Fatal("the captured stream or log is missing what it must hold")
	}
	for what, text := range map[string]string{"API answers and the stream": h.seen.String(), "the log": h.log.String()} {
		for _, key := range []string{secret, wrong} {
			if strings.Contains(text, key) {
				t.Errorf("a key appears in %s", what)
			}
		}
	}
}

// The Settings screen edits config.toml through the API: a bad value is
// refused with its problems and the file is left alone; a good one is
// written privately and applied like a hand edit.
func TestPutConfig(t *testing.T) {
	checkNoLeaks(t)
	up := newFakeOpenAI(t, "")
	h := startBackend(t, harnessOpts{})
	path := filepath.Join(h.home, config.FileName)
	read := func() string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before := read()

	refused := []struct {
		name, body string
		status     int
		code       string
		problemKey string
	}{
		{"unknown kind", `{"providers":[{"name":"bad","kind":"bogus"}]}`, 422, "invalid_config", "providers[0].kind"},
		{"bad theme", `{"ui":{"theme":"purple"}}`, 422, "invalid_config", "ui.theme"},
		{"addr beyond loopback", `{"server":{"addr":"0.0.0.0:8080"}}`, 422, "invalid_config", "server.addr"},
		{"a key in the body", `{"providers":[{"name":"x","kind":"openai","api_key":"sk-abc"}]}`, 400, "bad_request", ""},
		{"unknown field", `{"default_modle":"demo/demo"}`, 400, "bad_request", ""},
		{"wrong type", `{"server":{"heartbeat":15}}`, 400, "bad_request", ""},
		{"not JSON", `default_model = "demo/demo"`, 400, "bad_request", ""},
	}
	for _, tc := range refused {
		code, b := h.do("PUT", "/api/config", tc.body)
		var e struct {
			Error struct {
				Code     string
				Problems []config.Problem
			}
		}
		json.Unmarshal(b, &e)
		if code != tc.status || e.Error.Code != tc.code {
			t.Errorf("%s: %d %s; want %d %s", tc.name, code, b, tc.status, tc.code)
		}
		if tc.problemKey != "" && (len(e.Error.Problems) == 0 || e.Error.Problems[0].Key != tc.problemKey) {
			t.Errorf("%s: problems %+v; want one for %s", tc.name, e.Error.Problems, tc.problemKey)
		}
		if read() != before {
			t.Fatalf("%s: config.toml changed", tc.name)
		}
	}

	s := h.stream()
	body := `{"default_model":"mine/gpt-fake","system_prompt":"Answer briefly.",
		"providers":[{"name":"mine","kind":"openai","base_url":"` + up.srv.URL + `/v1","models":["gpt-fake"],"params":{"temperature":0.5}}]}`
	var view server.SettingsView
	h.api("PUT", "/api/config", body, 200, &view)
	if view.Config.DefaultModel != "mine/gpt-fake" || len(view.Config.Providers) != 1 || view.Config.Providers[0].Name != "mine" {
		t.Fatalf("PUT answer %+v", view.Config)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 || !strings.Contains(read(), `name = "mine"`) {
		t.Fatalf("config.toml after PUT (mode %v):\n%s", info.Mode().Perm(), read())
	}
	s.waitFor(t, "config.changed", 2*time.Second, func(d string) bool { return strings.Contains(d, `"mine"`) })
	if m := h.models(); !m.has("mine/gpt-fake") || m.Default != "mine/gpt-fake" {
		t.Fatalf("models after PUT: %+v", m)
	}

	// New chats take the default model and system prompt.
	var sess struct {
		ID           string `json:"id"`
		Model        string `json:"model"`
		SystemPrompt string `json:"system_prompt"`
	}
	h.api("POST", "/api/sessions", `{}`, 201, &sess)
	if sess.Model != "mine/gpt-fake" || sess.SystemPrompt != "Answer briefly." {
		t.Errorf("new session %+v; want the configured defaults", sess)
	}
	var sent struct{ Assistant message }
	h.api("POST", "/api/sessions/"+sess.ID+"/messages", `{"content":"hi","client_id":"p1"}`, 201, &sent)
	h.settled(sess.ID, sent.Assistant.ID)
	_, bodies := up.requests()
	msgs, _ := bodies[0]["messages"].([]any)
	first, _ := msgs[0].(map[string]any)
	if bodies[0]["temperature"] != 0.5 || first["role"] != "system" || first["content"] != "Answer briefly." {
		t.Errorf("upstream request %v; want the default temperature and system prompt", bodies[0])
	}

	// A partial body changes only what it names.
	h.api("PUT", "/api/config", `{"ui":{"theme":"dark"}}`, 200, &view)
	if view.Config.UI.Theme != "dark" || view.Config.UI.Language != "auto" || len(view.Config.Providers) != 1 {
		t.Errorf("after a partial PUT: %+v", view.Config)
	}

	// A hand edit in progress (a broken file) is never overwritten.
	broken := read() + "\n[[providers]\n"
	writeConfig(t, h.home, broken)
	s.waitFor(t, "config.error", 2*time.Second, nil)
	code, b := h.do("PUT", "/api/config", `{"ui":{"theme":"light"}}`)
	var e struct {
		Error struct {
			Code     string
			Problems []config.Problem
		}
	}
	json.Unmarshal(b, &e)
	if code != 409 || e.Error.Code != "config_file_invalid" || len(e.Error.Problems) == 0 || e.Error.Problems[0].Line == 0 {
		t.Errorf("PUT over a broken file: %d %s; want 409 config_file_invalid with the position", code, b)
	}
	if read() != broken {
		t.Error("the broken file was overwritten")
	}
}

// A new server.addr moves the server there (an explicit address wins over
// the file); a port that cannot be had leaves it where it was, saying why.
func TestServerFollowsTheConfiguredAddress(t *testing.T) {
	cases := []struct {
		name     string
		explicit bool
	}{
		{"address from config.toml", false},
		{"address given explicitly", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkNoLeaks(t)
			o := harnessOpts{}
			if tc.explicit {
				o.addr = freeAddr(t)
			}
			h := startBackend(t, o)
			old := h.b.BaseURL()

			busy, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer busy.Close()
			s := h.stream()
			h.api("PUT", "/api/config", `{"server":{"addr":"`+busy.Addr().String()+`"}}`, 200, nil)
			s.waitFor(t, "config.changed", 2*time.Second, nil)
			var view server.SettingsView
			h.api("GET", "/api/config", "", 200, &view)
			hasProblem := false
			for _, w := range view.Warnings {
				hasProblem = hasProblem || (w.Key == "server.addr" && strings.Contains(w.Message, "still serving"))
			}
			if h.b.BaseURL() != old || hasProblem == tc.explicit {
				t.Fatalf("busy port: serving %s (was %s), warnings %+v", h.b.BaseURL(), old, view.Warnings)
			}

			next := freeAddr(t)
			h.api("PUT", "/api/config", `{"server":{"addr":"`+next+`"}}`, 200, nil)
			if tc.explicit {
				s.waitFor(t, "config.changed", 2*time.Second, func(d string) bool { return strings.Contains(d, next) })
				if h.b.BaseURL() != old {
					t.Fatalf("moved to %s; an explicit address must win", h.b.BaseURL())
				}
				return
			}
			s.waitFor(t, "shutdown", 2*time.Second, nil)
			eventually(t, 2*time.Second, "server on the new address", func() bool { return h.b.BaseURL() == "http://"+next })
			h.api("GET", "/api/health", "", 200, nil)
			h.api("GET", "/api/config", "", 200, &view)
			for _, w := range view.Warnings {
				if w.Key == "server.addr" {
					t.Errorf("warning left after the move: %+v", w)
				}
			}
			if _, err := (&http.Client{Timeout: time.Second}).Get(old + "/api/health"); err == nil {
				t.Errorf("the old address %s still answers", old)
			}
		})
	}
}

// A new heartbeat restarts the server on the same port; reconnecting
// streams get the new one.
func TestHeartbeatChangeAppliesOnTheSamePort(t *testing.T) {
	checkNoLeaks(t)
	h := startBackend(t, harnessOpts{})
	base := h.b.BaseURL()
	s := h.stream()
	h.api("PUT", "/api/config", `{"server":{"heartbeat":"2s"}}`, 200, nil)
	s.waitFor(t, "shutdown", 2*time.Second, nil)
	eventually(t, 2*time.Second, "server back", func() bool {
		code, _ := h.do("GET", "/api/config", "")
		return code == 200
	})
	if h.b.BaseURL() != base {
		t.Fatalf("moved from %s to %s", base, h.b.BaseURL())
	}
	hello := h.stream().waitFor(t, "hello", 2*time.Second, nil)
	var hd struct {
		HeartbeatMS int `json:"heartbeat_ms"`
	}
	if json.Unmarshal([]byte(hello.Data), &hd); hd.HeartbeatMS != 2000 {
		t.Errorf("hello %s; want heartbeat_ms 2000", hello.Data)
	}
}

// OpenAI-compatible servers cannot continue an answer: the API says so and
// the message is left as it was, for Regenerate.
func TestContinueOnOpenAICompatibleAnswerIsRefused(t *testing.T) {
	checkNoLeaks(t)
	up := newFakeOpenAI(t, "")
	up.failAfter = "Partial answer"
	h := startBackend(t, harnessOpts{config: providerTOML("fake", up.srv.URL, `models = ["gpt-fake"]`)})
	sid, mid := h.chat("fake/gpt-fake", "hi")
	msg := h.settled(sid, mid)
	if msg.Status != "failed" || msg.Content != "Partial answer" || msg.Error == "" {
		t.Fatalf("mid-stream error: %+v; want failed with the partial text kept", msg)
	}
	code, b := h.do("POST", "/api/messages/"+mid+"/continue", "")
	var e struct{ Error struct{ Code string } }
	if json.Unmarshal(b, &e); code != 422 || e.Error.Code != "cannot_continue" {
		t.Fatalf("continue: %d %s; want 422 cannot_continue", code, b)
	}
	if after := h.settled(sid, mid); after.Status != "failed" || after.Content != "Partial answer" {
		t.Errorf("message after a refused continue: %+v", after)
	}
	if _, bodies := up.requests(); len(bodies) != 1 {
		t.Errorf("upstream got %d requests; the refused continue must send none", len(bodies))
	}
}

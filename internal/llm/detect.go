package llm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// detectTimeout bounds each question "auto" asks a server.
const detectTimeout = 3 * time.Second

// serverProbe is one question "auto" asks: GET path (relative to the server's
// root, the base URL without /v1), and what the answer means.
type serverProbe struct {
	path string
	// match reads a 200 answer's JSON; ok means this is the server.
	match                func(body map[string]any) (version string, ok bool)
	server, mode, reason string
}

// serverProbes in order of preference when several match.
var serverProbes = []serverProbe{
	{
		path: "/props",
		match: func(b map[string]any) (string, bool) {
			_, settings := b["default_generation_settings"]
			info, _ := b["build_info"].(string)
			return info, settings || info != ""
		},
		server: "llama.cpp", mode: ContinuePrefill,
		reason: "answered /props: it continues a trailing assistant message (prefill, on by default since April 2025); it repeats the prefix at the start of its answer, which Holdfast removes",
	},
	{
		path: "/api/version",
		match: func(b map[string]any) (string, bool) {
			v, ok := b["version"].(string)
			return v, ok
		},
		server: "ollama", mode: ContinuePrefill,
		reason: "answered /api/version: it continues a trailing assistant message",
	},
	{
		path: "/version",
		match: func(b map[string]any) (string, bool) {
			v, ok := b["version"].(string)
			return v, ok
		},
		server: "vllm", mode: ContinueFinalMessage,
		reason: "answered /version: it continues the final message when asked with continue_final_message",
	},
	{
		path: "/api/v0/models",
		match: func(b map[string]any) (string, bool) {
			data, _ := b["data"].([]any)
			for _, d := range data {
				m, _ := d.(map[string]any)
				if _, ok := m["compatibility_type"]; ok {
					return "", true
				}
				if _, ok := m["publisher"]; ok {
					return "", true
				}
			}
			return "", false
		},
		server: "lmstudio", mode: ContinuePrefill,
		reason: "answered its model API (/api/v0/models): it continues a trailing assistant message",
	},
}

// serverNames are the names shown for detected servers.
var serverNames = map[string]string{
	"llama.cpp": "llama.cpp server", "ollama": "Ollama", "vllm": "vLLM", "lmstudio": "LM Studio",
}

// detectServer finds out what an OpenAI-compatible server is and how it
// continues an answer. Hosted APIs are known by their host; local servers
// are asked at the endpoints only they have, concurrently.
func detectServer(ctx context.Context, client *http.Client, baseURL, apiKey string) Continuation {
	out := Continuation{Setting: ContinueAuto, DetectedAt: time.Now().UTC()}
	u, err := url.Parse(baseURL)
	if err != nil {
		out.Mode, out.Server, out.Reason = ContinueNone, "unknown", "the base URL cannot be parsed"
		return out
	}
	switch host := strings.ToLower(u.Hostname()); {
	case host == "api.openai.com":
		out.Mode, out.Server = ContinueNone, "openai"
		out.Reason = "OpenAI's API cannot continue an answer: a trailing assistant message starts a new one"
		return out
	case host == "api.deepseek.com":
		out.Server = "deepseek"
		if strings.HasPrefix(strings.TrimSuffix(u.Path, "/"), "/beta") {
			out.Mode = ContinuePrefix
			out.Reason = "DeepSeek's beta API continues an answer marked prefix: true (chat prefix completion)"
		} else {
			out.Mode = ContinueNone
			out.Reason = "DeepSeek continues answers only on its beta base URL, https://api.deepseek.com/beta; use that base URL to continue"
		}
		return out
	}
	root := strings.TrimSuffix(strings.TrimSuffix(baseURL, "/"), "/v1")
	type answer struct {
		version  string
		ok       bool
		answered bool // an HTTP answer came, whatever it said
		err      error
	}
	answers := make([]answer, len(serverProbes))
	var wg sync.WaitGroup
	for i, pr := range serverProbes {
		wg.Go(func() {
			body, answered, err := getJSONObject(ctx, client, root+pr.path, apiKey)
			a := answer{answered: answered, err: err}
			if body != nil {
				a.version, a.ok = pr.match(body)
			}
			answers[i] = a
		})
	}
	wg.Wait()
	anyAnswer := false
	var lastErr error
	for i, a := range answers {
		anyAnswer = anyAnswer || a.answered
		if a.err != nil {
			lastErr = a.err
		}
		if a.ok {
			pr := serverProbes[i]
			out.Mode, out.Server, out.Version = pr.mode, pr.server, a.version
			out.Reason = describeServer(serverNames[pr.server], a.version) + " " + pr.reason
			return out
		}
	}
	out.Mode, out.Server = ContinueNone, "unknown"
	if !anyAnswer {
		out.Unsure = true
		out.Reason = "could not reach the server to find out what it is"
		if lastErr != nil {
			out.Reason += " (" + redactErr(lastErr, baseURL) + ")"
		}
		return out
	}
	out.Reason = "the server did not say what it is (it has no llama.cpp /props, Ollama /api/version, vLLM /version or LM Studio model API); if it continues a trailing assistant message, choose that in Settings"
	return out
}

// getJSONObject GETs url and decodes a JSON object from a 200 answer. answered
// reports that some HTTP answer came.
func getJSONObject(ctx context.Context, client *http.Client, url, apiKey string) (map[string]any, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, detectTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, false, err
	}
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, true, nil
	}
	var body map[string]any
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return nil, true, nil
	}
	return body, true, nil
}

// redactErr says why a request failed without the URL's user info or
// query (which may carry secrets).
func redactErr(err error, baseURL string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if u, perr := url.Parse(baseURL); perr == nil && u.User != nil {
		msg = strings.ReplaceAll(msg, u.User.String(), "…")
	}
	return msg
}

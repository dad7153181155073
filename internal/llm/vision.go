package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Vision of the demo: it takes every file (and says what it got).
func (d *Demo) Vision(context.Context, string) Vision {
	return Vision{Can: true, Known: true, Source: "provider"}
}

// Vision of Anthropic: every model of the Messages API since Claude 3
// takes images, unless the per-model switch says otherwise.
func (p *Anthropic) Vision(_ context.Context, model string) Vision {
	if v, ok := p.spec.Vision[model]; ok {
		return Vision{Can: v, Known: true, Source: "setting"}
	}
	return Vision{Can: true, Known: true, Source: "provider"}
}

// Vision of an OpenAI-compatible server: the per-model switch, else what
// the server reports (Ollama's model capabilities, llama.cpp's /props
// modalities), else unknown (images are sent and the server decides).
func (p *OpenAI) Vision(ctx context.Context, model string) Vision {
	if v, ok := p.spec.Vision[model]; ok {
		return Vision{Can: v, Known: true, Source: "setting"}
	}
	return p.vision.ask(ctx, model)
}

// visionTTL is how long a server's answer is believed: a model can be
// swapped under the same name (llama.cpp restarted with another file).
const visionTTL = 5 * time.Minute

// visionProbe asks an OpenAI-compatible server whether a model takes
// images, and remembers the answers.
type visionProbe struct {
	root   string // base URL without /v1
	key    string
	client *http.Client

	mu    sync.Mutex
	known map[string]visionAnswer // by model
}

type visionAnswer struct {
	v  Vision
	at time.Time
}

func newVisionProbe(s Spec) *visionProbe {
	root := strings.TrimSuffix(strings.TrimSuffix(s.BaseURL, "/"), "/v1")
	return &visionProbe{root: root, key: s.APIKey, client: s.HTTPClient, known: map[string]visionAnswer{}}
}

func (v *visionProbe) ask(ctx context.Context, model string) Vision {
	v.mu.Lock()
	a, ok := v.known[model]
	v.mu.Unlock()
	if ok && time.Since(a.at) < visionTTL {
		return a.v
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	got := v.ollama(ctx, model)
	if !got.Known {
		got = v.llamaCpp(ctx)
	}
	v.mu.Lock()
	v.known[model] = visionAnswer{v: got, at: time.Now()}
	v.mu.Unlock()
	return got
}

// ollama asks POST /api/show {"model"}: Ollama lists "vision" among a
// model's capabilities (since 0.6.4).
func (v *visionProbe) ollama(ctx context.Context, model string) Vision {
	body, _ := json.Marshal(map[string]string{"model": model})
	var show struct {
		Capabilities *[]string `json:"capabilities"`
	}
	if err := v.get(ctx, http.MethodPost, "/api/show", body, &show); err != nil || show.Capabilities == nil {
		return Vision{}
	}
	for _, c := range *show.Capabilities {
		if c == "vision" {
			return Vision{Can: true, Known: true, Source: "server"}
		}
	}
	return Vision{Can: false, Known: true, Source: "server"}
}

// llamaCpp asks GET /props: llama-server reports
// "modalities":{"vision":bool,…} for the model it serves.
func (v *visionProbe) llamaCpp(ctx context.Context) Vision {
	var props struct {
		Modalities *struct {
			Vision bool `json:"vision"`
		} `json:"modalities"`
	}
	if err := v.get(ctx, http.MethodGet, "/props", nil, &props); err != nil || props.Modalities == nil {
		return Vision{}
	}
	return Vision{Can: props.Modalities.Vision, Known: true, Source: "server"}
}

func (v *visionProbe) get(ctx context.Context, method, path string, body []byte, dst any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, v.root+path, rd)
	if err != nil {
		return fmt.Errorf("probe %s: %w", path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if v.key != "" {
		req.Header.Set("Authorization", "Bearer "+v.key)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: status %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(dst); err != nil {
		return fmt.Errorf("probe %s: %w", path, err)
	}
	return nil
}

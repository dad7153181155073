package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Candidate is a place on loopback where a local server may listen.
type Candidate struct {
	Name    string // provider name to give it, e.g. "ollama"
	BaseURL string // the server's root, e.g. "http://127.0.0.1:11434"
	// Ollama: ask Ollama's native /api/tags first, then /v1/models.
	Ollama bool
}

// DefaultCandidates are Ollama and LM Studio on their usual ports.
func DefaultCandidates() []Candidate {
	return []Candidate{
		{Name: "ollama", BaseURL: "http://127.0.0.1:11434", Ollama: true},
		{Name: "lmstudio", BaseURL: "http://127.0.0.1:1234"},
	}
}

// DefaultDiscoverTimeout bounds each probe: a local server answers in
// milliseconds, and start-up must not wait on an absent one.
const DefaultDiscoverTimeout = 1500 * time.Millisecond

// Discovered is a local server that answered.
type Discovered struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`     // always ProviderOpenAI: both speak the OpenAI API
	BaseURL string   `json:"base_url"` // OpenAI-compatible base, ending in /v1
	Models  []string `json:"models"`   // may be empty (nothing pulled yet)
}

// Spec returns the provider spec for d. Its model list is left empty so
// the provider asks the server each time and newly pulled models appear.
func (d Discovered) Spec() Spec {
	return Spec{Name: d.Name, Kind: d.Kind, BaseURL: d.BaseURL}
}

// Discover probes the candidates concurrently and returns, in candidate
// order, those that answered like an OpenAI-compatible (or Ollama) server.
// Candidates not on loopback are ignored: discovery never reaches beyond
// this machine. timeout bounds each probe; 0 means DefaultDiscoverTimeout.
func Discover(ctx context.Context, candidates []Candidate, timeout time.Duration) []Discovered {
	if timeout <= 0 {
		timeout = DefaultDiscoverTimeout
	}
	transport := &http.Transport{
		Proxy:       nil, // loopback only: never through a proxy
		DialContext: (&net.Dialer{Timeout: timeout}).DialContext,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: timeout}

	found := make([]*Discovered, len(candidates))
	var wg sync.WaitGroup
	for i, c := range candidates {
		root, ok := loopbackRoot(c.BaseURL)
		if !ok {
			continue
		}
		wg.Go(func() {
			models, err := probe(ctx, client, root, c.Ollama)
			if err != nil {
				return
			}
			found[i] = &Discovered{Name: c.Name, Kind: ProviderOpenAI, BaseURL: root + "/v1", Models: models}
		})
	}
	wg.Wait()
	var out []Discovered
	for _, d := range found {
		if d != nil {
			out = append(out, *d)
		}
	}
	return out
}

// loopbackRoot returns the URL without a trailing slash or /v1 if its host
// is loopback.
func loopbackRoot(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); !(host == "localhost" || (ip != nil && ip.IsLoopback())) {
		return "", false
	}
	root := strings.TrimSuffix(strings.TrimSuffix(u.Scheme+"://"+u.Host+u.Path, "/"), "/v1")
	return root, true
}

func probe(ctx context.Context, client *http.Client, root string, ollama bool) ([]string, error) {
	if ollama {
		var tags struct {
			Models *[]struct {
				Name string `json:"name"`
			} `json:"models"`
		}
		if err := getJSON(ctx, client, root+"/api/tags", &tags); err == nil && tags.Models != nil {
			names := make([]string, 0, len(*tags.Models))
			for _, m := range *tags.Models {
				names = append(names, m.Name)
			}
			return names, nil
		}
	}
	var list struct {
		Data *[]struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := getJSON(ctx, client, root+"/v1/models", &list); err != nil {
		return nil, err
	}
	if list.Data == nil {
		return nil, fmt.Errorf("probe %s: not an OpenAI-compatible model list", root)
	}
	ids := make([]string, 0, len(*list.Data))
	for _, m := range *list.Data {
		ids = append(ids, m.ID)
	}
	return ids, nil
}

func getJSON(ctx context.Context, client *http.Client, u string, dst any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("probe %s: %w", u, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: status %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(dst); err != nil {
		return fmt.Errorf("probe %s: %w", u, err)
	}
	return nil
}

package llm

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func newTestRegistry(t *testing.T) *Registry {
	t.Helper()
	var providers []Provider
	for _, name := range []string{"openai", "ollama", "openrouter"} {
		s := testSpec(ProviderOpenAI, "http://127.0.0.1:1/v1")
		s.Name = name
		p, err := NewProvider(s)
		if err != nil {
			t.Fatal(err)
		}
		providers = append(providers, p)
	}
	r := NewRegistry()
	if err := r.Set(append([]Provider{&Demo{}}, providers...), "demo/demo"); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRegistryResolve(t *testing.T) {
	r := newTestRegistry(t)
	tests := []struct {
		ref          string
		wantProvider string
		wantModel    string
		wantErr      error
	}{
		{"demo/demo", "demo", "demo", nil},
		{"openai/gpt-4o-mini", "openai", "gpt-4o-mini", nil},
		{"ollama/llama3.2:3b", "ollama", "llama3.2:3b", nil},
		{"openrouter/meta-llama/llama-3-8b", "openrouter", "meta-llama/llama-3-8b", nil},
		{"openrouter/a/b/c", "openrouter", "a/b/c", nil},
		{"lmstudio/qwen", "", "", ErrUnknownProvider},
		{"OpenAI/gpt-4o", "", "", ErrUnknownProvider},
		{"gpt-4o", "", "", ErrBadModelRef},
		{"", "", "", ErrBadModelRef},
		{"/gpt-4o", "", "", ErrBadModelRef},
		{"openai/", "", "", ErrBadModelRef},
	}
	for _, tt := range tests {
		p, model, err := r.Resolve(tt.ref)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Resolve(%q) err = %v, want %v", tt.ref, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), `"`+tt.ref+`"`) {
				t.Errorf("Resolve(%q) err = %q does not quote the reference", tt.ref, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Resolve(%q): %v", tt.ref, err)
			continue
		}
		if p.Name() != tt.wantProvider || model != tt.wantModel {
			t.Errorf("Resolve(%q) = %s, %q; want %s, %q", tt.ref, p.Name(), model, tt.wantProvider, tt.wantModel)
		}
	}
}

func TestRegistrySetRejectsAndKeepsTheOld(t *testing.T) {
	r := newTestRegistry(t)
	mk := func(name string) Provider {
		s := testSpec(ProviderOpenAI, "http://127.0.0.1:1/v1")
		s.Name = name
		p, err := NewOpenAI(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name      string
		providers []Provider
		def       string
		want      string
	}{
		{"duplicate", []Provider{mk("a"), mk("a")}, "a/x", `two providers are named "a"`},
		{"nil", []Provider{mk("a"), nil}, "a/x", "provider 1 is nil"},
		{"bad default", []Provider{mk("a")}, "a", "must look like <provider>/<model>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Set(tt.providers, tt.def)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Set err = %v, want %q", err, tt.want)
			}
			if r.Default() != "demo/demo" || len(r.Providers()) != 4 {
				t.Errorf("a rejected Set changed the registry: default %q, %d providers", r.Default(), len(r.Providers()))
			}
		})
	}
	// A default whose provider is absent is allowed (a local server may
	// come later) and replaces everything at once.
	if err := r.Set([]Provider{mk("a")}, "ollama/llama3.2"); err != nil {
		t.Fatal(err)
	}
	if r.Default() != "ollama/llama3.2" || len(r.Providers()) != 1 {
		t.Errorf("after Set: default %q, %d providers", r.Default(), len(r.Providers()))
	}
	if _, ok := r.Provider("demo"); ok {
		t.Error("the old providers are still there")
	}
}

func TestRegistryModels(t *testing.T) {
	ok := testSpec(ProviderOpenAI, "http://127.0.0.1:1/v1")
	ok.Name, ok.Models = "openrouter", []string{"meta-llama/llama-3-8b", "openai/gpt-4o"}
	down := testSpec(ProviderOpenAI, closedPort(t)+"/v1")
	down.Name = "ollama"
	var providers []Provider
	for _, s := range []Spec{ok, down} {
		p, err := NewProvider(s)
		if err != nil {
			t.Fatal(err)
		}
		providers = append(providers, p)
	}
	r := NewRegistry()
	if err := r.Set(append([]Provider{&Demo{}}, providers...), "demo/demo"); err != nil {
		t.Fatal(err)
	}
	got, err := r.Models(context.Background())
	want := []ModelEntry{
		{ID: "demo/demo", Provider: "demo", Model: "demo", Label: "Demo (offline)", Demo: true},
		{ID: "openrouter/meta-llama/llama-3-8b", Provider: "openrouter", Model: "meta-llama/llama-3-8b", Label: "meta-llama/llama-3-8b"},
		{ID: "openrouter/openai/gpt-4o", Provider: "openrouter", Model: "openai/gpt-4o", Label: "openai/gpt-4o"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Models =\n%+v\nwant\n%+v", got, want)
	}
	if err == nil || !strings.Contains(err.Error(), `list models of "ollama": ollama: could not connect`) || !IsTransient(err) {
		t.Errorf("err = %v, want the unreachable provider reported", err)
	}
	// Every listed reference resolves back to its provider and model.
	for _, m := range got {
		p, model, err := r.Resolve(m.ID)
		if err != nil || p.Name() != m.Provider || model != m.Model {
			t.Errorf("Resolve(%q) = %v, %q, %v", m.ID, p, model, err)
		}
	}
}

func TestIsDemo(t *testing.T) {
	s := testSpec(ProviderOpenAI, "http://127.0.0.1:1/v1")
	remote, err := NewProvider(s)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		p    Provider
		want bool
	}{
		{&Demo{}, true},
		{WithRetry(&Demo{}, RetryPolicy{}), true},
		{remote, false},
	}
	for _, tt := range tests {
		if got := IsDemo(tt.p); got != tt.want {
			t.Errorf("IsDemo(%T) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

// Replacing the providers while others resolve and list is safe (-race).
func TestRegistryConcurrentUse(t *testing.T) {
	r := newTestRegistry(t)
	sets := [][]Provider{r.Providers(), r.Providers()[:2]}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 200 {
				if i == 0 {
					if err := r.Set(sets[j%2], "demo/demo"); err != nil {
						t.Error(err)
						return
					}
					continue
				}
				if p, model, err := r.Resolve("demo/demo"); err != nil || p.Name() != "demo" || model != "demo" {
					t.Errorf("Resolve during Set = %v, %q, %v", p, model, err)
					return
				}
				_ = r.Default()
			}
		})
	}
	wg.Wait()
}

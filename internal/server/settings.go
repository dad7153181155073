package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/holdfast-chat/holdfast/internal/config"
)

// Settings is what the Settings screen reads and edits: config.toml, the
// providers' API keys and the local servers found on loopback.
type Settings interface {
	// Settings describes the configuration in force, the state of the
	// file and the keys, without revealing any key.
	Settings(ctx context.Context) (SettingsView, error)
	// EditConfig edits config.toml through edit, atomically, and applies
	// the result before it returns.
	EditConfig(ctx context.Context, edit func(*config.Config) error) error
	SetKey(ctx context.Context, provider, key string) (config.KeyStatus, error)
	DeleteKey(ctx context.Context, provider string) (config.KeyStatus, error)
	// Discover looks for local servers now and puts the ones found in use.
	Discover(ctx context.Context) ([]LocalServer, error)
}

// Errors a Settings implementation wraps so the API answers with the right
// status.
var (
	// ErrNoProvider: no [[providers]] entry has that name (404).
	ErrNoProvider = errors.New("no such provider")
	// ErrInvalidSettings: the request asks for something config.toml cannot
	// hold (422 invalid_config; wrap a *config.Error for the problems).
	ErrInvalidSettings = errors.New("invalid settings")
	// ErrKeyNotSaved: the key could not be stored, e.g. the system
	// keychain did not answer (503 key_not_saved).
	ErrKeyNotSaved = errors.New("the API key was not saved")
)

// SettingsView is the body of GET /api/config.
type SettingsView struct {
	// Config is the configuration in force; API keys are left out.
	Config config.Config `json:"config"`
	// Error says why config.toml on disk is not the configuration in
	// force; nil when it is.
	Error    *config.ErrorReport `json:"error"`
	Warnings []config.Problem    `json:"warnings"`
	// Keys describes every configured provider's key, by provider name.
	Keys     map[string]config.KeyStatus `json:"keys"`
	Keychain Keychain                    `json:"keychain"`
}

// Keychain says where API keys go.
type Keychain struct {
	Available bool   `json:"available"`
	Warning   string `json:"warning,omitempty"`
}

// LocalServer is an OpenAI-compatible server found on loopback.
type LocalServer struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	BaseURL string   `json:"base_url"`
	Models  []string `json:"models"`
	// Configured: a [[providers]] entry with this name or address exists
	// and is used instead.
	Configured bool `json:"configured"`
}

func (s *Server) settingsRoutes(api func(string, map[string]http.HandlerFunc)) {
	api("/api/config", map[string]http.HandlerFunc{"GET": s.getConfig, "PUT": s.putConfig})
	api("/api/providers/{name}/key", map[string]http.HandlerFunc{"PUT": s.putKey, "DELETE": s.deleteKey})
	api("/api/providers/discover", map[string]http.HandlerFunc{"POST": s.discover})
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Settings.Settings(r.Context())
	if err != nil {
		s.settingsFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) putConfig(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	edit, err := configEdit(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if err := s.cfg.Settings.EditConfig(r.Context(), edit); err != nil {
		s.settingsFail(w, r, err)
		return
	}
	s.getConfig(w, r)
}

// configEdit turns a PUT /api/config body into an edit of the file's
// configuration. The body has the shape of SettingsView.Config; a
// top-level field it leaves out (or a field of server or ui) keeps its
// value, while "providers", when present, is the whole new list. API keys
// stay where they are: a provider keeps the key of the provider with the
// same name, and its api_key_ref unless the body gives one. A body that
// carries an api_key is refused: keys go through the key endpoint, so the
// front end never holds one it did not just type.
func configEdit(body []byte) (func(*config.Config) error, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var probe config.Config
	if err := dec.Decode(&probe); err != nil {
		return nil, fmt.Errorf("config body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("config body: more than one JSON value")
	}
	var shape struct {
		Providers *[]map[string]json.RawMessage `json:"providers"`
	}
	if err := json.Unmarshal(body, &shape); err != nil {
		return nil, fmt.Errorf("config body: %v", err)
	}
	var hasRef []bool
	if shape.Providers != nil {
		for i, p := range *shape.Providers {
			if _, ok := p["api_key"]; ok {
				return nil, fmt.Errorf("providers[%d].api_key: API keys cannot be set here; use PUT /api/providers/{name}/key", i)
			}
			_, ok := p["api_key_ref"]
			hasRef = append(hasRef, ok)
		}
	}
	return func(c *config.Config) error {
		old := c.Clone()
		if shape.Providers != nil {
			c.Providers = nil
		}
		if err := json.Unmarshal(body, c); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidSettings, err)
		}
		for i := range c.Providers {
			prev, ok := old.Provider(c.Providers[i].Name)
			if !ok {
				continue
			}
			c.Providers[i].APIKey = prev.APIKey
			if i < len(hasRef) && !hasRef[i] {
				c.Providers[i].APIKeyRef = prev.APIKeyRef
			}
		}
		if err := c.Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidSettings, err)
		}
		return nil
	}, nil
}

type keyBody struct {
	Key *string `json:"key"`
}

func (s *Server) putKey(w http.ResponseWriter, r *http.Request) {
	var body keyBody
	if err := decode(r, &body, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if body.Key == nil || strings.TrimSpace(*body.Key) == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "key is required")
		return
	}
	st, err := s.cfg.Settings.SetKey(r.Context(), r.PathValue("name"), *body.Key)
	if err != nil {
		s.settingsFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request) {
	st, err := s.cfg.Settings.DeleteKey(r.Context(), r.PathValue("name"))
	if err != nil {
		s.settingsFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) discover(w http.ResponseWriter, r *http.Request) {
	found, err := s.cfg.Settings.Discover(r.Context())
	if err != nil {
		s.settingsFail(w, r, err)
		return
	}
	if found == nil {
		found = []LocalServer{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"servers": found})
}

type problemsBody struct {
	Error struct {
		Code     string           `json:"code"`
		Message  string           `json:"message"`
		File     string           `json:"file,omitempty"`
		Problems []config.Problem `json:"problems"`
	} `json:"error"`
}

func writeProblems(w http.ResponseWriter, status int, code, msg string, ce *config.Error) {
	var b problemsBody
	b.Error.Code, b.Error.Message, b.Error.File, b.Error.Problems = code, msg, ce.File, ce.Problems
	writeJSON(w, status, b)
}

// settingsFail maps a Settings error to a status. Error messages never
// hold a key: config and llm keep keys out of every error they make.
func (s *Server) settingsFail(w http.ResponseWriter, r *http.Request, err error) {
	var ce *config.Error
	switch {
	case errors.Is(err, ErrNoProvider):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, ErrInvalidSettings) && errors.As(err, &ce):
		writeProblems(w, http.StatusUnprocessableEntity, "invalid_config", "the configuration is not valid: "+problemSummary(ce), ce)
	case errors.Is(err, ErrInvalidSettings):
		writeError(w, http.StatusUnprocessableEntity, "invalid_config", err.Error())
	case errors.As(err, &ce):
		// Not the request: config.toml itself cannot be read, and a hand
		// edit in progress is never overwritten.
		writeProblems(w, http.StatusConflict, "config_file_invalid", "config.toml has errors; fix the file first: "+problemSummary(ce), ce)
	case errors.Is(err, ErrKeyNotSaved):
		writeError(w, http.StatusServiceUnavailable, "key_not_saved", err.Error())
	case errors.Is(err, config.ErrClosed):
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the server is shutting down")
	default:
		s.fail(w, r, err)
	}
}

func problemSummary(ce *config.Error) string {
	msgs := make([]string, 0, len(ce.Problems))
	for _, p := range ce.Problems {
		msgs = append(msgs, p.String())
	}
	return strings.Join(msgs, "; ")
}

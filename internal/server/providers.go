package server

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// checkTimeout bounds a provider test: listing, detection and a 1-token
// answer from a local server loading its model can take a while.
const checkTimeout = 60 * time.Second

// providerContinuations answers GET /api/providers: how each provider
// continues an interrupted answer, and why.
func (s *Server) providerContinuations(w http.ResponseWriter, r *http.Request) {
	list := s.cfg.Providers.Continuations(r.Context())
	if list == nil {
		list = []ProviderContinuation{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"providers": list})
}

// testProvider answers POST /api/providers/{name}/test {"model"?}: what the
// Settings screen's Test button shows. A provider that fails the test is
// still a 200: the failure is the answer.
func (s *Server) testProvider(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Model string `json:"model"`
	}
	if err := decode(r, &body, true); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
	defer cancel()
	res, err := s.cfg.Providers.Check(ctx, r.PathValue("name"), body.Model)
	if errors.Is(err, ErrNoProvider) {
		writeError(w, http.StatusNotFound, "not_found", err.Error())
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if res.Models == nil {
		res.Models = []string{}
	}
	writeJSON(w, http.StatusOK, res)
}

package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/holdfast-chat/holdfast/internal/importjob"
)

// MaxImportBytes bounds an uploaded export (POST /api/imports). Real
// exports with years of history run to a few hundred MB.
const MaxImportBytes = 4 << 30

// Importer runs imports in the background (see importjob.Manager).
type Importer interface {
	NewUpload() (*os.File, error)
	Busy() bool
	Start(path, name, format string, owned bool) (importjob.Status, error)
	Status(id string) (importjob.Status, error)
	Cancel(id string) (importjob.Status, error)
}

var _ Importer = (*importjob.Manager)(nil)

func (s *Server) importRoutes(api func(string, map[string]http.HandlerFunc)) {
	api("/api/imports", map[string]http.HandlerFunc{"POST": s.startImport})
	api("/api/imports/{id}", map[string]http.HandlerFunc{"GET": s.importStatus})
	api("/api/imports/{id}/cancel", map[string]http.HandlerFunc{"POST": s.cancelImport})
}

// startImport takes the export file as the request body, stores it, and
// starts importing it in the background: 202 with the job's status.
func (s *Server) startImport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format := q.Get("format")
	if _, err := importjob.ParseFormat(format); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	name := path.Base(strings.ReplaceAll(q.Get("name"), `\`, "/"))
	if name == "." || name == "/" {
		name = "import"
	}
	// Refuse before the upload, not after it.
	if s.cfg.Imports.Busy() {
		s.failImport(w, r, importjob.ErrBusy)
		return
	}
	f, err := s.cfg.Imports.NewUpload()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, err = io.Copy(f, r.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && r.ContentLength > 0 {
		if fi, serr := os.Stat(f.Name()); serr == nil && fi.Size() != r.ContentLength {
			err = fmt.Errorf("upload cut short: %d of %d bytes", fi.Size(), r.ContentLength)
		}
	}
	if err != nil {
		os.Remove(f.Name())
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the file is over the %d byte limit", tooBig.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "bad_request", "upload failed: "+err.Error())
		return
	}
	st, err := s.cfg.Imports.Start(f.Name(), name, format, true)
	if err != nil {
		s.failImport(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"import": st})
}

func (s *Server) importStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.cfg.Imports.Status(r.PathValue("id"))
	if err != nil {
		s.failImport(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"import": st})
}

func (s *Server) cancelImport(w http.ResponseWriter, r *http.Request) {
	st, err := s.cfg.Imports.Cancel(r.PathValue("id"))
	if err != nil {
		s.failImport(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"import": st})
}

func (s *Server) failImport(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, importjob.ErrBusy):
		writeError(w, http.StatusConflict, "busy", "another import is running; wait for it or cancel it")
	case errors.Is(err, importjob.ErrNoJob):
		writeError(w, http.StatusNotFound, "not_found", "no import with id "+quoteShort(r.PathValue("id")))
	default:
		s.fail(w, r, err)
	}
}

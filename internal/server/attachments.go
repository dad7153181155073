package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/holdfast-chat/holdfast/internal/attach"
	"github.com/holdfast-chat/holdfast/internal/chat"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// Attachments stores uploads and serves stored files.
type Attachments interface {
	Upload(ctx context.Context, name string, body io.Reader) (store.Attachment, error)
	Get(ctx context.Context, id string) (store.AttachmentFile, error)
	Open(id string) (*os.File, error)
	Thumbnail(f store.AttachmentFile) ([]byte, string, error)
}

var _ Attachments = (*attach.Service)(nil)

// uploadPath is a route whose body may be larger than MaxBodyBytes:
// it is streamed to disk and bounded by attach.MaxFileBytes there.
const uploadPath = "/api/attachments"

// bodyLimit is the largest body r may send.
func bodyLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost && r.URL.Path == uploadPath {
		return attach.MaxFileBytes + 1
	}
	if r.Method == http.MethodPost && r.URL.Path == "/api/imports" {
		return MaxImportBytes // an export file
	}
	return MaxBodyBytes
}

// VisionChecker says whether a model takes images (chat.Service).
type VisionChecker interface {
	Vision(ctx context.Context, ref string) (llm.Vision, error)
}

func (s *Server) attachmentRoutes(api func(string, map[string]http.HandlerFunc)) {
	api(uploadPath, map[string]http.HandlerFunc{"POST": s.upload})
	api("/api/vision", map[string]http.HandlerFunc{"GET": s.vision})
	api(uploadPath+"/{id}", map[string]http.HandlerFunc{"GET": s.attachmentFile})
	api(uploadPath+"/{id}/thumb", map[string]http.HandlerFunc{"GET": s.attachmentThumb})
}

// upload stores the request body as one file: POST /api/attachments?name=N.
// The body is the file's bytes; Content-Type is ignored (the type is
// sniffed from the bytes).
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > attach.MaxFileBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("the file is %d bytes; the limit is %d bytes (20 MiB)", r.ContentLength, attach.MaxFileBytes))
		return
	}
	a, err := s.cfg.Attachments.Upload(r.Context(), r.URL.Query().Get("name"), r.Body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

// attachmentHeaders make a stored file inert whatever it holds: no
// script runs, no plugin loads, nothing is sniffed into HTML; only the
// four raster image types are shown inline, everything else downloads.
func attachmentHeaders(w http.ResponseWriter, ctype, name string, inline bool) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'")
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("Cross-Origin-Resource-Policy", "same-site")
	disp := "attachment"
	if inline {
		disp = "inline"
	}
	if name != "" {
		disp = mime.FormatMediaType(disp, map[string]string{"filename": name})
		if disp == "" { // a name mime cannot carry
			disp = "attachment"
		}
	}
	h.Set("Content-Disposition", disp)
}

// safeRaster reports whether a browser may show ctype inline as an image.
func safeRaster(ctype string) bool {
	switch ctype {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// attachmentFile serves a stored file: GET /api/attachments/{id}?name=N
// (N names the download).
func (s *Server) attachmentFile(w http.ResponseWriter, r *http.Request) {
	f, err := s.cfg.Attachments.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	file, err := s.cfg.Attachments.Open(f.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer file.Close()
	name := attach.CleanName(r.URL.Query().Get("name"), attach.Kind(f.Kind))
	ctype := f.MIME
	switch {
	case safeRaster(ctype):
	case ctype == "application/pdf":
	default:
		ctype = "text/plain; charset=utf-8" // text and code: never HTML, never SVG
	}
	attachmentHeaders(w, ctype, name, safeRaster(ctype))
	http.ServeContent(w, r, "", f.CreatedAt, file)
}

// attachmentThumb serves an image's thumbnail: GET /api/attachments/{id}/thumb.
func (s *Server) attachmentThumb(w http.ResponseWriter, r *http.Request) {
	f, err := s.cfg.Attachments.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data, ctype, err := s.cfg.Attachments.Thumbnail(f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	attachmentHeaders(w, ctype, "", true)
	http.ServeContent(w, r, "", time.UnixMilli(0), bytes.NewReader(data))
}

// vision answers GET /api/vision?model=REF: {"model","vision":true|false|null,"source"}.
func (s *Server) vision(w http.ResponseWriter, r *http.Request) {
	vc, ok := s.cfg.Chats.(VisionChecker)
	ref := r.URL.Query().Get("model")
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"model": ref, "vision": nil, "source": ""})
		return
	}
	v, err := vc.Vision(r.Context(), ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var can any
	if v.Known {
		can = v.Can
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": ref, "vision": can, "source": v.Source})
}

// attachmentError maps the errors of uploads and of messages with files;
// ok is false for others.
func attachmentError(err error) (status int, code string, ok bool) {
	if code, ok := attach.ErrorCode(err); ok {
		return attachmentStatus[code], code, true
	}
	switch {
	case errors.Is(err, store.ErrUnknownAttachment):
		return http.StatusUnprocessableEntity, "unknown_attachment", true
	case errors.Is(err, chat.ErrNoVision):
		return http.StatusUnprocessableEntity, "no_vision", true
	case errors.Is(err, chat.ErrTooManyFiles):
		return http.StatusBadRequest, "too_many_attachments", true
	}
	return 0, "", false
}

// attachmentStatus is the HTTP status of each attach.ErrorCode.
var attachmentStatus = map[string]int{
	"too_large":        http.StatusRequestEntityTooLarge,
	"image_too_large":  http.StatusRequestEntityTooLarge,
	"empty_file":       http.StatusBadRequest,
	"unsupported_type": http.StatusUnsupportedMediaType,
	"bad_image":        http.StatusBadRequest,
	"not_found":        http.StatusNotFound,
}

// fileRefs checks the attachments of a send or edit body.
func fileRefs(refs []store.AttachmentRef) error {
	for _, r := range refs {
		if strings.TrimSpace(r.ID) == "" {
			return fmt.Errorf("%w: every attachment needs an id", chat.ErrInvalid)
		}
	}
	return nil
}

func fileRefsOf(refs *[]store.AttachmentRef) error {
	if refs == nil {
		return nil
	}
	return fileRefs(*refs)
}

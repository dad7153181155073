package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/holdfast-chat/holdfast/internal/chat"
	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/search"
	"github.com/holdfast-chat/holdfast/internal/store"
)

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// maxErrorMessage bounds an error's message: some repeat what a request
// named (an unknown model), and a request must not get its own megabyte
// back.
const maxErrorMessage = 1000

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	if len(msg) > maxErrorMessage {
		cut := maxErrorMessage
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

// fail maps a domain error to a status and a JSON error.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if status, code, ok := attachmentError(err); ok {
		writeError(w, status, code, err.Error())
		return
	}
	var tooBig *http.MaxBytesError
	if storageFailure(w, err) {
		s.log.Warn("request met a storage fault", "method", r.Method, "path", r.URL.Path, "err", err)
		return
	}
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body is over the %d byte limit", tooBig.Limit))
	case errors.Is(err, chat.ErrTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", err.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, store.ErrWrongSession):
		writeError(w, http.StatusConflict, "conflict", err.Error())
	case errors.Is(err, store.ErrQueryTooLong):
		writeError(w, http.StatusBadRequest, "query_too_long", err.Error())
	case errors.Is(err, store.ErrEmptyQuery), errors.Is(err, store.ErrBadCursor), errors.Is(err, search.ErrBadCursor):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, chat.ErrInvalid):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, chat.ErrUnknownModel):
		writeError(w, http.StatusBadRequest, "unknown_model", err.Error())
	case errors.Is(err, chat.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", err.Error())
	case errors.Is(err, chat.ErrCannotContinue), errors.Is(err, llm.ErrCannotContinue):
		writeError(w, http.StatusUnprocessableEntity, "cannot_continue", err.Error())
	case errors.Is(err, eventlog.ErrClosed):
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the server is shutting down")
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error; see the log")
	}
}

// decode reads a JSON body into v; an empty body is allowed when optional.
func decode(r *http.Request, v any, optional bool) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(b) == 0 && optional {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: malformed JSON body: %v", chat.ErrInvalid, err)
	}
	return nil
}

func (s *Server) head(w http.ResponseWriter, seq int64) {
	w.Header().Set("X-Event-Head", eventlog.FormatID(s.cfg.Events.Epoch(), seq))
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ev := s.cfg.Events
	fault, _ := ev.Fault()
	writeJSON(w, http.StatusOK, map[string]any{
		"ok": true, "version": s.cfg.Version, "epoch": ev.Epoch(),
		"head": eventlog.FormatID(ev.Epoch(), ev.Head()), "time": time.Now().UTC(),
		"storage": storageState(fault),
	})
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	list, err := s.cfg.Models.Models(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if list.Models == nil {
		list.Models = []ModelInfo{}
	}
	if list.Providers == nil {
		list.Providers = []ProviderInfo{}
	}
	writeJSON(w, http.StatusOK, list)
}

// intParam reads an optional positive integer query parameter.
func intParam(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: %s must be a positive number", chat.ErrInvalid, name)
	}
	return n, nil
}

// searchTooLong answers 400 query_too_long for a search text over
// store.MaxQueryRunes (counted as the store counts it, spaces around
// trimmed). The bound is checked here too so that it holds whatever the
// search behind it does: a long text is no search a person types, and
// costs the database dearly.
func searchTooLong(w http.ResponseWriter, text string) bool {
	n := utf8.RuneCountInString(strings.TrimSpace(text))
	if n <= store.MaxQueryRunes {
		return false
	}
	writeError(w, http.StatusBadRequest, "query_too_long",
		fmt.Sprintf("the search text has %d characters; at most %d are searched", n, store.MaxQueryRunes))
	return true
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if searchTooLong(w, q.Get("q")) {
		return
	}
	limit, err := intParam(r, "limit", 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	archived := false
	switch q.Get("archived") {
	case "", "0", "false":
	case "1", "true":
		archived = true
	default:
		writeError(w, http.StatusBadRequest, "bad_request", "archived must be 1 or 0")
		return
	}
	page, err := s.cfg.Snapshots.SessionsPage(r.Context(), store.SessionQuery{
		Limit: limit, Cursor: q.Get("cursor"), Archived: archived, Query: q.Get("q"),
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.head(w, page.Head)
	var next *string
	if page.NextCursor != "" {
		next = &page.NextCursor
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": page.Sessions, "next_cursor": next})
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	var body chat.NewSession
	if err := decode(r, &body, true); err != nil {
		s.fail(w, r, err)
		return
	}
	sess, err := s.cfg.Chats.CreateSession(r.Context(), body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sess)
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	sess, err := s.cfg.Snapshots.GetSession(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sess)
}

func (s *Server) updateSession(w http.ResponseWriter, r *http.Request) {
	var p chat.SessionPatch
	if err := decode(r, &p, false); err != nil {
		s.fail(w, r, err)
		return
	}
	sess, err := s.cfg.Chats.UpdateSession(r.Context(), r.PathValue("id"), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sess)
}

func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Chats.DeleteSession(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

const maxPage = 500

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := intParam(r, "limit", maxPage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req := store.PageRequest{SessionID: r.PathValue("id"), Before: q.Get("before"), After: q.Get("after"), Around: q.Get("around"), Limit: min(limit, maxPage)}
	anchors := 0
	for _, a := range []string{req.Before, req.After, req.Around} {
		if a != "" {
			anchors++
		}
	}
	if anchors > 1 {
		writeError(w, http.StatusBadRequest, "bad_request", "give at most one of before, after and around")
		return
	}
	page, err := s.cfg.Snapshots.PathPage(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.head(w, page.Head)
	writeJSON(w, http.StatusOK, page)
}

type sendBody struct {
	Content  *string `json:"content"`
	ClientID string  `json:"client_id"`
	Model    string  `json:"model"`
	ParentID string  `json:"parent_id"`
	// Attachments are uploaded files ({id, name}); for an edit, absent
	// keeps the edited message's files.
	Attachments *[]store.AttachmentRef `json:"attachments"`
}

// files is the attachments of a send ("none" when absent).
func (b sendBody) files() ([]store.AttachmentRef, error) {
	if b.Attachments == nil {
		return nil, nil
	}
	return *b.Attachments, fileRefs(*b.Attachments)
}

func (b sendBody) content() (string, error) {
	if b.Content == nil {
		return "", fmt.Errorf("%w: content is required", chat.ErrInvalid)
	}
	return *b.Content, nil
}

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) {
	var body sendBody
	if err := decode(r, &body, false); err != nil {
		s.fail(w, r, err)
		return
	}
	content, err := body.content()
	if err != nil && body.Attachments != nil && len(*body.Attachments) > 0 {
		content, err = "", nil // a message of files alone
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	files, err := body.files()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sent, err := s.cfg.Chats.Send(r.Context(), chat.SendRequest{SessionID: r.PathValue("id"), Content: content,
		ClientID: body.ClientID, Model: body.Model, ParentID: body.ParentID, Files: files})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if !sent.Created {
		status = http.StatusOK
	}
	writeJSON(w, status, sent)
}

func (s *Server) messageAction(w http.ResponseWriter, r *http.Request) {
	id, action := r.PathValue("id"), r.PathValue("action")
	ctx := r.Context()
	var body sendBody
	if err := decode(r, &body, true); err != nil {
		s.fail(w, r, err)
		return
	}
	var (
		out    any
		err    error
		status = http.StatusOK
	)
	switch action {
	case "stop":
		out, err = s.cfg.Chats.Stop(ctx, id)
	case "continue":
		out, err = s.cfg.Chats.Continue(ctx, id)
	case "regenerate":
		var created bool
		out, created, err = s.cfg.Chats.Regenerate(ctx, id, body.Model, body.ClientID)
		if created {
			status = http.StatusCreated
		}
	case "edit":
		var content string
		if content, err = body.content(); err == nil {
			if err = fileRefsOf(body.Attachments); err == nil {
				var sent chat.Sent
				sent, err = s.cfg.Chats.EditFiles(ctx, id, content, body.ClientID, body.Attachments)
				out = sent
				if sent.Created {
					status = http.StatusCreated
				}
			}
		}
	default:
		writeError(w, http.StatusNotFound, "not_found", "unknown message action "+quoteShort(action))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status, out)
}

type switchBody struct {
	MessageID string `json:"message_id"`
	Limit     int    `json:"limit"`
}

func (s *Server) switchPath(w http.ResponseWriter, r *http.Request) {
	var body switchBody
	if err := decode(r, &body, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if body.MessageID == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "message_id is required")
		return
	}
	if body.Limit < 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "limit must be a positive number")
		return
	}
	res, err := s.cfg.Chats.Switch(r.Context(), r.PathValue("id"), body.MessageID, min(body.Limit, maxPage))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request) {
	res, err := s.cfg.Chats.Delete(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Search == nil {
		writeError(w, http.StatusNotFound, "not_found", "search is not available in this build")
		return
	}
	limit, err := intParam(r, "limit", 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	if searchTooLong(w, q.Get("q")) {
		return
	}
	res, err := s.cfg.Search.Search(r.Context(), q.Get("q"), q.Get("cursor"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Exporter == nil {
		writeError(w, http.StatusNotFound, "not_found", "export is not available in this build")
		return
	}
	id, format := r.PathValue("id"), r.URL.Query().Get("format")
	if format == "" {
		format = "md"
	}
	ctype, ext, err := s.cfg.Exporter.ContentType(format)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	sess, err := s.cfg.Snapshots.GetSession(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="holdfast-%s.%s"`, sess.ID, ext))
	if err := s.cfg.Exporter.Export(r.Context(), w, id, format); err != nil {
		s.log.Error("export failed", "session", id, "err", err)
	}
}

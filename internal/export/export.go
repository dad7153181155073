// Package export writes Holdfast chats to files people keep: Markdown,
// JSON (full fidelity, versioned, readable back with Decode), a
// self-contained HTML page, JSON Lines for every chat at once, and a folder
// of Markdown files. Every writer is deterministic: the same chat always
// gives the same bytes.
package export

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// Format is an export file format.
type Format string

// The formats Write understands.
const (
	Markdown  Format = "md"
	JSON      Format = "json"
	HTML      Format = "html"
	JSONLines Format = "jsonl"
)

// Formats lists every format in menu order.
func Formats() []Format { return []Format{Markdown, JSON, HTML, JSONLines} }

// ParseFormat reads a format name as a user types it: md, markdown, json,
// html, htm, jsonl or ndjson, in any case, with or without a leading dot.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), ".")) {
	case "md", "markdown":
		return Markdown, nil
	case "json":
		return JSON, nil
	case "html", "htm":
		return HTML, nil
	case "jsonl", "ndjson":
		return JSONLines, nil
	}
	return "", fmt.Errorf("unknown export format %q (want md, json, html or jsonl)", s)
}

// Ext is the file name extension for the format, with its dot.
func (f Format) Ext() string { return "." + string(f) }

// Label is the human name of the format, for menus and dialogs.
func (f Format) Label() string {
	switch f {
	case Markdown:
		return "Markdown"
	case JSON:
		return "JSON"
	case HTML:
		return "HTML"
	case JSONLines:
		return "JSON Lines"
	}
	return string(f)
}

// ContentType is the MIME type of the format.
func (f Format) ContentType() string {
	switch f {
	case Markdown:
		return "text/markdown; charset=utf-8"
	case JSON:
		return "application/json"
	case HTML:
		return "text/html; charset=utf-8"
	case JSONLines:
		return "application/jsonl"
	}
	return "application/octet-stream"
}

// Chat is one session with all of its messages, every branch, oldest
// first (a parent before its children).
type Chat struct {
	Session  store.Session
	Messages []store.Message
	// AppVersion is the version of Holdfast writing (or, after Decode,
	// having written) the export; every format carries it in its metadata.
	AppVersion string
	// Files, when set, is where attached files are read from: HTML
	// embeds images and text files, WriteFiles copies them beside a
	// Markdown or JSON export.
	Files Files
	// FilesDir is the folder (relative to the export) that Markdown and
	// JSON link attachments into; "" means DefaultFilesDir.
	FilesDir string
	// FilePaths, after Decode, maps each attachment id to the path its
	// copy was written at, relative to the JSON file's folder (the
	// document's "path"); an importer opens the bytes there.
	FilePaths map[string]string
}

// Path is the messages the chat shows: from a first message down to the
// session's current leaf. A chat that does not name its leaf (or names
// one it does not hold) shows the path to its newest message; one with no
// parents at all (made by hand, or by an old reader) is one path in order.
func (c Chat) Path() []store.Message {
	byID := make(map[string]int, len(c.Messages))
	tree := false
	for i, m := range c.Messages {
		byID[m.ID] = i
		tree = tree || m.ParentID != ""
	}
	if !tree {
		return c.Messages
	}
	i, ok := byID[string(c.Session.CurrentLeafID)]
	if !ok {
		if len(c.Messages) == 0 {
			return nil
		}
		i = len(c.Messages) - 1
	}
	var path []store.Message
	for seen := 0; seen <= len(c.Messages); seen++ {
		path = append(path, c.Messages[i])
		p, ok := byID[string(c.Messages[i].ParentID)]
		if !ok {
			break
		}
		i = p
	}
	for a, b := 0, len(path)-1; a < b; a, b = a+1, b-1 {
		path[a], path[b] = path[b], path[a]
	}
	return path
}

// Write writes one chat to w in format f. JSONLines writes the chat as a
// single line, the same line WriteAllJSONL would write for it.
func Write(w io.Writer, f Format, c Chat) error {
	switch f {
	case Markdown:
		return writeMarkdown(w, c)
	case JSON:
		return writeJSON(w, c, true)
	case HTML:
		return writeHTML(w, c)
	case JSONLines:
		return writeJSON(w, c, false)
	}
	return fmt.Errorf("unknown export format %q", string(f))
}

// Source reads chats; unknown ids give store.ErrNotFound.
type Source interface {
	GetSession(ctx context.Context, id string) (store.Session, error)
	ListSessions(ctx context.Context, query string) ([]store.Session, error)
	ListAllMessages(ctx context.Context, sessionID string) ([]store.Message, error)
}

var _ Source = (*store.Store)(nil)

// Load reads one chat from src.
func Load(ctx context.Context, src Source, id string) (Chat, error) {
	s, err := src.GetSession(ctx, id)
	if err != nil {
		return Chat{}, fmt.Errorf("read session %s: %w", id, err)
	}
	msgs, err := src.ListAllMessages(ctx, id)
	if err != nil {
		return Chat{}, fmt.Errorf("read messages of session %s: %w", id, err)
	}
	return Chat{Session: s, Messages: msgs}, nil
}

// generator names the program that wrote an export: "Holdfast 0.2.0".
func generator(version string) string {
	if version == "" {
		return "Holdfast"
	}
	return "Holdfast " + version
}

// eachChat calls fn for every chat in src, one chat in memory at a time,
// in the order ListSessions returns them, each stamped with appVersion.
func eachChat(ctx context.Context, src Source, appVersion string, fn func(Chat) error) error {
	sessions, err := src.ListSessions(ctx, "")
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	for _, s := range sessions {
		if err := ctx.Err(); err != nil {
			return err
		}
		msgs, err := src.ListAllMessages(ctx, s.ID)
		if err != nil {
			return fmt.Errorf("read messages of session %s: %w", s.ID, err)
		}
		if err := fn(Chat{Session: s, Messages: msgs, AppVersion: appVersion}); err != nil {
			return err
		}
	}
	return nil
}

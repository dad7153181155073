package export

import (
	"bufio"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/holdfast-chat/holdfast/internal/store"
)

//go:embed chat.html.tmpl
var chatHTML string

type htmlPage struct {
	Title        string
	Model        string
	Created      htmlTime
	Updated      htmlTime
	Count        int
	Other        int // messages on branches not shown
	Generator    string
	SystemPrompt []segment
	Messages     []htmlMessage
}

type htmlMessage struct {
	ID       string
	Class    string // one of a fixed set, never message text
	Role     string
	Model    string
	Time     htmlTime
	Status   store.Status
	Error    string
	Segments []segment
	Files    []htmlFile
	// Reasoning, collapsed above the answer; ReasoningLabel its summary.
	Reasoning      []segment
	ReasoningLabel string
	Note           string // how the answer ended, when that is not plain
}

type htmlTime struct {
	ISO, Text string
}

func newHTMLTime(t time.Time) htmlTime {
	if t.IsZero() {
		return htmlTime{}
	}
	return htmlTime{ISO: t.UTC().Format(time.RFC3339), Text: mdTime(t)}
}

// writeHTML writes a chat as one self-contained HTML page: inline CSS that
// follows the reader's light or dark preference, no scripts, no external
// resources. All text goes through html/template, which escapes it for the
// context it lands in; on top of that the page's Content-Security-Policy
// forbids scripts, so even a bug in escaping could not run one.
func writeHTML(w io.Writer, c Chat) error {
	// Parsed per call: exports are rare and this keeps the package free of
	// package-level state.
	tmpl, err := template.New("chat").Parse(chatHTML)
	if err != nil {
		return fmt.Errorf("parse HTML template: %w", err)
	}
	s := c.Session
	path := c.Path()
	page := htmlPage{
		Title:        strings.TrimSpace(s.Title),
		Model:        s.Model,
		Created:      newHTMLTime(s.CreatedAt),
		Updated:      newHTMLTime(s.UpdatedAt),
		Count:        len(path),
		Other:        len(c.Messages) - len(path),
		Generator:    generator(c.AppVersion),
		SystemPrompt: segments(s.SystemPrompt),
	}
	if page.Title == "" {
		page.Title = "Untitled chat"
	}
	for _, m := range path {
		hm := htmlMessage{
			ID:       m.ID,
			Class:    roleClass(m.Role),
			Role:     roleLabel(m.Role),
			Time:     newHTMLTime(m.CreatedAt),
			Error:    m.Error,
			Segments: segments(m.Content),
			Files:    htmlFiles(c, m),
			Note:     finishNote(m),
		}
		if m.Reasoning != "" {
			hm.Reasoning, hm.ReasoningLabel = segments(m.Reasoning), reasoningLabel(m)
		}
		if m.Role == store.RoleAssistant {
			hm.Model = m.Model
		}
		if m.Status != store.StatusComplete {
			hm.Status = m.Status
		}
		page.Messages = append(page.Messages, hm)
	}
	bw := bufio.NewWriter(w)
	if err := tmpl.Execute(bw, page); err != nil {
		return fmt.Errorf("render HTML for chat %s: %w", s.ID, err)
	}
	return bw.Flush()
}

func roleClass(role store.Role) string {
	switch role {
	case store.RoleUser, store.RoleAssistant, store.RoleSystem:
		return string(role)
	}
	return "other"
}

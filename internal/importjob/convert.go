package importjob

import (
	"fmt"
	"strings"
	"time"

	"github.com/holdfast-chat/holdfast/internal/export"
	"github.com/holdfast-chat/holdfast/internal/importer"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// storeHoldfast stores a chat of a Holdfast export exactly as it was
// exported: its ids, dates, statuses, branches and the branch chosen
// under every message, so exporting it again gives the same document.
//
// files (nil when the chat has none) are its attached files, stored
// beforehand: they are linked to their messages; those not found are
// named in their message's text instead.
func storeHoldfast(b *store.Bulk, c *export.Chat, files *chatFiles) (string, []string, error) {
	ids := make([]string, len(c.Messages))
	for i, m := range c.Messages {
		ids[i] = m.ID
	}
	dup, err := b.Exists(c.Session.ID, ids)
	if err != nil {
		return "", nil, err
	}
	if dup {
		return "", nil, &duplicateError{"already in Holdfast (the same chat, by its ids)"}
	}
	s := c.Session
	s.CurrentLeafID, s.MessageCount = "", 0
	if err := b.InsertSession(s); err != nil {
		return "", nil, err
	}
	var notes []string
	for _, m := range c.Messages {
		if m.Status == store.StatusStreaming {
			// No job is writing it here: it is an answer that stopped.
			m.Status = store.StatusInterrupted
			notes = append(notes, fmt.Sprintf("message %s was still being written when exported; imported as interrupted", m.ID))
		}
		m.SelectedChildID, m.Siblings, m.SiblingIndex = "", nil, nil
		if files != nil {
			for _, a := range files.missing[m.ID] {
				if m.Content != "" {
					m.Content += "\n\n"
				}
				m.Content += missingLabel(a)
			}
		}
		if _, err := b.InsertMessage(m); err != nil {
			return "", nil, fmt.Errorf("message %s: %w", m.ID, err)
		}
	}
	if files != nil {
		for _, m := range c.Messages {
			if refs := files.links[m.ID]; len(refs) > 0 {
				if _, err := b.LinkAttachments(m.ID, refs); err != nil {
					return "", nil, fmt.Errorf("message %s: %w", m.ID, err)
				}
			}
		}
		notes = append(notes, files.notes...)
		if files.lost > 0 {
			notes = append(notes, fmt.Sprintf("%d of %d attached files were not imported (missing or refused); their messages name them", files.lost, files.lost+files.stored))
		}
	}
	for _, m := range c.Messages {
		if m.SelectedChildID != "" {
			if err := b.Select(m.ID, m.SelectedChildID); err != nil {
				return "", nil, err
			}
		}
	}
	leaf := string(c.Session.CurrentLeafID)
	if leaf == "" && len(c.Messages) > 0 {
		leaf = c.Messages[len(c.Messages)-1].ID
		notes = append(notes, "the export named no current message; the chat shows its newest branch")
	}
	if leaf != "" {
		if err := b.SetPath(s.ID, leaf); err != nil {
			return "", nil, fmt.Errorf("current path: %w", err)
		}
	}
	return s.ID, notes, nil
}

// storeConversation stores another app's conversation as a new chat:
// new ids, the source's tree and dates, the branch the source showed.
func storeConversation(b *store.Bulk, c *importer.Conversation, model string) (string, []string, error) {
	created, updated := c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	var first, last time.Time
	for _, m := range c.Messages {
		if m.CreatedAt.IsZero() {
			continue
		}
		if first.IsZero() || m.CreatedAt.Before(first) {
			first = m.CreatedAt
		}
		if m.CreatedAt.After(last) {
			last = m.CreatedAt
		}
	}
	if created.IsZero() {
		created = first.UTC()
	}
	if created.IsZero() {
		created = time.Now().UTC()
	}
	if last.After(updated) {
		updated = last.UTC()
	}
	if updated.Before(created) {
		updated = created
	}
	title, titleSource := strings.TrimSpace(c.Title), store.TitleGenerated
	if title == "" {
		titleSource = store.TitleAuto
		for _, m := range c.CurrentPath() {
			if m.Role == importer.RoleUser && strings.TrimSpace(m.Content) != "" {
				title = oneLine(m.Content, 60)
				break
			}
		}
		if title == "" {
			title = "Imported chat"
		}
	}
	title = oneLine(title, 200)
	if model == "" {
		model = c.Model
	}
	sid := b.NewID("s_")
	err := b.InsertSession(store.Session{ID: sid, Title: title, TitleSource: titleSource, Model: model, SystemPrompt: c.SystemPrompt,
		CreatedAt: created, UpdatedAt: updated, LastActivityAt: updated})
	if err != nil {
		return "", nil, err
	}
	ids := make(map[string]string, len(c.Messages))
	at := created
	var lastID string
	for _, m := range c.Messages {
		parent := ""
		if m.ParentID != "" {
			p, ok := ids[m.ParentID]
			if !ok {
				return "", nil, fmt.Errorf("message %s follows %s, which is not before it", m.SourceID, m.ParentID)
			}
			parent = p
		}
		if !m.CreatedAt.IsZero() {
			at = m.CreatedAt.UTC()
		}
		role, content := roleAndContent(m)
		status := store.StatusComplete
		if m.Error != "" && role == store.RoleAssistant {
			status = store.StatusFailed
		}
		out, err := b.InsertMessage(store.Message{ID: b.NewID("m_"), SessionID: sid, ParentID: store.Ref(parent), Role: role,
			Content: content, Status: status, Error: m.Error, Model: m.Model, CreatedAt: at, UpdatedAt: at})
		if err != nil {
			return "", nil, fmt.Errorf("message %s: %w", m.SourceID, err)
		}
		if m.SourceID != "" {
			ids[m.SourceID] = out.ID
		}
		lastID = out.ID
	}
	leaf := ids[c.CurrentLeafID]
	if leaf == "" {
		leaf = lastID
	}
	if leaf != "" {
		if err := b.SetLoadedPath(sid, leaf); err != nil {
			return "", nil, fmt.Errorf("current path: %w", err)
		}
	}
	return sid, c.Warnings, nil
}

// roleAndContent maps a message onto Holdfast's three roles. What Holdfast
// has no place for is kept in the text, in Markdown, so nothing the
// source showed is lost: reasoning as a quote before the answer, tool
// calls as code blocks, attachments by name (their files are not
// imported). A tool's own message becomes an assistant message that says
// which tool spoke.
func roleAndContent(m importer.Message) (store.Role, string) {
	var sb strings.Builder
	role := store.RoleAssistant
	switch m.Role {
	case importer.RoleUser:
		role = store.RoleUser
	case importer.RoleSystem:
		role = store.RoleSystem
	case importer.RoleTool:
		name := m.Name
		if name == "" {
			name = "tool"
		}
		fmt.Fprintf(&sb, "**Tool output (%s):**\n\n", name)
	}
	if r := strings.TrimSpace(m.Reasoning); r != "" {
		sb.WriteString("> **Thinking**\n>\n")
		for _, line := range strings.Split(r, "\n") {
			sb.WriteString("> " + line + "\n")
		}
		sb.WriteString("\n")
	}
	sb.WriteString(m.Content)
	for _, tc := range m.ToolCalls {
		sep(&sb)
		name := tc.Name
		if name == "" {
			name = "tool"
		}
		fmt.Fprintf(&sb, "**Tool call: %s**", name)
		if tc.Input != "" {
			sb.WriteString("\n\n" + fence(tc.Input))
		}
		if tc.Output != "" {
			label := "Result"
			if tc.IsError {
				label = "Error"
			}
			sb.WriteString("\n\n" + label + ":\n\n" + fence(tc.Output))
		}
	}
	for _, a := range m.Attachments {
		sep(&sb)
		sb.WriteString("📎 Attachment: " + attachmentLabel(a))
	}
	return role, sb.String()
}

func sep(sb *strings.Builder) {
	if sb.Len() > 0 {
		sb.WriteString("\n\n")
	}
}

func attachmentLabel(a importer.AttachmentRef) string {
	name := a.Name
	if name == "" {
		name = "unnamed file"
	}
	var extra []string
	if a.MIME != "" {
		extra = append(extra, a.MIME)
	}
	if a.Size > 0 {
		extra = append(extra, humanSize(a.Size))
	}
	extra = append(extra, "not imported")
	return fmt.Sprintf("`%s` (%s)", strings.ReplaceAll(name, "`", "'"), strings.Join(extra, ", "))
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// fence wraps text in a code fence longer than any backtick run inside it.
func fence(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	f := strings.Repeat("`", max(3, longest+1))
	return f + "\n" + strings.TrimRight(s, "\n") + "\n" + f
}

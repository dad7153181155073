package importer

// Claude data export (Settings → Privacy → Export data): a zip with
// conversations.json, a JSON array of conversations with "uuid", "name"
// and "chat_messages". Newer exports give every message a
// "parent_message_uuid" (edits and retries branch; roots point to the
// nil-like 00000000-0000-4000-8000-000000000000) and content blocks (text,
// thinking, tool_use, tool_result); older ones are a plain list with
// "text". Uploaded documents come as "attachments" with their
// "extracted_content"; images only by name in "files"/"files_v2" (the
// export carries no file bytes). Anthropic publishes no schema; this
// follows LibreChat's importClaudeConvo and extractClaudeContent in
// api/server/utils/import/importers.js (danny-avila/LibreChat) and its
// tests in importers.spec.js.

import (
	"context"
	"encoding/json"
	"io"
	"sort"
	"strings"
)

type clConversation struct {
	UUID         flexString  `json:"uuid"`
	Name         flexString  `json:"name"`
	CreatedAt    flexTime    `json:"created_at"`
	UpdatedAt    flexTime    `json:"updated_at"`
	Model        flexString  `json:"model"`
	CurrentLeaf  flexString  `json:"current_leaf_message_uuid"`
	ChatMessages []clMessage `json:"chat_messages"`
}

type clMessage struct {
	UUID        flexString `json:"uuid"`
	Text        flexString `json:"text"`
	Content     []clBlock  `json:"content"`
	Sender      flexString `json:"sender"`
	CreatedAt   flexTime   `json:"created_at"`
	Parent      flexString `json:"parent_message_uuid"`
	Attachments []struct {
		FileName         flexString `json:"file_name"`
		FileSize         flexInt    `json:"file_size"`
		FileType         flexString `json:"file_type"`
		ExtractedContent flexString `json:"extracted_content"`
	} `json:"attachments"`
	Files   []clFile `json:"files"`
	FilesV2 []clFile `json:"files_v2"`
}

type clFile struct {
	FileUUID flexString `json:"file_uuid"`
	FileName flexString `json:"file_name"`
}

type clBlock struct {
	Type      flexString      `json:"type"`
	Text      flexString      `json:"text"`
	Thinking  flexString      `json:"thinking"`
	ID        flexString      `json:"id"`
	Name      flexString      `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID flexString      `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   flexBool        `json:"is_error"`
}

func parseClaude(ctx context.Context, r io.Reader, e *env, out *sink) error {
	s, err := newElementStream(r)
	if err != nil {
		return err
	}
	for i := 0; ; i++ {
		var c clConversation
		ok, err := s.next(&c)
		if !ok {
			return err
		}
		if err != nil {
			if !out.skip(i, string(c.UUID), string(c.Name), err.Error()) {
				return nil
			}
			continue
		}
		if !out.emit(claudeDraft(&c), i) {
			return nil
		}
	}
}

func claudeDraft(c *clConversation) *draft {
	d := &draft{
		conv: Conversation{SourceID: string(c.UUID), Title: string(c.Name), CreatedAt: c.CreatedAt.Time,
			UpdatedAt: c.UpdatedAt.Time, Model: string(c.Model)},
		leaf: string(c.CurrentLeaf),
	}
	// Exports without parent links are one linear thread in list order.
	tree := false
	for i := range c.ChatMessages {
		if c.ChatMessages[i].Parent != "" {
			tree = true
			break
		}
	}
	unknown := map[string]bool{}
	prev := -1
	for i := range c.ChatMessages {
		cm := &c.ChatMessages[i]
		m := Message{SourceID: string(cm.UUID), CreatedAt: cm.CreatedAt.Time}
		if m.SourceID == "" {
			m.SourceID = d.syntheticMessageID(i)
		}
		drop := false
		switch cm.Sender {
		case "human":
			m.Role = RoleUser
		case "assistant":
			m.Role = RoleAssistant
		default:
			d.warnf("message %q has an unknown sender %q; left out", m.SourceID, string(cm.Sender))
			drop = true
		}
		if !drop {
			claudeContent(&m, cm, unknown)
		}
		var n *draftNode
		if tree {
			if p := string(cm.Parent); !isNilUUID(p) {
				m.ParentID = p
			}
			n = d.add(m)
		} else {
			n, prev = d.addAfter(m, prev)
		}
		n.drop = drop
	}
	if len(unknown) > 0 {
		types := make([]string, 0, len(unknown))
		for t := range unknown {
			types = append(types, t)
		}
		sort.Strings(types)
		d.warnf("content blocks of unknown types (%s) were imported as far as they had text", strings.Join(types, ", "))
	}
	return d
}

func claudeContent(m *Message, cm *clMessage, unknown map[string]bool) {
	var texts, thinking []string
	for _, b := range cm.Content {
		switch b.Type {
		case "text":
			texts = append(texts, string(b.Text))
		case "thinking":
			thinking = append(thinking, string(b.Thinking))
		case "tool_use":
			m.ToolCalls = append(m.ToolCalls, ToolCall{ID: string(b.ID), Name: string(b.Name), Input: rawText(b.Input)})
		case "tool_result":
			out := claudeResultText(b.Content)
			if tc := findCall(m.ToolCalls, string(b.ToolUseID), string(b.Name)); tc != nil {
				tc.Output, tc.IsError = out, bool(b.IsError)
			} else {
				m.ToolCalls = append(m.ToolCalls, ToolCall{ID: string(b.ToolUseID), Name: string(b.Name), Output: out, IsError: bool(b.IsError)})
			}
		default:
			if b.Text != "" {
				texts = append(texts, string(b.Text))
			}
			if b.Type != "" {
				unknown[string(b.Type)] = true
			}
		}
	}
	m.Content = strings.TrimSpace(joinNonEmpty("\n\n", texts...))
	if m.Content == "" {
		m.Content = string(cm.Text)
	}
	m.Reasoning = strings.TrimSpace(joinNonEmpty("\n\n", thinking...))
	for _, a := range cm.Attachments {
		name := sanitizeName(string(a.FileName))
		mt := string(a.FileType)
		if !strings.Contains(mt, "/") {
			mt = mimeByName("." + mt)
		}
		if name == "" {
			name = "Pasted text"
		}
		m.Attachments = append(m.Attachments, AttachmentRef{
			Name: name, MIME: mt, Size: int64(a.FileSize), Text: string(a.ExtractedContent),
		})
	}
	// files_v2 repeats files with more detail: read it first, then skip
	// what was already seen by id or by name.
	seen := map[string]bool{}
	for _, f := range append(cm.FilesV2, cm.Files...) {
		dupID := f.FileUUID != "" && seen["id:"+string(f.FileUUID)]
		dupName := f.FileName != "" && seen["name:"+string(f.FileName)]
		if dupID || dupName || (f.FileUUID == "" && f.FileName == "") {
			continue
		}
		seen["id:"+string(f.FileUUID)], seen["name:"+string(f.FileName)] = true, true
		name := sanitizeName(string(f.FileName))
		m.Attachments = append(m.Attachments, AttachmentRef{Name: name, MIME: mimeByName(name), SourceID: string(f.FileUUID)})
	}
}

// claudeResultText reads a tool_result's content: a string or a list of
// blocks whose text is kept.
func claudeResultText(raw json.RawMessage) string {
	var blocks []clBlock
	if json.Unmarshal(raw, &blocks) == nil {
		var texts []string
		for _, b := range blocks {
			if b.Text != "" {
				texts = append(texts, string(b.Text))
			}
		}
		return strings.Join(texts, "\n")
	}
	return rawText(raw)
}

func findCall(calls []ToolCall, id, name string) *ToolCall {
	for i := len(calls) - 1; i >= 0; i-- {
		if id != "" && calls[i].ID == id {
			return &calls[i]
		}
	}
	if id == "" {
		for i := len(calls) - 1; i >= 0; i-- {
			if calls[i].Name == name && calls[i].Output == "" {
				return &calls[i]
			}
		}
	}
	return nil
}

// isNilUUID reports the placeholder parent Claude gives root messages
// (00000000-0000-4000-8000-000000000000: all zeros but for the version
// and variant digits).
func isNilUUID(s string) bool {
	if s == "" {
		return true
	}
	hex := strings.ReplaceAll(s, "-", "")
	if len(hex) != 32 {
		return false
	}
	nonZero := 0
	for _, c := range hex {
		if c != '0' {
			nonZero++
		}
	}
	return nonZero <= 2
}

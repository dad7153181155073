package importer

// Open WebUI chat export (Settings → Chats → Export chats, or a chat's
// Download → Export chat (.json)): a JSON array of chats as the API returns
// them (ChatResponse in backend/open_webui/models/chats.py: id, title,
// chat, created_at, updated_at in seconds). chat.history.messages maps ids
// to messages with parentId/childrenIds, chat.history.currentId is the
// shown branch. Assistant content can embed the model's reasoning and tool
// calls as <details type="reasoning"> / <details type="tool_calls"> blocks
// (serialize_content_blocks in backend/open_webui/utils/middleware.py);
// newer versions also keep them structured in "output". Older exports are
// the bare chat objects, with a linear "messages" list. Based on
// open-webui/open-webui src/lib/components/chat/Settings/Chats.svelte
// (exportChats, importChatsHandler) and the models above, and LibreChat's
// importOpenWebUiConvo (api/server/utils/import/importers.js).

import (
	"context"
	"encoding/json"
	"io"
	"path"
	"sort"
	"strings"
)

type owChat struct {
	ID               flexString  `json:"id"`
	Title            flexString  `json:"title"`
	Chat             *owChatBody `json:"chat"`
	CreatedAt        flexTime    `json:"created_at"`
	UpdatedAt        flexTime    `json:"updated_at"`
	CurrentMessageID flexString  `json:"current_message_id"`
	// A legacy export is the chat body itself.
	owChatBody
}

type owChatBody struct {
	ID      flexString   `json:"id"`
	Title   flexString   `json:"title"`
	Models  []flexString `json:"models"`
	History *struct {
		Messages  map[string]owMessage `json:"messages"`
		CurrentID flexString           `json:"currentId"`
	} `json:"history"`
	Messages []owMessage `json:"messages"`
	System   flexString  `json:"system"`
	Params   struct {
		System flexString `json:"system"`
	} `json:"params"`
	Timestamp flexTime `json:"timestamp"`
}

type owMessage struct {
	ID          flexString      `json:"id"`
	ParentID    flexString      `json:"parentId"`
	ChildrenIDs []flexString    `json:"childrenIds"`
	Role        flexString      `json:"role"`
	Content     json.RawMessage `json:"content"`
	Model       flexString      `json:"model"`
	Timestamp   flexTime        `json:"timestamp"`
	Files       []owFile        `json:"files"`
	Error       json.RawMessage `json:"error"`
	Output      []owOutput      `json:"output"`
}

type owFile struct {
	Type flexString `json:"type"`
	ID   flexString `json:"id"`
	URL  flexString `json:"url"`
	Name flexString `json:"name"`
	Size flexInt    `json:"size"`
	File *struct {
		ID       flexString `json:"id"`
		Filename flexString `json:"filename"`
		Meta     struct {
			Name        flexString `json:"name"`
			ContentType flexString `json:"content_type"`
			Size        flexInt    `json:"size"`
		} `json:"meta"`
	} `json:"file"`
}

type owOutput struct {
	Type      flexString      `json:"type"`
	CallID    flexString      `json:"call_id"`
	ID        flexString      `json:"id"`
	Name      flexString      `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	Content   json.RawMessage `json:"content"`
	Summary   json.RawMessage `json:"summary"`
	Output    json.RawMessage `json:"output"`
}

func parseOpenWebUI(ctx context.Context, r io.Reader, e *env, out *sink) error {
	s, err := newElementStream(r)
	if err != nil {
		return err
	}
	for i := 0; ; i++ {
		var c owChat
		ok, err := s.next(&c)
		if !ok {
			return err
		}
		body := c.Chat
		if body == nil {
			body = &c.owChatBody
		}
		title := string(firstNonEmpty(c.Title, body.Title))
		id := string(firstNonEmpty(c.ID, body.ID))
		if err != nil {
			if !out.skip(i, id, title, err.Error()) {
				return nil
			}
			continue
		}
		if (body.History == nil || len(body.History.Messages) == 0) && len(body.Messages) == 0 {
			if !out.skip(i, id, title, "it has no messages (no chat.history)") {
				return nil
			}
			continue
		}
		if !out.emit(openWebUIDraft(&c, body, id, title, e), i) {
			return nil
		}
	}
}

func openWebUIDraft(c *owChat, body *owChatBody, id, title string, e *env) *draft {
	created := c.CreatedAt.Time
	if created.IsZero() {
		created = body.Timestamp.Time
	}
	d := &draft{conv: Conversation{
		SourceID: id, Title: title, CreatedAt: created, UpdatedAt: c.UpdatedAt.Time,
		SystemPrompt: strings.TrimSpace(string(firstNonEmpty(body.Params.System, body.System))),
	}}
	if len(body.Models) > 0 {
		d.fallbackModel = string(body.Models[0])
	}
	if body.History != nil && len(body.History.Messages) > 0 {
		d.leaf = string(firstNonEmpty(body.History.CurrentID, c.CurrentMessageID))
		msgs := body.History.Messages
		for _, key := range openWebUIOrder(msgs) {
			om := msgs[key]
			m, ok := openWebUIMessage(d, key, &om, e)
			m.ParentID = string(om.ParentID)
			d.add(m).drop = !ok
		}
		return d
	}
	// Legacy: a list, linked by parentId where present, else in order.
	prev := -1
	for i := range body.Messages {
		om := &body.Messages[i]
		id := string(om.ID)
		if id == "" {
			id = d.syntheticMessageID(i)
		}
		m, ok := openWebUIMessage(d, id, om, e)
		var n *draftNode
		if p := string(om.ParentID); p != "" {
			m.ParentID = p
			n = d.add(m)
			prev = len(d.nodes) - 1
		} else {
			n, prev = d.addAfter(m, prev)
		}
		n.drop = !ok
	}
	return d
}

// openWebUIOrder lists message ids parents first, siblings in the order of
// "childrenIds"; messages no root reaches follow by time.
func openWebUIOrder(msgs map[string]owMessage) []string {
	keys := make([]string, 0, len(msgs))
	for k := range msgs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ti, tj := msgs[keys[i]].Timestamp.Time, msgs[keys[j]].Timestamp.Time
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return keys[i] < keys[j]
	})
	return sourceOrder(keys,
		func(k string) bool {
			p := string(msgs[k].ParentID)
			_, known := msgs[p]
			return p == "" || !known
		},
		func(k string) []flexString { return msgs[k].ChildrenIDs },
		func(k string) (string, bool) { m, ok := msgs[k]; return string(m.ParentID), ok })
}

// openWebUIMessage reads one message; false means it is to be left out.
func openWebUIMessage(d *draft, id string, om *owMessage, e *env) (Message, bool) {
	m := Message{SourceID: id, CreatedAt: om.Timestamp.Time, Model: string(om.Model)}
	switch role := string(om.Role); role {
	case "user":
		m.Role = RoleUser
	case "assistant":
		m.Role = RoleAssistant
	case "system":
		m.Role = RoleSystem
	case "tool":
		m.Role = RoleTool
	default:
		d.warnf("message %q has an unknown role %q; left out", id, role)
		return m, false
	}
	text, parts := openWebUIContent(om.Content)
	if m.Role == RoleAssistant && !openWebUIOutput(&m, om.Output) {
		m.Content, m.Reasoning, m.ToolCalls = splitOpenWebUIContent(text)
	} else if m.Role != RoleAssistant {
		m.Content = text
	}
	for _, f := range append(parts, om.Files...) {
		if a, ok := openWebUIFile(f, e); ok {
			m.Attachments = append(m.Attachments, a)
		}
	}
	m.Error = openWebUIError(om.Error)
	return m, true
}

// openWebUIContent reads content as a string or as a list of OpenAI-style
// parts (text, image_url); images come back as files.
func openWebUIContent(raw json.RawMessage) (string, []owFile) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type     flexString      `json:"type"`
		Text     flexString      `json:"text"`
		ImageURL json.RawMessage `json:"image_url"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return "", nil
	}
	var texts []string
	var files []owFile
	for _, p := range parts {
		switch p.Type {
		case "image_url":
			var u struct {
				URL flexString `json:"url"`
			}
			if json.Unmarshal(p.ImageURL, &u) != nil || u.URL == "" {
				var plain flexString
				json.Unmarshal(p.ImageURL, &plain)
				u.URL = plain
			}
			if u.URL != "" {
				files = append(files, owFile{Type: "image", URL: u.URL})
			}
		default:
			if p.Text != "" {
				texts = append(texts, string(p.Text))
			}
		}
	}
	return strings.Join(texts, "\n"), files
}

// openWebUIOutput reads the structured "output" of newer versions into m;
// false when there is none to read.
func openWebUIOutput(m *Message, output []owOutput) bool {
	var texts, reasoning []string
	found := false
	for _, o := range output {
		switch o.Type {
		case "message":
			found = true
			texts = append(texts, outputText(o.Content))
		case "reasoning":
			found = true
			r := outputText(o.Summary)
			if r == "" {
				r = outputText(o.Content)
			}
			reasoning = append(reasoning, r)
		case "function_call":
			m.ToolCalls = append(m.ToolCalls, ToolCall{ID: string(firstNonEmpty(o.CallID, o.ID)), Name: string(o.Name), Input: rawText(o.Arguments)})
		case "function_call_output":
			if tc := findCall(m.ToolCalls, string(o.CallID), ""); tc != nil {
				tc.Output = outputText(o.Output)
			}
		}
	}
	if !found {
		m.ToolCalls = nil
		return false
	}
	m.Content = strings.TrimSpace(joinNonEmpty("\n\n", texts...))
	m.Reasoning = strings.TrimSpace(joinNonEmpty("\n\n", reasoning...))
	return true
}

// outputText joins the text of an output part list ({type, text} objects or
// strings), or reads a plain string.
func outputText(raw json.RawMessage) string {
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil {
		var s string
		json.Unmarshal(raw, &s)
		return s
	}
	var texts []string
	for _, p := range parts {
		var s string
		if json.Unmarshal(p, &s) == nil {
			texts = append(texts, s)
			continue
		}
		var o struct {
			Text flexString `json:"text"`
		}
		if json.Unmarshal(p, &o) == nil && o.Text != "" {
			texts = append(texts, string(o.Text))
		}
	}
	return joinNonEmpty("\n\n", texts...)
}

func openWebUIError(raw json.RawMessage) string {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		if b {
			return "error"
		}
		return ""
	}
	var o struct {
		Content flexString `json:"content"`
		Message flexString `json:"message"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return string(firstNonEmpty(o.Content, o.Message))
	}
	return ""
}

func openWebUIFile(f owFile, e *env) (AttachmentRef, bool) {
	a := AttachmentRef{Name: sanitizeName(string(f.Name)), Size: int64(f.Size), SourceID: string(f.ID)}
	if f.File != nil {
		if a.Name == "" {
			a.Name = sanitizeName(string(firstNonEmpty(f.File.Meta.Name, f.File.Filename)))
		}
		a.MIME = string(f.File.Meta.ContentType)
		if a.Size <= 0 {
			a.Size = int64(f.File.Meta.Size)
		}
		if a.SourceID == "" {
			a.SourceID = string(f.File.ID)
		}
	}
	url := string(f.URL)
	if mt, data, ok := decodeDataURL(url, e.limits.MaxInline); ok {
		a.MIME, a.Data, a.Size = mt, data, int64(len(data))
		if a.Name == "" {
			a.Name = "image" + extFor(mt)
		}
	} else if strings.HasPrefix(url, "data:") {
		a.SourcePath = "" // an undecodable or oversized data URL is not a useful reference
	} else {
		a.SourcePath = url
		if a.Name == "" && url != "" {
			u := url
			if i := strings.IndexAny(u, "?#"); i >= 0 {
				u = u[:i]
			}
			a.Name = sanitizeName(path.Base(u))
		}
	}
	if a.Name == "" {
		a.Name = sanitizeName(string(firstNonEmpty(f.ID, f.Type)))
	}
	if a.MIME == "" {
		a.MIME = mimeByName(a.Name)
	}
	if a.Name == "" && !a.HasData() && a.SourcePath == "" && a.SourceID == "" {
		return a, false
	}
	return a, true
}

func extFor(mimeType string) string {
	for ext, t := range commonTypes {
		if t == mimeType && ext != ".jpeg" && ext != ".htm" {
			return ext
		}
	}
	return ""
}

package importer

// Cherry Studio backup (Settings → Data → Backup): a zip with data.json and
// the app's Data/ folder (uploaded files as Data/Files/<id><ext>).
// data.json is {time, version, localStorage, indexedDB}: indexedDB holds
// the Dexie tables, "topics" ({id, messages}) and, since version 3,
// "message_blocks" that messages refer to by id; localStorage
// ["persist:cherry-studio"] is the redux-persist state (a JSON string of
// JSON strings) whose "assistants" slice names the topics, dates them and
// carries the assistant's prompt and model. Assistant answers point to the
// question they answer with "askId" (several answers to one question are
// retries or multi-model replies; "foldSelected" marks the shown one).
// Based on CherryHQ/cherry-studio src/renderer/src/services/BackupService.ts
// (getBackupData, handleData), src/main/services/BackupManager.ts (backup),
// src/renderer/src/types/newMessage.ts (Message, MessageBlock),
// types/legacyMessage.ts, types/topic.ts and types/file.ts.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// The backup is decoded in layers of json.RawMessage so that one topic or
// block of the wrong shape is skipped on its own instead of failing the
// whole file.
type chBackup struct {
	LocalStorage json.RawMessage `json:"localStorage"`
	IndexedDB    json.RawMessage `json:"indexedDB"`
}

type chTables struct {
	Topics        []json.RawMessage `json:"topics"`
	MessageBlocks []json.RawMessage `json:"message_blocks"`
}

type chTopic struct {
	ID       flexString  `json:"id"`
	Messages []chMessage `json:"messages"`
}

type chMessage struct {
	ID           flexString   `json:"id"`
	Role         flexString   `json:"role"`
	CreatedAt    flexTime     `json:"createdAt"`
	Status       flexString   `json:"status"`
	ModelID      flexString   `json:"modelId"`
	Model        *chModel     `json:"model"`
	AskID        flexString   `json:"askId"`
	FoldSelected flexBool     `json:"foldSelected"`
	Blocks       []flexString `json:"blocks"`
	// Before version 3 the text lived on the message.
	Content          *flexString     `json:"content"`
	ReasoningContent flexString      `json:"reasoning_content"`
	Files            []chFile        `json:"files"`
	Images           []flexString    `json:"images"`
	Error            json.RawMessage `json:"error"`
}

type chModel struct {
	ID   flexString `json:"id"`
	Name flexString `json:"name"`
}

type chFile struct {
	ID         flexString `json:"id"`
	Name       flexString `json:"name"`
	OriginName flexString `json:"origin_name"`
	Path       flexString `json:"path"`
	Size       flexInt    `json:"size"`
	Ext        flexString `json:"ext"`
}

type chBlock struct {
	ID        flexString      `json:"id"`
	Type      flexString      `json:"type"`
	Content   json.RawMessage `json:"content"`
	Language  flexString      `json:"language"`
	URL       flexString      `json:"url"`
	File      *chFile         `json:"file"`
	ToolID    flexString      `json:"toolId"`
	ToolName  flexString      `json:"toolName"`
	Arguments json.RawMessage `json:"arguments"`
	Error     json.RawMessage `json:"error"`
	FilePath  flexString      `json:"filePath"`
}

type chAssistants struct {
	DefaultAssistant *chAssistant  `json:"defaultAssistant"`
	Assistants       []chAssistant `json:"assistants"`
}

type chAssistant struct {
	Prompt flexString `json:"prompt"`
	Model  *chModel   `json:"model"`
	Topics []struct {
		ID        flexString `json:"id"`
		Name      flexString `json:"name"`
		CreatedAt flexTime   `json:"createdAt"`
		UpdatedAt flexTime   `json:"updatedAt"`
		Prompt    flexString `json:"prompt"`
	} `json:"topics"`
}

// chTopicMeta is what the redux state knows of a topic.
type chTopicMeta struct {
	name, prompt, model string
	created, updated    flexTime
}

// parseCherryStudio decodes the whole backup: topics refer to blocks stored
// after them and to names stored before them, so it cannot be streamed.
// The decoded form keeps only the fields read here.
func parseCherryStudio(ctx context.Context, r io.Reader, e *env, out *sink) error {
	s, err := newElementStream(r)
	if err != nil {
		return err
	}
	var b chBackup
	ok, err := s.next(&b)
	if !ok || err != nil {
		if err == nil {
			err = errors.New("the backup is empty")
		}
		return err
	}
	var tables chTables
	if err := json.Unmarshal(b.IndexedDB, &tables); err != nil {
		legacy, lerr := cherryLegacyTables(b.IndexedDB)
		if lerr != nil {
			return fmt.Errorf("read indexedDB: %w", describeJSONError(err))
		}
		tables = legacy
	}
	meta := cherryTopicMeta(b.LocalStorage)
	blocks := make(map[string]*chBlock, len(tables.MessageBlocks))
	for _, raw := range tables.MessageBlocks {
		var b chBlock
		if json.Unmarshal(raw, &b) == nil {
			blocks[string(b.ID)] = &b
		}
	}
	for i, raw := range tables.Topics {
		var t chTopic
		if err := json.Unmarshal(raw, &t); err != nil {
			m := meta[string(t.ID)]
			if !out.skip(i, string(t.ID), m.name, describeJSONError(err).Error()) {
				return nil
			}
			continue
		}
		if !out.emit(cherryDraft(&t, meta[string(t.ID)], blocks, e), i) {
			return nil
		}
	}
	return nil
}

// cherryLegacyTables reads a version 1 backup, whose indexedDB is a list of
// {key, value} rows with topics under "topic:<id>".
func cherryLegacyTables(raw json.RawMessage) (chTables, error) {
	var rows []struct {
		Key   flexString      `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &rows); err != nil {
		return chTables{}, err
	}
	var t chTables
	for _, row := range rows {
		if strings.HasPrefix(string(row.Key), "topic:") {
			t.Topics = append(t.Topics, row.Value)
		}
	}
	return t, nil
}

// cherryTopicMeta reads topic names, dates, prompts and models from the
// redux-persist state. Any part it cannot read is simply missing.
func cherryTopicMeta(localStorage json.RawMessage) map[string]chTopicMeta {
	meta := map[string]chTopicMeta{}
	var ls map[string]json.RawMessage
	var persist map[string]json.RawMessage
	if json.Unmarshal(localStorage, &ls) != nil || !unmarshalMaybeString(ls["persist:cherry-studio"], &persist) {
		return meta
	}
	var st chAssistants
	if !unmarshalMaybeString(persist["assistants"], &st) {
		return meta
	}
	all := st.Assistants
	if st.DefaultAssistant != nil {
		all = append([]chAssistant{*st.DefaultAssistant}, all...)
	}
	for _, a := range all {
		model := ""
		if a.Model != nil {
			model = string(firstNonEmpty(a.Model.ID, a.Model.Name))
		}
		for _, t := range a.Topics {
			if _, dup := meta[string(t.ID)]; dup {
				continue
			}
			meta[string(t.ID)] = chTopicMeta{
				name: string(t.Name), prompt: strings.TrimSpace(string(firstNonEmpty(t.Prompt, a.Prompt))),
				model: model, created: t.CreatedAt, updated: t.UpdatedAt,
			}
		}
	}
	return meta
}

// unmarshalMaybeString decodes raw into v, first unwrapping it when it is a
// JSON string holding JSON (as redux-persist writes every slice).
func unmarshalMaybeString(raw json.RawMessage, v any) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	return len(raw) > 0 && json.Unmarshal(raw, v) == nil
}

func cherryDraft(t *chTopic, meta chTopicMeta, blocks map[string]*chBlock, e *env) *draft {
	d := &draft{conv: Conversation{
		SourceID: string(t.ID), Title: meta.name, CreatedAt: meta.created.Time, UpdatedAt: meta.updated.Time,
		SystemPrompt: meta.prompt,
	}, fallbackModel: meta.model}

	// The answer a question shows: the one marked foldSelected, else the
	// last one.
	ids := map[string]bool{}
	for _, m := range t.Messages {
		ids[string(m.ID)] = true
	}
	shown := map[string]string{}
	selected := map[string]bool{}
	for _, m := range t.Messages {
		q := string(m.AskID)
		if m.Role != "assistant" || !ids[q] {
			continue
		}
		switch {
		case bool(m.FoldSelected):
			shown[q], selected[q] = string(m.ID), true
		case !selected[q]:
			shown[q] = string(m.ID)
		}
	}
	tip := ""
	for i := range t.Messages {
		cm := &t.Messages[i]
		m := Message{SourceID: string(cm.ID), CreatedAt: cm.CreatedAt.Time, Model: string(cm.ModelID)}
		if cm.Model != nil {
			m.Model = string(firstNonEmpty(cm.Model.ID, cm.ModelID, cm.Model.Name))
		}
		if m.SourceID == "" {
			m.SourceID = d.syntheticMessageID(i)
		}
		// An answer hangs under its question; everything else continues
		// the thread from the answer shown for the previous question.
		if cm.Role == "assistant" && ids[string(cm.AskID)] && string(cm.AskID) != m.SourceID {
			m.ParentID = string(cm.AskID)
		} else {
			m.ParentID = tip
			tip = m.SourceID
			if a, ok := shown[m.SourceID]; ok {
				tip = a
			}
		}
		switch cm.Role {
		case "user":
			m.Role = RoleUser
		case "assistant":
			m.Role = RoleAssistant
		case "system":
			m.Role = RoleSystem
		default:
			d.warnf("message %q has an unknown role %q; left out", m.SourceID, string(cm.Role))
			d.add(m).drop = true
			continue
		}
		cherryContent(&m, cm, blocks, e)
		d.add(m)
	}
	d.leaf = tip
	return d
}

func cherryContent(m *Message, cm *chMessage, blocks map[string]*chBlock, e *env) {
	var texts, thinking []string
	if cm.Content != nil && len(cm.Blocks) == 0 {
		texts = append(texts, string(*cm.Content))
		thinking = append(thinking, string(cm.ReasoningContent))
		for i := range cm.Files {
			m.Attachments = append(m.Attachments, cherryFile(&cm.Files[i], e))
		}
		for _, img := range cm.Images {
			m.Attachments = append(m.Attachments, cherryURL(string(img), e))
		}
		m.Error = openWebUIError(cm.Error)
	}
	for _, id := range cm.Blocks {
		b, ok := blocks[string(id)]
		if !ok {
			continue
		}
		switch b.Type {
		case "main_text", "compact":
			texts = append(texts, rawText(b.Content))
		case "thinking":
			thinking = append(thinking, rawText(b.Content))
		case "code":
			texts = append(texts, fence(string(b.Language), rawText(b.Content)))
		case "image":
			switch {
			case b.File != nil:
				m.Attachments = append(m.Attachments, cherryFile(b.File, e))
			case b.URL != "":
				m.Attachments = append(m.Attachments, cherryURL(string(b.URL), e))
			}
		case "file":
			if b.File != nil {
				m.Attachments = append(m.Attachments, cherryFile(b.File, e))
			}
		case "video":
			if u := string(firstNonEmpty(b.URL, b.FilePath)); u != "" {
				m.Attachments = append(m.Attachments, AttachmentRef{Name: sanitizeName(path.Base(u)), MIME: mimeByName(u), SourcePath: u})
			}
		case "tool":
			m.ToolCalls = append(m.ToolCalls, ToolCall{
				ID: string(b.ToolID), Name: string(b.ToolName), Input: rawText(b.Arguments), Output: rawText(b.Content),
			})
		case "error":
			m.Error = joinNonEmpty("\n", m.Error, firstText(openWebUIError(b.Error), "error"))
		}
		// citation and translation blocks are derived views; they are not imported.
	}
	m.Content = strings.TrimSpace(joinNonEmpty("\n\n", texts...))
	m.Reasoning = strings.TrimSpace(joinNonEmpty("\n\n", thinking...))
}

// cherryFile refers to an uploaded file, read from the backup's
// Data/Files folder when it is there.
func cherryFile(f *chFile, e *env) AttachmentRef {
	a := AttachmentRef{
		Name: sanitizeName(string(firstNonEmpty(f.OriginName, f.Name))), Size: int64(f.Size),
		SourceID: string(f.ID), SourcePath: string(f.Path),
	}
	a.MIME = mimeByName(a.Name)
	if a.MIME == "" {
		a.MIME = mimeByName(string(f.Ext))
	}
	stored := string(f.Name)
	if stored == "" && f.ID != "" {
		stored = string(f.ID) + string(f.Ext)
	}
	if e.zip != nil && stored != "" {
		if zf, ok := e.zip.member("Data/Files/" + sanitizeName(stored)); ok {
			a = fromZip(a, e.zip, zf)
		}
	}
	return a
}

func cherryURL(u string, e *env) AttachmentRef {
	if mt, data, ok := decodeDataURL(u, e.limits.MaxInline); ok {
		return AttachmentRef{Name: "image" + extFor(mt), MIME: mt, Size: int64(len(data)), Data: data}
	}
	if strings.HasPrefix(u, "data:") {
		return AttachmentRef{Name: "image"}
	}
	return AttachmentRef{Name: sanitizeName(path.Base(u)), MIME: mimeByName(u), SourcePath: u}
}

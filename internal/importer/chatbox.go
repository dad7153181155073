package importer

// Chatbox backup (Settings → General → Backup/Export data): one JSON object
// that is the app's whole key-value store (storage.getAll()). Each chat is
// under "session:<id>" (since the store split sessions into keys), older
// files keep them all in a "chat-sessions" list, and "chat-sessions-list"
// names the live ones. A session's "messages" is the thread shown;
// "messageForksHash" keeps, per message, the other branches that follow it
// (lists of messages, "position" being the shown one), and "threads" the
// earlier contexts the user set aside with "new thread". Messages carry
// "contentParts" (text, reasoning, image, tool-call) or, before that, a
// plain "content". Pictures and files are stored apart from the backup and
// only referred to by storage key. Based on chatboxai/chatbox (formerly
// Bin-Huang/chatbox) src/renderer/routes/settings/general.tsx (onExport),
// src/shared/types/session.ts (Session, Message, MessageContentParts),
// src/renderer/stores/session/forks.ts, stores/session/threads.ts and
// src/renderer/utils/message.ts (migrateMessage).

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

type cbSession struct {
	ID       flexString  `json:"id"`
	Name     flexString  `json:"name"`
	Messages []cbMessage `json:"messages"`
	Threads  []struct {
		ID       flexString  `json:"id"`
		Messages []cbMessage `json:"messages"`
	} `json:"threads"`
	Forks    map[string]cbFork `json:"messageForksHash"`
	Settings struct {
		ModelID flexString `json:"modelId"`
	} `json:"settings"`
}

type cbFork struct {
	Position flexInt `json:"position"`
	Lists    []struct {
		Messages []cbMessage `json:"messages"`
	} `json:"lists"`
}

type cbMessage struct {
	ID               flexString      `json:"id"`
	Role             flexString      `json:"role"`
	Model            flexString      `json:"model"`
	ContentParts     []cbPart        `json:"contentParts"`
	Content          json.RawMessage `json:"content"`
	ReasoningContent flexString      `json:"reasoningContent"`
	Files            []struct {
		ID         flexString `json:"id"`
		Name       flexString `json:"name"`
		FileType   flexString `json:"fileType"`
		URL        flexString `json:"url"`
		StorageKey flexString `json:"storageKey"`
		ByteLength flexInt    `json:"byteLength"`
	} `json:"files"`
	Links []struct {
		URL   flexString `json:"url"`
		Title flexString `json:"title"`
	} `json:"links"`
	Pictures []struct {
		URL        flexString `json:"url"`
		StorageKey flexString `json:"storageKey"`
	} `json:"pictures"`
	Error     flexString `json:"error"`
	Timestamp flexTime   `json:"timestamp"`
}

type cbPart struct {
	Type       flexString      `json:"type"`
	Text       flexString      `json:"text"`
	StorageKey flexString      `json:"storageKey"`
	URL        flexString      `json:"url"`
	ToolCallID flexString      `json:"toolCallId"`
	ToolName   flexString      `json:"toolName"`
	Args       json.RawMessage `json:"args"`
	Result     json.RawMessage `json:"result"`
	State      flexString      `json:"state"`
}

// parseChatbox walks the store's keys as a stream and yields each
// "session:" entry as it comes. Sessions only found in the older
// "chat-sessions" list are yielded at the end, unless a "session:" entry
// already had them or "chat-sessions-list" shows they were deleted since.
func parseChatbox(ctx context.Context, r io.Reader, e *env, out *sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := firstByte(br)
	if err != nil {
		return err
	}
	if first != '{' {
		return errors.New("a Chatbox backup is a JSON object")
	}
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil {
		return jsonError(err, dec)
	}
	var (
		index  int
		seen   = map[string]bool{}
		legacy []json.RawMessage
		live   map[string]bool
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err, dec)
		}
		key, _ := tok.(string)
		switch {
		case strings.HasPrefix(key, "session:"):
			var s cbSession
			err := dec.Decode(&s)
			if !emitChatbox(out, &s, err, strings.TrimPrefix(key, "session:"), index, seen) {
				return errStoppedOr(out, err, dec)
			}
			index++
		case key == "chat-sessions":
			if err := dec.Decode(&legacy); err != nil {
				if !isTypeError(err) {
					return fmt.Errorf("read chat-sessions: %w", jsonError(err, dec))
				}
				legacy = nil // not a list: nothing to recover from it
			}
		case key == "chat-sessions-list":
			var list []struct {
				ID flexString `json:"id"`
			}
			if err := dec.Decode(&list); err != nil {
				if !isTypeError(err) {
					return jsonError(err, dec)
				}
				continue
			}
			live = map[string]bool{}
			for _, s := range list {
				live[string(s.ID)] = true
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return jsonError(err, dec)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return jsonError(err, dec)
	}
	for _, raw := range legacy {
		var s cbSession
		err := json.Unmarshal(raw, &s)
		id := string(s.ID)
		if seen[id] || (live != nil && !live[id]) {
			continue
		}
		if !emitChatbox(out, &s, err, id, index, seen) {
			return nil
		}
		index++
	}
	return nil
}

func isTypeError(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te)
}

// errStoppedOr tells a stop by the consumer (nil: nothing more to say) from
// a decoding error that ended the stream.
func errStoppedOr(out *sink, err error, dec *json.Decoder) error {
	if out.stopped || err == nil || isTypeError(err) {
		return nil
	}
	return jsonError(err, dec)
}

// emitChatbox yields one session, or skips it when it did not decode;
// false means stop (the consumer stopped, or err ended the stream).
func emitChatbox(out *sink, s *cbSession, err error, id string, index int, seen map[string]bool) bool {
	if s.ID == "" {
		s.ID = flexString(id)
	}
	seen[string(s.ID)] = true
	if err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return false
		}
		return out.skip(index, string(s.ID), string(s.Name), typeError(te).Error())
	}
	return out.emit(chatboxDraft(s), index)
}

func chatboxDraft(s *cbSession) *draft {
	d := &draft{conv: Conversation{SourceID: string(s.ID), Title: string(s.Name)}, fallbackModel: string(s.Settings.ModelID)}
	expanded := map[string]bool{}
	// Earlier threads are separate contexts: each starts a root of its own,
	// so they sit beside the current thread as other branches.
	for _, t := range s.Threads {
		chatboxList(d, s, t.Messages, -1, expanded)
	}
	if tip := chatboxList(d, s, s.Messages, -1, expanded); tip >= 0 {
		d.leaf = d.nodes[tip].SourceID
	}
	return d
}

// chatboxList adds a list of messages as a chain under the node at index
// parent (-1: a root), then the other branches recorded after any of them,
// and returns the index of the chain's last message (parent if empty).
func chatboxList(d *draft, s *cbSession, msgs []cbMessage, parent int, expanded map[string]bool) int {
	type fork struct {
		id  string
		idx int
	}
	var forked []fork
	for i := range msgs {
		cm := &msgs[i]
		m := Message{SourceID: string(cm.ID), Model: string(cm.Model), CreatedAt: cm.Timestamp.Time, Error: string(cm.Error)}
		if m.SourceID == "" {
			m.SourceID = d.syntheticMessageID(len(d.nodes))
		}
		drop := false
		switch cm.Role {
		case "user":
			m.Role = RoleUser
		case "assistant":
			m.Role = RoleAssistant
		case "system":
			m.Role = RoleSystem
		case "tool":
			m.Role = RoleTool
		default:
			d.warnf("message %q has an unknown role %q; left out", m.SourceID, string(cm.Role))
			drop = true
		}
		if !drop {
			chatboxContent(&m, cm)
		}
		var n *draftNode
		n, parent = d.addAfter(m, parent)
		n.drop = drop
		if _, ok := s.Forks[m.SourceID]; ok && !expanded[m.SourceID] {
			expanded[m.SourceID] = true // a fork is followed once, even if the data loops
			forked = append(forked, fork{m.SourceID, parent})
		}
	}
	for _, f := range forked {
		entry := s.Forks[f.id]
		for li, l := range entry.Lists {
			if li == int(entry.Position) && len(l.Messages) == 0 {
				continue // the shown branch, which is the list above
			}
			chatboxList(d, s, l.Messages, f.idx, expanded)
		}
	}
	return parent
}

func chatboxContent(m *Message, cm *cbMessage) {
	var texts, thinking []string
	for _, p := range cm.ContentParts {
		switch p.Type {
		case "text":
			texts = append(texts, string(p.Text))
		case "reasoning":
			thinking = append(thinking, string(p.Text))
		case "image":
			key := string(p.StorageKey)
			m.Attachments = append(m.Attachments, AttachmentRef{Name: sanitizeName(key), SourceID: key, SourcePath: string(p.URL)})
		case "tool-call":
			m.ToolCalls = append(m.ToolCalls, ToolCall{
				ID: string(p.ToolCallID), Name: string(p.ToolName), Input: rawText(p.Args), Output: rawText(p.Result),
				IsError: p.State == "error",
			})
		}
		// "info" parts are app notices, not part of the chat.
	}
	m.Content = strings.TrimSpace(joinNonEmpty("\n", texts...))
	if m.Content == "" || m.Content == "..." {
		// Before contentParts, the text was "content" (the placeholder
		// "..." marks an answer still being written).
		m.Content = strings.TrimSpace(rawText(cm.Content))
	}
	m.Reasoning = strings.TrimSpace(joinNonEmpty("\n\n", append(thinking, string(cm.ReasoningContent))...))
	for _, p := range cm.Pictures {
		key := string(p.StorageKey)
		m.Attachments = append(m.Attachments, AttachmentRef{Name: sanitizeName(key), SourceID: key, SourcePath: string(p.URL)})
	}
	for _, f := range cm.Files {
		name := sanitizeName(string(f.Name))
		m.Attachments = append(m.Attachments, AttachmentRef{
			Name: name, MIME: firstText(string(f.FileType), mimeByName(name)), Size: int64(f.ByteLength),
			SourceID: string(firstNonEmpty(f.StorageKey, f.ID)), SourcePath: string(f.URL),
		})
	}
	for _, l := range cm.Links {
		m.Attachments = append(m.Attachments, AttachmentRef{Name: sanitizeName(string(firstNonEmpty(l.Title, l.URL))), SourcePath: string(l.URL)})
	}
}

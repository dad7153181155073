package importer

// LibreChat conversation export (a chat's Export → JSON): one object per
// file with "conversationId", "title", "options" (model, promptPrefix) and
// either "messages" (a flat list linked by parentMessageId; every branch
// when "branches" was ticked) or, with "recursive" ticked, a tree whose
// messages nest their replies in "children" (as "messagesTree", or under
// "messages" in older versions). Roots point to the nil id
// 00000000-0000-0000-0000-000000000000. Messages carry "text" or, from
// agents, "content" parts (text, think, tool_call, image_file, error).
// Based on danny-avila/LibreChat client/src/hooks/Conversations/
// useExportConversation.ts (exportJSON) and the reader of the same files,
// importLibreChatConvo in api/server/utils/import/importers.js, with its
// fixtures __data__/librechat-export.json and librechat-tree.json.

import (
	"context"
	"encoding/json"
	"io"
	"strings"
)

type lcConversation struct {
	ConversationID flexString `json:"conversationId"`
	Title          flexString `json:"title"`
	Model          flexString `json:"model"`
	PromptPrefix   flexString `json:"promptPrefix"`
	Options        struct {
		Model        flexString `json:"model"`
		PromptPrefix flexString `json:"promptPrefix"`
	} `json:"options"`
	Messages     []lcMessage `json:"messages"`
	MessagesTree []lcMessage `json:"messagesTree"`
}

type lcMessage struct {
	MessageID       flexString        `json:"messageId"`
	ParentMessageID flexString        `json:"parentMessageId"`
	Text            flexString        `json:"text"`
	Content         []json.RawMessage `json:"content"`
	IsCreatedByUser flexBool          `json:"isCreatedByUser"`
	Model           flexString        `json:"model"`
	CreatedAt       flexTime          `json:"createdAt"`
	Error           flexBool          `json:"error"`
	Files           []struct {
		FileID   flexString `json:"file_id"`
		Filename flexString `json:"filename"`
		Filepath flexString `json:"filepath"`
		Type     flexString `json:"type"`
		Bytes    flexInt    `json:"bytes"`
	} `json:"files"`
	Children []lcMessage `json:"children"`
}

// lcPart is one element of a message's content parts.
type lcPart struct {
	Type     flexString      `json:"type"`
	Text     json.RawMessage `json:"text"`
	Think    json.RawMessage `json:"think"`
	Error    json.RawMessage `json:"error"`
	ToolCall *struct {
		ID       flexString      `json:"id"`
		Name     flexString      `json:"name"`
		Args     json.RawMessage `json:"args"`
		Output   json.RawMessage `json:"output"`
		Function *struct {
			Name      flexString      `json:"name"`
			Arguments json.RawMessage `json:"arguments"`
			Output    json.RawMessage `json:"output"`
		} `json:"function"`
	} `json:"tool_call"`
	ImageFile *struct {
		FileID   flexString `json:"file_id"`
		Filepath flexString `json:"filepath"`
	} `json:"image_file"`
	ImageURL json.RawMessage `json:"image_url"`
}

// lcNilParent is LibreChat's Constants.NO_PARENT.
const lcNilParent = "00000000-0000-0000-0000-000000000000"

func parseLibreChat(ctx context.Context, r io.Reader, e *env, out *sink) error {
	s, err := newElementStream(r)
	if err != nil {
		return err
	}
	for i := 0; ; i++ {
		var c lcConversation
		ok, err := s.next(&c)
		if !ok {
			return err
		}
		if err != nil {
			if !out.skip(i, string(c.ConversationID), string(c.Title), err.Error()) {
				return nil
			}
			continue
		}
		if !out.emit(libreChatDraft(&c, e), i) {
			return nil
		}
	}
}

func libreChatDraft(c *lcConversation, e *env) *draft {
	d := &draft{conv: Conversation{
		SourceID:     string(c.ConversationID),
		Title:        string(c.Title),
		SystemPrompt: strings.TrimSpace(string(firstNonEmpty(c.Options.PromptPrefix, c.PromptPrefix))),
	}}
	d.fallbackModel = string(firstNonEmpty(c.Options.Model, c.Model))
	top := c.MessagesTree
	if len(top) == 0 {
		top = c.Messages
	}
	// Walk the nesting without recursion; a nested message's parent is the
	// message it is nested in, whatever its parentMessageId says.
	type item struct {
		m      *lcMessage
		parent string
		nested bool
	}
	stack := make([]item, 0, len(top))
	for i := len(top) - 1; i >= 0; i-- {
		stack = append(stack, item{m: &top[i]})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		lm := it.m
		m := Message{SourceID: string(lm.MessageID), ParentID: string(lm.ParentMessageID), Model: string(lm.Model), CreatedAt: lm.CreatedAt.Time}
		if it.nested {
			m.ParentID = it.parent
		}
		if m.ParentID == lcNilParent {
			m.ParentID = ""
		}
		if m.SourceID == "" {
			m.SourceID = d.syntheticMessageID(len(d.nodes))
		}
		m.Role = RoleAssistant
		if lm.IsCreatedByUser {
			m.Role = RoleUser
		}
		libreChatContent(&m, lm)
		d.add(m)
		for i := len(lm.Children) - 1; i >= 0; i-- {
			stack = append(stack, item{m: &lm.Children[i], parent: m.SourceID, nested: true})
		}
	}
	return d
}

func libreChatContent(m *Message, lm *lcMessage) {
	var texts, thinking []string
	for _, raw := range lm.Content {
		var p lcPart
		if json.Unmarshal(raw, &p) != nil {
			continue
		}
		switch p.Type {
		case "text":
			texts = append(texts, valueText(p.Text))
		case "think":
			thinking = append(thinking, valueText(p.Think))
		case "error":
			m.Error = joinNonEmpty("\n", m.Error, firstText(valueText(p.Error), valueText(p.Text)))
		case "tool_call":
			if tc := p.ToolCall; tc != nil {
				call := ToolCall{ID: string(tc.ID), Name: string(tc.Name), Input: rawText(tc.Args), Output: rawText(tc.Output)}
				if f := tc.Function; f != nil {
					call.Name = string(firstNonEmpty(flexString(call.Name), f.Name))
					call.Input = firstText(call.Input, rawText(f.Arguments))
					call.Output = firstText(call.Output, rawText(f.Output))
				}
				m.ToolCalls = append(m.ToolCalls, call)
			}
		case "image_file":
			if f := p.ImageFile; f != nil {
				m.Attachments = append(m.Attachments, AttachmentRef{
					Name: sanitizeName(string(firstNonEmpty(f.Filepath, f.FileID))), MIME: mimeByName(string(f.Filepath)),
					SourceID: string(f.FileID), SourcePath: string(f.Filepath),
				})
			}
		case "image_url":
			var u struct {
				URL flexString `json:"url"`
			}
			if json.Unmarshal(p.ImageURL, &u) != nil || u.URL == "" {
				json.Unmarshal(p.ImageURL, &u.URL)
			}
			if u.URL != "" {
				m.Attachments = append(m.Attachments, AttachmentRef{Name: "image", SourcePath: string(u.URL)})
			}
		default:
			if t := valueText(p.Text); t != "" {
				texts = append(texts, t)
			}
		}
	}
	m.Content = strings.TrimSpace(joinNonEmpty("\n\n", texts...))
	if m.Content == "" {
		m.Content = string(lm.Text)
	}
	m.Reasoning = strings.TrimSpace(joinNonEmpty("\n\n", thinking...))
	if lm.Error && m.Error == "" {
		// LibreChat stores the error text as the message text.
		m.Error, m.Content = m.Content, ""
		if m.Error == "" {
			m.Error = "error"
		}
	}
	for _, f := range lm.Files {
		name := sanitizeName(string(firstNonEmpty(f.Filename, f.Filepath, f.FileID)))
		mt := string(f.Type)
		if mt == "" {
			mt = mimeByName(name)
		}
		m.Attachments = append(m.Attachments, AttachmentRef{
			Name: name, MIME: mt, Size: int64(f.Bytes), SourceID: string(f.FileID), SourcePath: string(f.Filepath),
		})
	}
}

// valueText reads LibreChat's text values: a string, or {"value": "..."}.
func valueText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var v struct {
		Value flexString `json:"value"`
	}
	if json.Unmarshal(raw, &v) == nil {
		return string(v.Value)
	}
	return ""
}

func firstText(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

package importer

// ChatGPT data export (Settings → Data controls → Export data): a zip with
// conversations.json, a JSON array of conversations, each a tree of nodes
// in "mapping" with the shown branch ending at "current_node", and the
// uploaded and generated files named after their file ids. OpenAI publishes
// no schema; this parser follows the shapes that public importers read:
// LibreChat's api/server/utils/import/importers.js (processConversation,
// formatMessageText; fixtures in api/server/utils/import/__data__/
// chatgpt-*.json) and Open WebUI's convertOpenAIChats in
// src/lib/utils/index.ts.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

type cgConversation struct {
	ID             flexString        `json:"id"`
	ConversationID flexString        `json:"conversation_id"`
	Title          flexString        `json:"title"`
	CreateTime     flexTime          `json:"create_time"`
	UpdateTime     flexTime          `json:"update_time"`
	Mapping        map[string]cgNode `json:"mapping"`
	CurrentNode    flexString        `json:"current_node"`
	DefaultModel   flexString        `json:"default_model_slug"`
}

type cgNode struct {
	Message  *cgMessage   `json:"message"`
	Parent   flexString   `json:"parent"`
	Children []flexString `json:"children"`
}

type cgMessage struct {
	Author struct {
		Role flexString `json:"role"`
		Name flexString `json:"name"`
	} `json:"author"`
	CreateTime flexTime   `json:"create_time"`
	Content    cgContent  `json:"content"`
	Recipient  flexString `json:"recipient"`
	Metadata   cgMetadata `json:"metadata"`
}

type cgContent struct {
	ContentType      flexString    `json:"content_type"`
	Parts            []cgPartValue `json:"parts"`
	Text             flexString    `json:"text"`
	Language         flexString    `json:"language"`
	Result           flexString    `json:"result"`
	Summary          flexString    `json:"summary"`
	URL              flexString    `json:"url"`
	Title            flexString    `json:"title"`
	Name             flexString    `json:"name"`
	Content          flexString    `json:"content"`
	UserProfile      flexString    `json:"user_profile"`
	UserInstructions flexString    `json:"user_instructions"`
	Thoughts         []struct {
		Summary flexString `json:"summary"`
		Content flexString `json:"content"`
	} `json:"thoughts"`
}

type cgMetadata struct {
	Hidden            flexBool   `json:"is_visually_hidden_from_conversation"`
	UserSystemMessage flexBool   `json:"is_user_system_message"`
	ModelSlug         flexString `json:"model_slug"`
	UserContext       *struct {
		AboutUser  flexString `json:"about_user_message"`
		AboutModel flexString `json:"about_model_message"`
	} `json:"user_context_message_data"`
	Attachments []struct {
		ID       flexString `json:"id"`
		Name     flexString `json:"name"`
		Size     flexInt    `json:"size"`
		MimeType flexString `json:"mime_type"`
	} `json:"attachments"`
	ContentReferences []struct {
		MatchedText flexString `json:"matched_text"`
		Alt         flexString `json:"alt"`
	} `json:"content_references"`
}

// cgPartValue is one element of "parts": a string (most of them, read
// without a second pass) or an object kept raw for chatGPTPart.
type cgPartValue struct {
	text   string
	isText bool
	raw    json.RawMessage
}

func (p *cgPartValue) UnmarshalJSON(b []byte) error {
	if s, ok := jsonString(bytes.TrimSpace(b)); ok {
		p.text, p.isText = s, true
		return nil
	}
	p.raw = append(json.RawMessage(nil), b...)
	return nil
}

// cgPart is an object inside multimodal_text parts.
type cgPart struct {
	ContentType  flexString `json:"content_type"`
	AssetPointer flexString `json:"asset_pointer"`
	SizeBytes    flexInt    `json:"size_bytes"`
	Text         flexString `json:"text"`
	// real_time_user_audio_video_asset_pointer nests its pointers.
	Audio  *cgPart  `json:"audio_asset_pointer"`
	Video  *cgPart  `json:"video_container_asset_pointer"`
	Frames []cgPart `json:"frames_asset_pointers"`
}

func parseChatGPT(ctx context.Context, r io.Reader, e *env, out *sink) error {
	s, err := newElementStream(r)
	if err != nil {
		return err
	}
	for i := 0; ; i++ {
		var c cgConversation
		ok, err := s.next(&c)
		if !ok {
			return err
		}
		id := string(firstNonEmpty(c.ConversationID, c.ID))
		if err != nil {
			if !out.skip(i, id, string(c.Title), err.Error()) {
				return nil
			}
			continue
		}
		if len(c.Mapping) == 0 {
			if !out.skip(i, id, string(c.Title), `it has no "mapping" (no messages)`) {
				return nil
			}
			continue
		}
		if !out.emit(chatGPTDraft(&c, id, e), i) {
			return nil
		}
	}
}

func chatGPTDraft(c *cgConversation, id string, e *env) *draft {
	d := &draft{
		conv: Conversation{SourceID: id, Title: string(c.Title), CreatedAt: c.CreateTime.Time, UpdatedAt: c.UpdateTime.Time},
		leaf: string(c.CurrentNode),
	}
	if m := string(c.DefaultModel); m != "auto" {
		d.fallbackModel = m
	}
	unknownTypes := map[string]bool{}
	for _, key := range chatGPTOrder(c.Mapping) {
		node := c.Mapping[key]
		m := Message{SourceID: key, ParentID: string(node.Parent)}
		msg := node.Message
		if msg == nil { // the structural root
			d.add(m).drop = true
			continue
		}
		m.CreatedAt = msg.CreateTime.Time
		role := string(msg.Author.Role)
		ctype := string(msg.Content.ContentType)
		switch ctype {
		case "user_editable_context":
			// Custom instructions, as ChatGPT sends them before the chat.
			d.conv.SystemPrompt = joinNonEmpty("\n\n", d.conv.SystemPrompt,
				strings.TrimSpace(string(msg.Content.UserProfile)), strings.TrimSpace(string(msg.Content.UserInstructions)))
			d.add(m).drop = true
			continue
		case "model_editable_context", "reasoning_recap":
			// Memory the model keeps, and the "Thought for 12s" label.
			d.add(m).drop = true
			continue
		}
		if role == "system" && bool(msg.Metadata.UserSystemMessage) && msg.Metadata.UserContext != nil {
			// Older exports keep custom instructions in a system message.
			d.conv.SystemPrompt = joinNonEmpty("\n\n", d.conv.SystemPrompt,
				strings.TrimSpace(string(msg.Metadata.UserContext.AboutUser)), strings.TrimSpace(string(msg.Metadata.UserContext.AboutModel)))
			d.add(m).drop = true
			continue
		}
		if msg.Metadata.Hidden {
			d.add(m).drop = true
			continue
		}
		switch role {
		case "user":
			m.Role = RoleUser
		case "assistant":
			m.Role = RoleAssistant
			m.Model = string(msg.Metadata.ModelSlug)
		case "system":
			m.Role = RoleSystem
		case "tool":
			m.Role = RoleTool
			m.Name = string(msg.Author.Name)
		default:
			d.warnf("message %q has an unknown author %q; left out", key, role)
			d.add(m).drop = true
			continue
		}
		n := d.add(m)
		chatGPTContent(&n.Message, msg, e, unknownTypes)
		if ctype == "thoughts" {
			n.mergeDown = true
		}
		if to := string(msg.Recipient); m.Role == RoleAssistant && to != "" && to != "all" {
			// A message addressed to a tool (code for python, a search
			// for web.run) is the model calling it: ChatGPT shows it as
			// a tool step, not as an answer. The tool's reply follows as
			// a tool message of its own.
			input := n.Content
			if ctype == "code" {
				input = string(msg.Content.Text)
			}
			n.ToolCalls = append(n.ToolCalls, ToolCall{Name: to, Input: input})
			n.Content = ""
		}
	}
	if len(unknownTypes) > 0 {
		types := make([]string, 0, len(unknownTypes))
		for t := range unknownTypes {
			types = append(types, t)
		}
		sort.Strings(types)
		d.warnf("content of unknown types (%s) was imported as far as it had text", strings.Join(types, ", "))
	}
	return d
}

// chatGPTOrder lists the mapping's keys parents first, siblings in the
// order of their parent's "children", so the import does not depend on Go's
// map order. Nodes no root reaches (cycles, broken links) come last.
func chatGPTOrder(mapping map[string]cgNode) []string {
	keys := make([]string, 0, len(mapping))
	for k := range mapping {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return sourceOrder(keys,
		func(k string) bool {
			p := string(mapping[k].Parent)
			_, known := mapping[p]
			return p == "" || p == k || !known
		},
		func(k string) []flexString { return mapping[k].Children },
		func(k string) (string, bool) { n, ok := mapping[k]; return string(n.Parent), ok })
}

// chatGPTContent renders a message's content into m.
func chatGPTContent(m *Message, msg *cgMessage, e *env, unknown map[string]bool) {
	// Uploads first: their entries carry the name and type that image
	// parts referring to the same file lack.
	for _, a := range msg.Metadata.Attachments {
		ref := AttachmentRef{Name: sanitizeName(string(a.Name)), MIME: string(a.MimeType), Size: int64(a.Size), SourceID: string(a.ID)}
		addChatGPTFile(m, ref, e)
	}
	c := &msg.Content
	switch ctype := string(c.ContentType); ctype {
	case "text":
		m.Content = strings.Join(stringParts(c.Parts), "\n")
		if m.Role == RoleAssistant {
			m.Content = resolveCitations(m.Content, msg)
		}
	case "multimodal_text":
		var texts []string
		for _, part := range c.Parts {
			if part.isText {
				texts = append(texts, part.text)
				continue
			}
			var p cgPart
			if json.Unmarshal(part.raw, &p) != nil {
				continue
			}
			texts = append(texts, chatGPTPart(m, &p, e)...)
		}
		m.Content = strings.Join(texts, "\n")
	case "code":
		lang := string(c.Language)
		if lang == "unknown" {
			lang = ""
		}
		m.Content = fence(lang, string(c.Text))
	case "execution_output":
		m.Content = fence("", string(c.Text))
	case "tether_quote":
		m.Content = string(c.Text)
		if u := string(c.URL); u != "" {
			m.Content = joinNonEmpty("\n\n", m.Content, fmt.Sprintf("Source: [%s](%s)", firstNonEmpty(c.Title, c.URL), u))
		}
	case "tether_browsing_display":
		m.Content = string(firstNonEmpty(c.Result, c.Summary))
	case "system_error":
		m.Error = joinNonEmpty(": ", string(c.Name), string(c.Text))
	case "thoughts":
		var parts []string
		for _, t := range c.Thoughts {
			parts = append(parts, joinNonEmpty("\n\n", strings.TrimSpace(string(t.Summary)), strings.TrimSpace(string(t.Content))))
		}
		m.Reasoning = joinNonEmpty("\n\n", parts...)
	default:
		m.Content = joinNonEmpty("\n", strings.Join(stringParts(c.Parts), "\n"), string(c.Text))
		if ctype != "" {
			unknown[ctype] = true
		}
	}
}

// chatGPTPart handles one non-text part of multimodal content and returns
// any text it carries.
func chatGPTPart(m *Message, p *cgPart, e *env) []string {
	switch string(p.ContentType) {
	case "image_asset_pointer", "audio_asset_pointer", "video_container_asset_pointer":
		id := assetID(string(p.AssetPointer))
		if id == "" {
			return nil
		}
		addChatGPTFile(m, AttachmentRef{SourceID: id, Size: int64(p.SizeBytes)}, e)
	case "audio_transcription":
		return []string{string(p.Text)}
	case "real_time_user_audio_video_asset_pointer":
		var texts []string
		for _, q := range append([]*cgPart{p.Audio, p.Video}, framePtrs(p.Frames)...) {
			if q != nil {
				texts = append(texts, chatGPTPart(m, q, e)...)
			}
		}
		return texts
	default:
		if t := string(p.Text); t != "" {
			return []string{t}
		}
	}
	return nil
}

func framePtrs(f []cgPart) []*cgPart {
	out := make([]*cgPart, len(f))
	for i := range f {
		out[i] = &f[i]
	}
	return out
}

// assetID turns "file-service://file-abc" or "sediment://file_123" into the
// file id the export names the file by.
func assetID(pointer string) string {
	if _, rest, ok := strings.Cut(pointer, "://"); ok {
		pointer = rest
	}
	if i := strings.IndexAny(pointer, "/?#"); i >= 0 {
		pointer = pointer[:i]
	}
	return pointer
}

// addChatGPTFile adds a file reference, merging it with one of the same id
// (an uploaded image is both in metadata.attachments and in the parts), and
// finds its bytes in the zip by id.
func addChatGPTFile(m *Message, ref AttachmentRef, e *env) {
	for i := range m.Attachments {
		a := &m.Attachments[i]
		if ref.SourceID != "" && a.SourceID == ref.SourceID {
			if a.Name == "" {
				a.Name = ref.Name
			}
			if a.MIME == "" {
				a.MIME = ref.MIME
			}
			if a.Size <= 0 {
				a.Size = ref.Size
			}
			return
		}
	}
	if e.zip != nil && ref.SourceID != "" {
		if f, ok := e.zip.byFileID[ref.SourceID]; ok {
			if ref.Name == "" {
				// The export names files "<id>-<original name>".
				base := sanitizeName(f.Name)
				ref.Name = strings.TrimPrefix(strings.TrimPrefix(base, ref.SourceID), "-")
			}
			ref = fromZip(ref, e.zip, f)
		}
	}
	if ref.Name == "" {
		ref.Name = ref.SourceID
	}
	m.Attachments = append(m.Attachments, ref)
}

func stringParts(parts []cgPartValue) []string {
	var out []string
	for _, p := range parts {
		if p.isText {
			out = append(out, p.text)
		}
	}
	return out
}

// citationMarker matches what is left of a citation ChatGPT could not
// resolve: private-use brackets around a reference like "turn0search3".
var citationMarker = regexp.MustCompile("\ue200[^\ue201]*\ue201")

// resolveCitations replaces ChatGPT's citation markers with the markdown
// the app shows for them ("alt"), and drops markers it cannot resolve. Only
// references whose matched text is such a marker (private-use brackets,
// U+E200…U+E201) are applied, so one matching ordinary words never rewrites
// the message.
func resolveCitations(text string, msg *cgMessage) string {
	const open = "\ue200"
	if !strings.Contains(text, open) {
		return text
	}
	for _, ref := range msg.Metadata.ContentReferences {
		if matched := string(ref.MatchedText); strings.Contains(matched, open) {
			text = strings.Replace(text, matched, string(ref.Alt), 1)
		}
	}
	return citationMarker.ReplaceAllString(text, "")
}

// fence wraps code in a markdown code block long enough not to be closed
// by the code itself.
func fence(lang, code string) string {
	longest, run := 0, 0
	for i := 0; i < len(code); i++ {
		if code[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	ticks := strings.Repeat("`", max(3, longest+1))
	return ticks + lang + "\n" + strings.TrimRight(code, "\n") + "\n" + ticks
}

func firstNonEmpty(vals ...flexString) flexString {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

package export

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// FormatName marks a JSON document as a Holdfast chat export.
const FormatName = "holdfast.chat"

// FormatVersion is the version of the JSON document this build writes.
// Bump it when a field changes meaning or disappears; adding a field a
// reader may ignore does not need a bump. Version 2 made chats trees:
// every branch is written, each message with its parent.
const FormatVersion = 2

// The JSON document has its own field list rather than reusing the store's
// struct tags, so a change inside the store cannot silently change a file
// format people keep. Every field is always written (no omitempty): an
// importer never has to guess what a missing key meant.
type jsonDoc struct {
	Format        string        `json:"format"`
	FormatVersion int           `json:"format_version"`
	AppVersion    string        `json:"app_version"`
	Session       jsonSession   `json:"session"`
	Messages      []jsonMessage `json:"messages"`
}

type jsonSession struct {
	ID            string            `json:"id"`
	Title         string            `json:"title"`
	TitleSource   store.TitleSource `json:"title_source"`
	Model         string            `json:"model"`
	SystemPrompt  string            `json:"system_prompt"`
	Settings      jsonSettings      `json:"settings"`
	Pinned        bool              `json:"pinned"`
	Archived      bool              `json:"archived"`
	CurrentLeafID *string           `json:"current_leaf_id"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
	LastActivity  time.Time         `json:"last_activity_at"`
	MessageCount  int               `json:"message_count"`
}

// jsonSettings are a chat's generation settings; null means the
// provider's default.
type jsonSettings struct {
	Temperature *float64 `json:"temperature"`
	TopP        *float64 `json:"top_p"`
	MaxTokens   *int     `json:"max_tokens"`
}

type jsonUsage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

type jsonMessage struct {
	ID        string  `json:"id"`
	SessionID string  `json:"session_id"`
	ParentID  *string `json:"parent_id"`
	// OnPath: the message is on the path the chat shows.
	OnPath bool `json:"on_path"`
	// SelectedChildID: the branch shown under this message when it is not
	// the default one (null: the default).
	SelectedChildID *string      `json:"selected_child_id"`
	Role            store.Role   `json:"role"`
	Content         string       `json:"content"`
	Status          store.Status `json:"status"`
	Error           string       `json:"error"`
	Model           string       `json:"model"`
	ClientID        string       `json:"client_id"`
	Chunks          int          `json:"chunks"`
	Usage           *jsonUsage   `json:"usage"`
	// Attachments are references; path is where the file's copy is,
	// relative to the export (written by WriteFiles).
	Attachments []jsonAttachment `json:"attachments"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
	// The model's reasoning: its text, chunk count, when it began and
	// how long it lasted, and the signature that closed it (Anthropic
	// needs it to take the reasoning back when an answer is continued).
	Reasoning          string     `json:"reasoning,omitempty"`
	ReasoningChunks    int        `json:"reasoning_chunks,omitempty"`
	ReasoningStartedAt *time.Time `json:"reasoning_started_at,omitempty"`
	ReasoningMS        *int64     `json:"reasoning_ms,omitempty"`
	ReasoningSignature string     `json:"reasoning_signature,omitempty"`
	ReasoningSigned    bool       `json:"reasoning_signed,omitempty"`
	// Why the model stopped, and the class of a failure.
	FinishReason string `json:"finish_reason,omitempty"`
	ErrorKind    string `json:"error_kind,omitempty"`
}

type jsonAttachment struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	MIME   string `json:"mime"`
	Kind   string `json:"kind"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Path   string `json:"path"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func toDoc(c Chat) jsonDoc {
	s := c.Session
	d := jsonDoc{
		Format:        FormatName,
		FormatVersion: FormatVersion,
		AppVersion:    c.AppVersion,
		Session: jsonSession{
			ID: s.ID, Title: s.Title, TitleSource: s.TitleSource, Model: s.Model, SystemPrompt: s.SystemPrompt,
			Settings: jsonSettings{Temperature: s.Temperature, TopP: s.TopP, MaxTokens: s.MaxTokens},
			Pinned:   s.Pinned, Archived: s.Archived, CurrentLeafID: optional(string(s.CurrentLeafID)),
			CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(), LastActivity: s.LastActivityAt.UTC(), MessageCount: s.MessageCount,
		},
		Messages: make([]jsonMessage, len(c.Messages)),
	}
	onPath := map[string]bool{}
	for _, m := range c.Path() {
		onPath[m.ID] = true
	}
	for i, m := range c.Messages {
		jm := jsonMessage{
			ID: m.ID, SessionID: m.SessionID, ParentID: optional(string(m.ParentID)), OnPath: onPath[m.ID],
			SelectedChildID: optional(m.SelectedChildID), Role: m.Role, Content: m.Content,
			Status: m.Status, Error: m.Error, Model: m.Model, ClientID: m.ClientID,
			Chunks: m.Chunks, CreatedAt: m.CreatedAt.UTC(), UpdatedAt: m.UpdatedAt.UTC(),
			Reasoning: m.Reasoning, ReasoningChunks: m.ReasoningChunks, ReasoningMS: m.ReasoningMS,
			ReasoningSignature: m.ReasoningSignature, ReasoningSigned: m.ReasoningSigned,
			FinishReason: m.FinishReason, ErrorKind: m.ErrorKind,
		}
		if m.ReasoningStartedAt != nil {
			t := m.ReasoningStartedAt.UTC()
			jm.ReasoningStartedAt = &t
		}
		if m.Usage != nil {
			jm.Usage = &jsonUsage{InputTokens: m.Usage.InputTokens, OutputTokens: m.Usage.OutputTokens}
		}
		jm.Attachments = make([]jsonAttachment, len(m.Attachments))
		for j, a := range m.Attachments {
			jm.Attachments[j] = jsonAttachment{ID: a.ID, Name: a.Name, Size: a.Size, MIME: a.MIME, Kind: a.Kind,
				Width: a.Width, Height: a.Height, Path: c.attachmentLink(a)}
		}
		d.Messages[i] = jm
	}
	return d
}

// fromDoc turns a checked document into a Chat. A version 1 document is
// one linear path: each message follows the one before it.
func fromDoc(d jsonDoc) Chat {
	js := d.Session
	c := Chat{
		Session: store.Session{
			ID: js.ID, Title: js.Title, TitleSource: js.TitleSource, Model: js.Model, SystemPrompt: js.SystemPrompt,
			Settings: store.Settings{Temperature: js.Settings.Temperature, TopP: js.Settings.TopP, MaxTokens: js.Settings.MaxTokens},
			Pinned:   js.Pinned, Archived: js.Archived, CurrentLeafID: store.Ref(deref(js.CurrentLeafID)),
			CreatedAt: js.CreatedAt, UpdatedAt: js.UpdatedAt, LastActivityAt: js.LastActivity, MessageCount: js.MessageCount,
		},
		Messages:   make([]store.Message, len(d.Messages)),
		AppVersion: d.AppVersion,
	}
	depth := map[string]int{}
	for i, jm := range d.Messages {
		m := store.Message{
			ID: jm.ID, SessionID: jm.SessionID, ParentID: store.Ref(deref(jm.ParentID)), SelectedChildID: deref(jm.SelectedChildID),
			Role: jm.Role, Content: jm.Content, Status: jm.Status, Error: jm.Error, Model: jm.Model, ClientID: jm.ClientID,
			Chunks: jm.Chunks, CreatedAt: jm.CreatedAt, UpdatedAt: jm.UpdatedAt,
			Reasoning: jm.Reasoning, ReasoningChunks: jm.ReasoningChunks, ReasoningStartedAt: jm.ReasoningStartedAt,
			ReasoningMS: jm.ReasoningMS, ReasoningSignature: jm.ReasoningSignature, ReasoningSigned: jm.ReasoningSigned,
			FinishReason: jm.FinishReason, ErrorKind: jm.ErrorKind,
		}
		if d.FormatVersion == 1 && i > 0 {
			m.ParentID = store.Ref(d.Messages[i-1].ID)
		}
		if m.ParentID != "" {
			m.Depth = depth[string(m.ParentID)] + 1
		}
		depth[m.ID] = m.Depth
		if jm.Usage != nil {
			m.Usage = &store.Usage{InputTokens: jm.Usage.InputTokens, OutputTokens: jm.Usage.OutputTokens}
		}
		for _, a := range jm.Attachments {
			m.Attachments = append(m.Attachments, store.Attachment{ID: a.ID, Name: a.Name, Size: a.Size, MIME: a.MIME,
				Kind: a.Kind, Width: a.Width, Height: a.Height})
			if a.Path != "" {
				if c.FilePaths == nil {
					c.FilePaths = map[string]string{}
				}
				c.FilePaths[a.ID] = a.Path
			}
		}
		c.Messages[i] = m
	}
	if d.FormatVersion == 1 {
		if c.Session.TitleSource == "" {
			c.Session.TitleSource = store.TitleAuto
		}
		if c.Session.LastActivityAt.IsZero() {
			c.Session.LastActivityAt = c.Session.UpdatedAt
		}
		if n := len(c.Messages); n > 0 {
			c.Session.CurrentLeafID = store.Ref(c.Messages[n-1].ID)
		}
	}
	return c
}

// writeJSON writes the chat as one JSON document: indented for a .json
// file, or compact on a single line (JSON Lines).
func writeJSON(w io.Writer, c Chat, indent bool) error {
	enc := json.NewEncoder(w)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(toDoc(c)); err != nil {
		return fmt.Errorf("encode chat %s as JSON: %w", c.Session.ID, err)
	}
	return nil
}

// Decode reads one chat written by the JSON or JSON Lines writer. It
// refuses documents that are not Holdfast chat exports, are from a newer
// format version, or are inconsistent (a message of another session, a
// missing id), saying which.
func Decode(r io.Reader) (Chat, error) {
	dec := json.NewDecoder(r)
	c, err := decodeOne(dec)
	if err != nil {
		return Chat{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Chat{}, errors.New("decode chat export: unexpected data after the document")
	}
	return c, nil
}

// DecodeLines reads a JSON Lines export, calling fn for each chat in
// order. A bad line stops the read with an error naming the line.
func DecodeLines(r io.Reader, fn func(Chat) error) error {
	sc := bufio.NewScanner(r)
	// One line holds a whole chat; allow big ones.
	sc.Buffer(make([]byte, 0, 64*1024), 1<<30)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		c, err := Decode(bytes.NewReader(line))
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read JSON Lines export: %w", err)
	}
	return nil
}

func decodeOne(dec *json.Decoder) (Chat, error) {
	var d jsonDoc
	if err := dec.Decode(&d); err != nil {
		return Chat{}, fmt.Errorf("decode chat export: %w", err)
	}
	if d.Format != FormatName {
		return Chat{}, fmt.Errorf("decode chat export: not a Holdfast chat export (format %q, want %q)", d.Format, FormatName)
	}
	if d.FormatVersion < 1 || d.FormatVersion > FormatVersion {
		return Chat{}, fmt.Errorf("decode chat export: format_version %d is not supported by this build (it reads 1 to %d)", d.FormatVersion, FormatVersion)
	}
	if d.Session.ID == "" {
		return Chat{}, errors.New("decode chat export: session has no id")
	}
	seen := map[string]bool{}
	children := map[string]bool{} // "parent\x00child"
	for i, m := range d.Messages {
		switch {
		case m.ID == "":
			return Chat{}, fmt.Errorf("decode chat export: message %d has no id", i)
		case seen[m.ID]:
			return Chat{}, fmt.Errorf("decode chat export: message %s appears twice", m.ID)
		case m.SessionID != d.Session.ID:
			return Chat{}, fmt.Errorf("decode chat export: message %s belongs to session %q, not %q", m.ID, m.SessionID, d.Session.ID)
		case d.FormatVersion >= 2 && m.ParentID != nil && !seen[*m.ParentID]:
			// Parents come first, so the tree has no cycles.
			return Chat{}, fmt.Errorf("decode chat export: message %s follows %q, which is not an earlier message of the chat", m.ID, *m.ParentID)
		}
		seen[m.ID] = true
		if m.ParentID != nil {
			children[*m.ParentID+"\x00"+m.ID] = true
		}
	}
	for _, m := range d.Messages {
		if m.SelectedChildID != nil && !children[m.ID+"\x00"+*m.SelectedChildID] {
			return Chat{}, fmt.Errorf("decode chat export: message %s selects %q, which is not one of its answers", m.ID, *m.SelectedChildID)
		}
	}
	if leaf := d.Session.CurrentLeafID; d.FormatVersion >= 2 && leaf != nil && !seen[*leaf] {
		return Chat{}, fmt.Errorf("decode chat export: current_leaf_id %q is not a message of the chat", *leaf)
	}
	return fromDoc(d), nil
}

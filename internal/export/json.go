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
// reader may ignore does not need a bump.
const FormatVersion = 1

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
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	Model        string    `json:"model"`
	SystemPrompt string    `json:"system_prompt"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	MessageCount int       `json:"message_count"`
}

type jsonUsage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

type jsonMessage struct {
	ID        string       `json:"id"`
	SessionID string       `json:"session_id"`
	Role      store.Role   `json:"role"`
	Content   string       `json:"content"`
	Status    store.Status `json:"status"`
	Error     string       `json:"error"`
	Model     string       `json:"model"`
	ClientID  string       `json:"client_id"`
	Chunks    int          `json:"chunks"`
	Usage     *jsonUsage   `json:"usage"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
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

func toDoc(c Chat) jsonDoc {
	s := c.Session
	d := jsonDoc{
		Format:        FormatName,
		FormatVersion: FormatVersion,
		AppVersion:    c.AppVersion,
		Session: jsonSession{
			ID: s.ID, Title: s.Title, Model: s.Model, SystemPrompt: s.SystemPrompt,
			CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(), MessageCount: s.MessageCount,
		},
		Messages: make([]jsonMessage, len(c.Messages)),
	}
	for i, m := range c.Messages {
		jm := jsonMessage{
			ID: m.ID, SessionID: m.SessionID, Role: m.Role, Content: m.Content,
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
		d.Messages[i] = jm
	}
	return d
}

func fromDoc(d jsonDoc) Chat {
	js := d.Session
	c := Chat{
		Session: store.Session{
			ID: js.ID, Title: js.Title, Model: js.Model, SystemPrompt: js.SystemPrompt,
			CreatedAt: js.CreatedAt, UpdatedAt: js.UpdatedAt, MessageCount: js.MessageCount,
		},
		Messages:   make([]store.Message, len(d.Messages)),
		AppVersion: d.AppVersion,
	}
	for i, jm := range d.Messages {
		m := store.Message{
			ID: jm.ID, SessionID: jm.SessionID, Role: jm.Role, Content: jm.Content,
			Status: jm.Status, Error: jm.Error, Model: jm.Model, ClientID: jm.ClientID,
			Chunks: jm.Chunks, CreatedAt: jm.CreatedAt, UpdatedAt: jm.UpdatedAt,
			Reasoning: jm.Reasoning, ReasoningChunks: jm.ReasoningChunks, ReasoningStartedAt: jm.ReasoningStartedAt,
			ReasoningMS: jm.ReasoningMS, ReasoningSignature: jm.ReasoningSignature, ReasoningSigned: jm.ReasoningSigned,
			FinishReason: jm.FinishReason, ErrorKind: jm.ErrorKind,
		}
		if jm.Usage != nil {
			m.Usage = &store.Usage{InputTokens: jm.Usage.InputTokens, OutputTokens: jm.Usage.OutputTokens}
		}
		c.Messages[i] = m
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
	for i, m := range d.Messages {
		switch {
		case m.ID == "":
			return Chat{}, fmt.Errorf("decode chat export: message %d has no id", i)
		case m.SessionID != d.Session.ID:
			return Chat{}, fmt.Errorf("decode chat export: message %s belongs to session %q, not %q", m.ID, m.SessionID, d.Session.ID)
		}
	}
	return fromDoc(d), nil
}

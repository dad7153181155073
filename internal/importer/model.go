package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

// Role is a message author normalised across sources.
type Role string

// The roles a parser may produce. Every source's author names are mapped onto
// these four; a message whose author is none of them is dropped with a
// warning rather than guessed at.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleSystem    Role = "system"
	RoleTool      Role = "tool"
)

// Conversation is one chat read from another app, in a neutral shape.
//
// Messages form a tree through ParentID, also for sources that only know a
// linear list, and are ordered so that every parent comes before its
// children. CurrentLeafID names the message the source app shows at the end
// of the conversation; CurrentPath walks from the root to it.
type Conversation struct {
	Source        Format
	SourceID      string
	Title         string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Model         string
	SystemPrompt  string
	Messages      []Message
	CurrentLeafID string
	// Warnings lists what was repaired or left out of this conversation
	// (a broken cycle, a dangling parent, an unknown content type), in words
	// fit for an import summary. Expected omissions, like ChatGPT's hidden
	// system messages, are not warnings.
	Warnings []string
}

// Message is one turn of a conversation.
type Message struct {
	SourceID string
	// ParentID is the SourceID of the message this one answers or follows,
	// "" for a root.
	ParentID string
	Role     Role
	// Name is the author's name where the source has one that matters:
	// the tool that produced a tool message.
	Name      string
	Content   string
	Reasoning string
	Model     string
	CreatedAt time.Time
	// Error is the source's error text for an answer that failed.
	Error       string
	Attachments []AttachmentRef
	ToolCalls   []ToolCall
}

// ToolCall is a tool use recorded inside a message (Claude's tool_use and
// tool_result blocks, Open WebUI's tool call details, Chatbox's tool-call
// parts). Sources that store tool results as messages of their own (ChatGPT)
// produce RoleTool messages instead.
type ToolCall struct {
	ID      string
	Name    string
	Input   string
	Output  string
	IsError bool
}

// AttachmentRef is a file a message referred to. The file's bytes are
// available when the source carried them (inside the export zip, or inline
// as a data: URL); otherwise only the reference is known.
type AttachmentRef struct {
	// Name is a display name with every directory part removed: it is never
	// a path and must not be used as one.
	Name string
	MIME string
	// Size is the size in bytes the source reported (or the size of Data);
	// 0 when unknown.
	Size int64
	// SourceID is the source's id for the file (a ChatGPT file id, a Cherry
	// Studio file id, a Chatbox storage key).
	SourceID string
	// SourcePath is where the source said the file lives: a member of the
	// export zip, a URL, or a path on the exporting machine. Informational.
	SourcePath string
	// Text is text the source extracted from the file (Claude keeps the text
	// of uploaded documents), "" when there is none.
	Text string
	// Data holds the bytes when the source had them inline.
	Data []byte

	open func() (io.ReadCloser, error)
}

// ErrNoData is returned by AttachmentRef.Open when the source only referred
// to the file.
var ErrNoData = errors.New("attachment data not in the export")

// HasData reports whether the attachment's bytes can be read with Open.
func (a AttachmentRef) HasData() bool { return a.Data != nil || a.open != nil }

// Open returns the attachment's bytes. A file inside an export zip is read
// lazily from the zip, so the Source it came from must still be open.
func (a AttachmentRef) Open() (io.ReadCloser, error) {
	switch {
	case a.Data != nil:
		return io.NopCloser(bytes.NewReader(a.Data)), nil
	case a.open != nil:
		return a.open()
	default:
		return nil, ErrNoData
	}
}

// CurrentPath returns the messages from the root to CurrentLeafID, the
// branch the source app shows.
func (c *Conversation) CurrentPath() []Message {
	idx := make(map[string]int, len(c.Messages))
	for i, m := range c.Messages {
		idx[m.SourceID] = i
	}
	var path []Message
	seen := make(map[string]bool)
	for id := c.CurrentLeafID; id != "" && !seen[id]; {
		i, ok := idx[id]
		if !ok {
			break
		}
		seen[id] = true
		path = append(path, c.Messages[i])
		id = c.Messages[i].ParentID
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

// SkippedError reports one conversation that could not be read. Iteration
// goes on after it: the other conversations are not affected.
type SkippedError struct {
	// Index is the conversation's position in the file, from 0.
	Index    int
	SourceID string
	Title    string
	Reason   string
}

func (e *SkippedError) Error() string {
	name := e.Title
	if name == "" {
		name = e.SourceID
	}
	if name == "" {
		return fmt.Sprintf("conversation #%d skipped: %s", e.Index+1, e.Reason)
	}
	return fmt.Sprintf("conversation #%d (%q) skipped: %s", e.Index+1, name, e.Reason)
}

// IsSkipped reports whether err only skipped one conversation, as opposed to
// an error that ends the import.
func IsSkipped(err error) bool {
	var s *SkippedError
	return errors.As(err, &s)
}

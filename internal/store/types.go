package store

import (
	"encoding/json"
	"time"
)

// Role says who wrote a message.
type Role string

// Message roles.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleSystem    Role = "system"
)

// Status is where a message is in its life. A user message is always
// StatusComplete; an assistant message starts StatusStreaming (or
// StatusQueued, while another answer of its chat is generating) and ends
// in one of the other states.
type Status string

// Message statuses.
const (
	StatusStreaming   Status = "streaming"
	StatusQueued      Status = "queued" // waits for the chat's current answer to end
	StatusComplete    Status = "complete"
	StatusFailed      Status = "failed"
	StatusStopped     Status = "stopped"
	StatusInterrupted Status = "interrupted"
)

// TitleSource says where a session's title came from.
type TitleSource string

// Title sources. A generated title never replaces a user's; a user's
// rename replaces anything.
const (
	TitleAuto      TitleSource = "auto"      // "New chat" or the first words of the first message
	TitleGenerated TitleSource = "generated" // named by the chat's model after its first answer
	TitleUser      TitleSource = "user"      // renamed by the user
)

// Ref is an optional id: "" is written as JSON null, and null reads as "".
type Ref string

// MarshalJSON writes "" as null.
func (r Ref) MarshalJSON() ([]byte, error) {
	if r == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(r))
}

// UnmarshalJSON reads null as "".
func (r *Ref) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*r = ""
	if s != nil {
		*r = Ref(*s)
	}
	return nil
}

// Settings are a chat's own generation parameters; nil means the
// provider's default.
type Settings struct {
	Temperature *float64 `json:"temperature"`
	TopP        *float64 `json:"top_p"`
	MaxTokens   *int     `json:"max_tokens"`
}

// Session is one chat.
type Session struct {
	ID           string      `json:"id"`
	Title        string      `json:"title"`
	TitleSource  TitleSource `json:"title_source"`
	Model        string      `json:"model"`
	SystemPrompt string      `json:"system_prompt"`
	Settings
	Pinned   bool `json:"pinned"`
	Archived bool `json:"archived"`
	// CurrentLeafID is the last message of the path the chat shows.
	CurrentLeafID  Ref       `json:"current_leaf_id"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	LastActivityAt time.Time `json:"last_activity_at"`
	// MessageCount counts every message of every branch; kept by the
	// database, never written by callers.
	MessageCount int `json:"message_count"`
}

// Usage is the token accounting a provider reported for one answer.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// Message is one turn of a chat. Content of an assistant message grows
// while it streams; Chunks counts the deltas folded into Content so a
// continuation numbers its deltas after them.
type Message struct {
	ID        string `json:"id"`
	SessionID string `json:"session_id"`
	Role      Role   `json:"role"`
	// ParentID is the message this one follows ("" for a first message).
	ParentID Ref `json:"parent_id"`
	// Depth is the message's place on its path, 0 for a first message.
	// The store sets it from the parent.
	Depth int `json:"depth"`
	// Siblings are the ids of the messages with the same parent, this one
	// included, oldest first; SiblingIndex is this one's place among them.
	// Filled by snapshot reads only (nil: not read).
	Siblings     []string `json:"siblings,omitempty"`
	SiblingIndex *int     `json:"sibling_index,omitempty"`
	Content      string   `json:"content"`
	Status       Status   `json:"status"`
	Error        string   `json:"error,omitempty"`
	Model        string   `json:"model,omitempty"`
	ClientID     string   `json:"client_id,omitempty"`
	Chunks       int      `json:"chunks"`
	Usage        *Usage   `json:"usage,omitempty"`
	// Attachments are the files a user message carries, in order.
	Attachments []Attachment `json:"attachments,omitempty"`
	// SelectedChildID is the child the chat shows under this message when
	// that is not the default one (the first child still there); "" for
	// the default. Kept by the store; exported, not sent to clients.
	SelectedChildID string `json:"-"`

	// Reasoning is the model's thinking, streamed like Content;
	// ReasoningChunks counts the message.reasoning events folded into it.
	Reasoning       string `json:"reasoning,omitempty"`
	ReasoningChunks int    `json:"reasoning_chunks,omitempty"`
	// ReasoningStartedAt is when the first reasoning arrived;
	// ReasoningMS how long the model reasoned in all (set when its
	// reasoning ended: the answer's text began, or the answer ended).
	ReasoningStartedAt *time.Time `json:"reasoning_started_at,omitempty"`
	ReasoningMS        *int64     `json:"reasoning_ms,omitempty"`
	// ReasoningSignature closes an Anthropic thinking block, which must
	// go back with it to be accepted; ReasoningSigned says one came (an
	// empty one from llama.cpp included). Not shown to clients.
	ReasoningSignature string `json:"-"`
	ReasoningSigned    bool   `json:"-"`
	// FinishReason is why the model stopped: "stop", "length",
	// "content_filter", "tool_calls", or the provider's own word.
	FinishReason string `json:"finish_reason,omitempty"`
	// ErrorKind classifies Error (llm.ErrorKind: "auth", "transient",
	// "timeout", "truncated", "request", "upstream", "new_turn").
	ErrorKind string `json:"error_kind,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	n, chain int64 // the row key and the message's chain (see the 0002 migration)
}

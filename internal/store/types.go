package store

import "time"

// Role says who wrote a message.
type Role string

// Message roles.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleSystem    Role = "system"
)

// Status is where a message is in its life. A user message is always
// StatusComplete; an assistant message starts StatusStreaming and ends in
// one of the other states.
type Status string

// Message statuses.
const (
	StatusStreaming   Status = "streaming"
	StatusComplete    Status = "complete"
	StatusFailed      Status = "failed"
	StatusStopped     Status = "stopped"
	StatusInterrupted Status = "interrupted"
)

// Session is one chat.
type Session struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	Model        string    `json:"model"`
	SystemPrompt string    `json:"system_prompt,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// MessageCount is filled by list/get reads; it is not stored.
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
	ID        string    `json:"id"`
	SessionID string    `json:"session_id"`
	Role      Role      `json:"role"`
	Content   string    `json:"content"`
	Status    Status    `json:"status"`
	Error     string    `json:"error,omitempty"`
	Model     string    `json:"model,omitempty"`
	ClientID  string    `json:"client_id,omitempty"`
	Chunks    int       `json:"chunks"`
	Usage     *Usage    `json:"usage,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

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
}

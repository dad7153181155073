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
	ID        string `json:"id"`
	SessionID string `json:"session_id"`
	Role      Role   `json:"role"`
	Content   string `json:"content"`
	Status    Status `json:"status"`
	Error     string `json:"error,omitempty"`
	Model     string `json:"model,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Chunks    int    `json:"chunks"`
	Usage     *Usage `json:"usage,omitempty"`
	// Attachments are the files a user message carries, in order.
	Attachments []Attachment `json:"attachments,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

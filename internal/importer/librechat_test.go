package importer

import (
	"strings"
	"testing"
)

var libreChatFlatWant = Conversation{
	Source: FormatLibreChat, SourceID: "lc-flat-1", Title: "Flat with branches",
	CreatedAt: iso("2024-07-01T12:00:00Z"), UpdatedAt: iso("2024-07-01T12:02:00Z"), Model: "claude-sonnet-4",
	SystemPrompt: "Be kind.", CurrentLeafID: "f4",
	Messages: []Message{
		{SourceID: "f1", Role: RoleUser, Content: "Plan a trip", CreatedAt: iso("2024-07-01T12:00:00Z"),
			Attachments: []AttachmentRef{{Name: "map.png", MIME: "image/png", Size: 2048, SourceID: "fid-1", SourcePath: "/images/u1/map.png"}}},
		{SourceID: "f2", ParentID: "f1", Role: RoleAssistant, Content: "Go to the coast.", Reasoning: "User wants a trip.",
			Model: "claude-sonnet-4", CreatedAt: iso("2024-07-01T12:00:05Z"),
			ToolCalls: []ToolCall{{ID: "tc-1", Name: "web_search", Input: `{"q":"coast"}`, Output: "3 results"}}},
		{SourceID: "f4", ParentID: "f2", Role: RoleUser, Content: `<a href="javascript:alert(1)">thanks</a>`, CreatedAt: iso("2024-07-01T12:02:00Z")},
		{SourceID: "f3", ParentID: "f1", Role: RoleAssistant, Error: "Something went wrong: 529 overloaded",
			Model: "claude-sonnet-4", CreatedAt: iso("2024-07-01T12:01:00Z")},
	},
}

var libreChatTreeWant = Conversation{
	Source: FormatLibreChat, SourceID: "lc-tree-1", Title: "Recursive tree",
	CreatedAt: iso("2024-05-01T16:35:11.530Z"), UpdatedAt: iso("2024-05-01T16:35:12.604Z"), Model: "gpt-4-turbo",
	CurrentLeafID: "t6",
	Messages: []Message{
		{SourceID: "t1", Role: RoleUser, Content: "How do I activate a venv?", CreatedAt: iso("2024-05-01T16:35:11.530Z")},
		{SourceID: "t2", ParentID: "t1", Role: RoleAssistant, Content: "Run `source venv/bin/activate`.", Model: "gpt-4-turbo", CreatedAt: iso("2024-05-01T16:35:12.604Z")},
		{SourceID: "t3", ParentID: "t2", Role: RoleUser, Content: "thanks", CreatedAt: iso("2024-05-01T16:35:12.604Z")},
		{SourceID: "t4", ParentID: "t3", Role: RoleAssistant, Content: "You're welcome!", Model: "gpt-4-turbo", CreatedAt: iso("2024-05-01T16:35:12.604Z")},
		{SourceID: "t5", ParentID: "t3", Role: RoleAssistant, Content: "Happy coding!", Model: "gpt-4-turbo", CreatedAt: iso("2024-05-01T16:35:12.604Z")},
		{SourceID: "t6", ParentID: "t2", Role: RoleUser, Content: "lol", CreatedAt: iso("2024-05-01T16:35:12.604Z")},
	},
}

func TestLibreChat(t *testing.T) {
	flat := fixture(t, "librechat/flat-branches.json")
	tree := fixture(t, "librechat/recursive-tree.json")
	// Older versions wrote the recursive tree under "messages".
	olderTree := []byte(strings.Replace(string(tree), `"messagesTree"`, `"messages"`, 1))
	tests := []struct {
		name string
		data []byte
		opts Options
		want Conversation
	}{
		{"flat list with branches", flat, Options{}, libreChatFlatWant},
		{"flat list named", flat, Options{Format: FormatLibreChat}, libreChatFlatWant},
		{"recursive messagesTree", tree, Options{}, libreChatTreeWant},
		{"recursive tree under messages", olderTree, Options{}, libreChatTreeWant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, got := readBytes(t, tt.data, tt.opts)
			if src.Format() != FormatLibreChat {
				t.Fatalf("format %q", src.Format())
			}
			checkConversations(t, got, []Conversation{tt.want}, nil)
		})
	}
}

package importer

import "testing"

func openWebUIWant() []Conversation {
	return []Conversation{
		{
			Source: FormatOpenWebUI, SourceID: "ow-1", Title: "Branches, reasoning and tools",
			CreatedAt: unix(1710000000), UpdatedAt: unix(1710000020), Model: "llama3.1:8b",
			SystemPrompt: "You are terse.", CurrentLeafID: "a1",
			Messages: []Message{
				{SourceID: "u1", Role: RoleUser, Content: "Look at <i>this</i>", CreatedAt: unix(1710000000),
					Attachments: []AttachmentRef{
						{Name: "image.png", MIME: "image/png", Size: 6, Data: []byte("\x89PNG\r\n")},
						{Name: "report.pdf", MIME: "application/pdf", Size: 1234, SourceID: "file-9", SourcePath: "/api/v1/files/file-9"},
					}},
				{SourceID: "a1", ParentID: "u1", Role: RoleAssistant, Model: "llama3.1:8b", CreatedAt: unix(1710000010),
					Content:   "It is sunny. <details><summary>User-visible</summary>kept</details>",
					Reasoning: "First & foremost.\n\nThen <this>.",
					ToolCalls: []ToolCall{{ID: "call_1", Name: "get_weather", Input: `{"city": "Oslo"}`, Output: "Sunny"}}},
				{SourceID: "a2", ParentID: "u1", Role: RoleAssistant, Model: "qwen3:4b", CreatedAt: unix(1710000020),
					Content: "Regenerated answer", Reasoning: "Raw thoughts", Error: "Rate limited"},
			},
		},
		{
			Source: FormatOpenWebUI, SourceID: "ow-2", Title: "Structured output",
			CreatedAt: unix(1710001000), UpdatedAt: unix(1710001010), Model: "gpt-4o", CurrentLeafID: "b2",
			Messages: []Message{
				{SourceID: "b1", Role: RoleUser, Content: "Weather in Paris?", CreatedAt: unix(1710001000)},
				{SourceID: "b2", ParentID: "b1", Role: RoleAssistant, Model: "gpt-4o", CreatedAt: unix(1710001010),
					Content: "The weather is mild.", Reasoning: "Need the weather tool.",
					ToolCalls: []ToolCall{{ID: "call_9", Name: "get_weather", Input: `{"city":"Paris"}`, Output: "Paris: 18C"}}},
			},
		},
		{
			Source: FormatOpenWebUI, SourceID: "ow-3", Title: "Legacy list",
			CreatedAt: unix(1700000000), UpdatedAt: unix(1700000000), Model: "mistral", CurrentLeafID: "ow-3/2",
			Messages: []Message{
				{SourceID: "l1", Role: RoleUser, Content: "Hi", CreatedAt: unix(1700000000)},
				{SourceID: "l2", ParentID: "l1", Role: RoleAssistant, Content: "Hello", Model: "mistral", CreatedAt: unix(1700000000)},
				{SourceID: "ow-3/2", ParentID: "l2", Role: RoleUser, Content: "Part A", CreatedAt: unix(1700000000),
					Attachments: []AttachmentRef{{Name: "cat.png", MIME: "image/png", SourcePath: "https://example.com/img/cat.png?size=2"}}},
			},
		},
		{
			Source: FormatOpenWebUI, SourceID: "ow-5", Title: "Unknown role",
			CreatedAt: unix(1710002000), UpdatedAt: unix(1710002002), CurrentLeafID: "p3",
			Messages: []Message{
				{SourceID: "p1", Role: RoleUser, Content: "Run it", CreatedAt: unix(1710002000)},
				{SourceID: "p3", ParentID: "p1", Role: RoleAssistant, Content: "Ran.", CreatedAt: unix(1710002002)},
			},
			Warnings: []string{`message "p2" has an unknown role "function"; left out`},
		},
	}
}

var openWebUISkipped = []SkippedError{
	{Index: 3, SourceID: "ow-4", Title: "Nothing", Reason: "it has no messages (no chat.history)"},
}

func TestOpenWebUI(t *testing.T) {
	export := fixture(t, "openwebui/chat-export-1710003000000.json")
	tests := []struct {
		name string
		data []byte
		opts Options
	}{
		{"export detected", export, Options{}},
		{"export named", export, Options{Format: FormatOpenWebUI}},
		{"export zipped by the user", zipOf(t, "chat-export-1710003000000.json", string(export)), Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, got := readBytes(t, tt.data, tt.opts)
			if src.Format() != FormatOpenWebUI {
				t.Fatalf("format %q", src.Format())
			}
			checkConversations(t, got, openWebUIWant(), openWebUISkipped)
		})
	}
}

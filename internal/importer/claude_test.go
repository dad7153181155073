package importer

import "testing"

func claudeWant() []Conversation {
	return []Conversation{
		{
			Source: FormatClaude, SourceID: "cl000001-0000-4000-8000-000000000001", Title: "Retry, thinking and an artifact",
			CreatedAt: iso("2024-05-01T09:59:59Z"), UpdatedAt: iso("2024-05-01T10:02:30.5Z"), CurrentLeafID: "m4",
			Messages: []Message{
				{SourceID: "m1", Role: RoleUser, Content: "Summarise the attached notes.", CreatedAt: iso("2024-05-01T10:00:00Z"),
					Attachments: []AttachmentRef{
						{Name: "notes.txt", MIME: "text/plain", Size: 42, Text: "Line one\nLine two"},
						{Name: "diagram.png", MIME: "image/png", SourceID: "f-1"},
					}},
				{SourceID: "m2", ParentID: "m1", Role: RoleAssistant, Content: "Here is a summary:\n\nDone.", Reasoning: "Two lines to summarise.",
					CreatedAt: iso("2024-05-01T10:00:05Z"),
					ToolCalls: []ToolCall{{ID: "toolu_1", Name: "artifacts", Output: "OK",
						Input: `{"id":"summary","type":"text/markdown","title":"Summary","command":"create","content":"- one\n- two"}`}}},
				{SourceID: "m4", ParentID: "m2", Role: RoleUser, Content: "Thanks <img src=x onerror=alert(1)>", CreatedAt: iso("2024-05-01T10:02:00Z"),
					Attachments: []AttachmentRef{{Name: "Pasted text", MIME: "text/plain", Size: 5, Text: "paste"}}},
				{SourceID: "m3", ParentID: "m1", Role: RoleAssistant, Content: "Retried summary.", CreatedAt: iso("2024-05-01T10:01:00Z")},
			},
			Warnings: []string{
				`message "m5" has an unknown sender "bot"; left out`,
				`content blocks of unknown types (voice_note) were imported as far as they had text`,
			},
		},
		{
			Source: FormatClaude, SourceID: "cl000002-0000-4000-8000-000000000002", Title: "Old linear export",
			CreatedAt: iso("2023-08-01T08:59:00Z"), UpdatedAt: iso("2023-08-01T09:00:05Z"), CurrentLeafID: "cl000002-0000-4000-8000-000000000002/3",
			Messages: []Message{
				{SourceID: "a", Role: RoleUser, Content: "Hello", CreatedAt: iso("2023-08-01T09:00:00.123456Z")},
				{SourceID: "b", ParentID: "a", Role: RoleAssistant, Content: "Hi!", CreatedAt: iso("2023-08-01T09:00:05Z")},
				{SourceID: "a~2", ParentID: "b", Role: RoleUser, Content: "Hello again", CreatedAt: iso("2023-08-01T09:00:05Z")},
				{SourceID: "cl000002-0000-4000-8000-000000000002/3", ParentID: "a~2", Role: RoleAssistant, Content: "Second hi", CreatedAt: iso("2023-08-01T09:00:05Z")},
			},
			Warnings: []string{`message id "a" appears more than once; the copy is kept as "a~2"`},
		},
		{
			Source: FormatClaude, SourceID: "cl000004-0000-4000-8000-000000000004", Title: "Current leaf given",
			CreatedAt: iso("2024-06-01T10:00:00Z"), UpdatedAt: iso("2024-06-01T10:06:00Z"), CurrentLeafID: "r1",
			Messages: []Message{
				{SourceID: "q", Role: RoleUser, Content: "Pick a number", CreatedAt: iso("2024-06-01T10:00:00Z")},
				{SourceID: "r1", ParentID: "q", Role: RoleAssistant, Content: "7", CreatedAt: iso("2024-06-01T10:00:01Z")},
				{SourceID: "r2", ParentID: "q", Role: RoleAssistant, Content: "42", CreatedAt: iso("2024-06-01T10:05:00Z")},
				{SourceID: "orphan", Role: RoleAssistant, Content: "Lost parent", CreatedAt: iso("2024-06-01T10:04:00Z")},
			},
			Warnings: []string{`message "orphan" points to a parent "ffffffff-1111-4000-8000-000000000000" that is not in the export; it starts a new thread`},
		},
	}
}

var claudeSkipped = []SkippedError{
	{Index: 2, SourceID: "cl000003-0000-4000-8000-000000000003", Title: "Empty", Reason: "no messages to import"},
	{Index: 4, SourceID: "cl000005-0000-4000-8000-000000000005", Title: "Wrong shape", Reason: `field "chat_messages" holds an object where a list was expected`},
}

func TestClaude(t *testing.T) {
	conversations := fixture(t, "claude/conversations.json")
	export := zipOf(t,
		"users.json", `[{"uuid": "acct-fictional"}]`,
		"projects.json", `[]`,
		"conversations.json", string(conversations),
	)
	tests := []struct {
		name string
		data []byte
		opts Options
	}{
		{"conversations.json detected", conversations, Options{}},
		{"conversations.json named", conversations, Options{Format: FormatClaude}},
		{"export zip as downloaded", export, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, got := readBytes(t, tt.data, tt.opts)
			if src.Format() != FormatClaude {
				t.Fatalf("format %q", src.Format())
			}
			checkConversations(t, got, claudeWant(), claudeSkipped)
		})
	}
}

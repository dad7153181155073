package importer

import "testing"

func cherryWant(withZip bool) []Conversation {
	sky := AttachmentRef{Name: "sky.png", MIME: "image/png", Size: 7, SourceID: "f-abc",
		SourcePath: `C:\Users\x\AppData\Roaming\CherryStudio\Data\Files\f-abc.png`}
	legacy := AttachmentRef{Name: "legacy.txt", MIME: "text/plain", Size: 11, SourceID: "file-legacy",
		SourcePath: "/home/x/.config/CherryStudio/Data/Files/file-legacy.txt"}
	if withZip {
		sky.SourcePath, sky.Data = "Data/Files/f-abc.png", []byte("PNGDATA")
		legacy.SourcePath, legacy.Data = "Data/Files/file-legacy.txt", []byte("legacy file")
	}
	return []Conversation{
		{
			Source: FormatCherryStudio, SourceID: "t-1", Title: "Haiku session",
			CreatedAt: iso("2025-02-01T10:00:00Z"), UpdatedAt: iso("2025-02-01T10:10:00Z"), Model: "deepseek-r1",
			SystemPrompt: "You write haiku.", CurrentLeafID: "r3",
			Messages: []Message{
				{SourceID: "q1", Role: RoleUser, Content: "Write about <script>rain</script>", CreatedAt: iso("2025-02-01T10:00:00Z"),
					Attachments: []AttachmentRef{sky}},
				{SourceID: "r1", ParentID: "q1", Role: RoleAssistant, Content: "Soft rain on the roof", Reasoning: "Rain is quiet.",
					Model: "deepseek-r1", CreatedAt: iso("2025-02-01T10:00:10Z")},
				{SourceID: "q2", ParentID: "r1", Role: RoleUser, Content: "Another?", CreatedAt: iso("2025-02-01T10:05:00Z")},
				{SourceID: "r3", ParentID: "q2", Role: RoleAssistant, Error: "Quota exceeded", Model: "deepseek-r1", CreatedAt: iso("2025-02-01T10:05:05Z")},
				{SourceID: "r2", ParentID: "q1", Role: RoleAssistant, Content: "Grey clouds gather", Model: "gpt-4o", CreatedAt: iso("2025-02-01T10:00:20Z"),
					Attachments: []AttachmentRef{{Name: "image.gif", MIME: "image/gif", Size: 6, Data: []byte("GIF89a")}},
					ToolCalls:   []ToolCall{{ID: "mcp-1", Name: "search", Input: `{"q":"rain"}`, Output: `{"hits":2}`}}},
			},
		},
		{
			Source: FormatCherryStudio, SourceID: "t-default", Title: "Default topic",
			CreatedAt: iso("2025-01-10T08:00:00Z"), UpdatedAt: iso("2025-01-10T08:05:00Z"), Model: "gpt-4o-mini", CurrentLeafID: "la",
			Messages: []Message{
				{SourceID: "lq", Role: RoleUser, Content: "Old style question", CreatedAt: iso("2025-01-10T08:00:00Z"), Attachments: []AttachmentRef{legacy}},
				{SourceID: "la", ParentID: "lq", Role: RoleAssistant, Content: "Old style answer", Reasoning: "old thinking",
					Model: "gpt-4o-mini", CreatedAt: iso("2025-01-10T08:00:03Z")},
			},
		},
	}
}

var cherrySkipped = []SkippedError{
	{Index: 2, SourceID: "t-orphan", Reason: "no messages to import"},
	{Index: 3, SourceID: "t-bad", Reason: `field "messages" holds a string where a list was expected`},
}

func TestCherryStudio(t *testing.T) {
	data := fixture(t, "cherrystudio/data.json")
	backup := zipOf(t,
		"data.json", string(data),
		"Data/Files/f-abc.png", "PNGDATA",
		"Data/Files/file-legacy.txt", "legacy file",
		"Data/KnowledgeBase/.keep", "",
	)
	tests := []struct {
		name    string
		data    []byte
		opts    Options
		withZip bool
	}{
		{"data.json detected", data, Options{}, false},
		{"data.json named", data, Options{Format: FormatCherryStudio}, false},
		{"backup zip as written", backup, Options{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, got := readBytes(t, tt.data, tt.opts)
			if src.Format() != FormatCherryStudio {
				t.Fatalf("format %q", src.Format())
			}
			checkConversations(t, got, cherryWant(tt.withZip), cherrySkipped)
		})
	}
}

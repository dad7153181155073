package importer

import (
	"testing"
)

func chatGPTWant(withZip bool) []Conversation {
	img := AttachmentRef{Name: "photo.png", MIME: "image/png", Size: 12, SourceID: "file-Img1"}
	gen := AttachmentRef{Name: "file_00000000aaaa", Size: 5, SourceID: "file_00000000aaaa"}
	if withZip {
		img.SourcePath, img.Data = "file-Img1-photo.png", []byte("\x89PNG fake!!!")
		gen = AttachmentRef{Name: "1234.webp", MIME: "image/webp", Size: 5, SourceID: "file_00000000aaaa",
			SourcePath: "dalle-generations/file_00000000aaaa-1234.webp", Data: []byte("RIFF!")}
	}
	return []Conversation{
		{
			Source: FormatChatGPT, SourceID: "c0000001-0000-4000-8000-000000000001", Title: "Branches and custom instructions",
			CreatedAt: unix(1700000000.5), UpdatedAt: unix(1700000600.25), Model: "gpt-4o",
			SystemPrompt:  "I am a fictional tester.\n\nAnswer briefly.",
			CurrentLeafID: "a2a",
			Messages: []Message{
				{SourceID: "u1", Role: RoleUser, Content: "Is <script>alert(1)</script> <b>safe</b>?", CreatedAt: unix(1700000001)},
				{SourceID: "a1", ParentID: "u1", Role: RoleAssistant, Content: "It is text; the UI escapes it.", Model: "gpt-4o", CreatedAt: unix(1700000002)},
				{SourceID: "u2a", ParentID: "a1", Role: RoleUser, Content: "First version of my follow-up", CreatedAt: unix(1700000003)},
				{SourceID: "a2a", ParentID: "u2a", Role: RoleAssistant, Content: "Answer to the first version.", Model: "gpt-4o", CreatedAt: unix(1700000004)},
				{SourceID: "u2b", ParentID: "a1", Role: RoleUser, Content: "Edited follow-up", CreatedAt: unix(1700000005)},
				{SourceID: "a2b", ParentID: "u2b", Role: RoleAssistant, Content: "Answer to the edit.", Model: "gpt-4o-mini", CreatedAt: unix(1700000006)},
			},
		},
		{
			Source: FormatChatGPT, SourceID: "c0000002-0000-4000-8000-000000000002", Title: "Reasoning, tools and files",
			CreatedAt: unix(1700001000), UpdatedAt: unix(1700001100), Model: "o3", CurrentLeafID: "ans1",
			Messages: []Message{
				{SourceID: "q1", Role: RoleUser, Content: "What is in this photo? See also my notes.", CreatedAt: unix(1700001001),
					Attachments: []AttachmentRef{img, {Name: "notes.pdf", MIME: "application/pdf", Size: 2048, SourceID: "file-Doc2"}}},
				{SourceID: "code1", ParentID: "q1", Role: RoleAssistant, Model: "o3", CreatedAt: unix(1700001004),
					Reasoning: "Looking\n\nThe image is tiny.\n\nPlanning\n\nCount pixels with Python.",
					ToolCalls: []ToolCall{{Name: "python", Input: "print(2*2)"}}},
				{SourceID: "out1", ParentID: "code1", Role: RoleTool, Name: "python", Content: "```\n4\n```", CreatedAt: unix(1700001005)},
				{SourceID: "gen1", ParentID: "out1", Role: RoleTool, Name: "dalle.text2im", CreatedAt: unix(1700001006), Attachments: []AttachmentRef{gen}},
				{SourceID: "ans1", ParentID: "gen1", Role: RoleAssistant, Content: "It has 4 pixels ([Example](https://example.com/px)) and more.", Model: "o3", CreatedAt: unix(1700001007)},
			},
		},
		{
			Source: FormatChatGPT, SourceID: "c0000004-0000-4000-8000-000000000004", Title: "Loop, dangling parent, no times",
			CurrentLeafID: "z",
			Messages: []Message{
				{SourceID: "w", Role: RoleAssistant, Content: "Unknown kind, text kept."},
				{SourceID: "x", Role: RoleUser, Content: "Which came first?"},
				{SourceID: "y", ParentID: "x", Role: RoleAssistant, Content: "The loop."},
				{SourceID: "z", ParentID: "y", Role: RoleSystem, Content: "Mid-chat note from the system."},
			},
			Warnings: []string{
				`message "v" has an unknown author "critic"; left out`,
				`content of unknown types (sonic_webpage) was imported as far as it had text`,
				`message "w" points to a parent "gone" that is not in the export; it starts a new thread`,
				`messages "x" and 1 more point to each other as parents; the loop is cut at "x"`,
				`the current message "missing-node" is not in the export; the most recent branch is shown instead`,
			},
		},
	}
}

var chatGPTSkipped = []SkippedError{
	{Index: 2, SourceID: "c0000003-0000-4000-8000-000000000003", Title: "Corrupted entry", Reason: `it has no "mapping" (no messages)`},
	{Index: 4, SourceID: "c0000005-0000-4000-8000-000000000005", Title: "42", Reason: `field "mapping" holds a list where an object was expected`},
}

func TestChatGPT(t *testing.T) {
	conversations := fixture(t, "chatgpt/conversations.json")
	export := zipOf(t,
		"conversations.json", string(conversations),
		"user.json", `{"id": "user-fictional"}`,
		"chat.html", "<html></html>",
		"file-Img1-photo.png", "\x89PNG fake!!!",
		"dalle-generations/file_00000000aaaa-1234.webp", "RIFF!",
	)
	tests := []struct {
		name    string
		data    []byte
		opts    Options
		withZip bool
	}{
		{"conversations.json detected", conversations, Options{}, false},
		{"conversations.json named", conversations, Options{Format: FormatChatGPT}, false},
		{"export zip as downloaded", export, Options{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, got := readBytes(t, tt.data, tt.opts)
			if src.Format() != FormatChatGPT {
				t.Fatalf("format %q", src.Format())
			}
			checkConversations(t, got, chatGPTWant(tt.withZip), chatGPTSkipped)
		})
	}
}

func TestFence(t *testing.T) {
	for code, want := range map[string]string{
		"x := 1\n":        "```go\nx := 1\n```",
		"a ``` b":         "````go\na ``` b\n````",
		"`````":           "``````go\n`````\n``````",
		"":                "```go\n\n```",
		"``x`` and ````y": "`````go\n``x`` and ````y\n`````",
	} {
		if got := fence("go", code); got != want {
			t.Errorf("fence(%q) = %q, want %q", code, got, want)
		}
	}
}

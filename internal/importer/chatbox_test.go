package importer

import (
	"testing"
	"time"
)

func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }

var chatboxWant = []Conversation{
	{
		Source: FormatChatbox, SourceID: "s1", Title: "Forks and threads",
		CreatedAt: ms(1715000001000), UpdatedAt: ms(1716000007000), Model: "gpt-4o-mini",
		SystemPrompt: "You are a helpful assistant.", CurrentLeafID: "u2",
		Messages: []Message{
			{SourceID: "o-u", Role: RoleUser, Content: "Old thread question", CreatedAt: ms(1715000001000)},
			{SourceID: "o-a", ParentID: "o-u", Role: RoleAssistant, Content: "Old thread answer", Model: "gpt-4o-mini", CreatedAt: ms(1715000002000)},
			{SourceID: "u1", Role: RoleUser, Content: "Draw a cat", CreatedAt: ms(1716000001000),
				Attachments: []AttachmentRef{
					{Name: "picture:s1:u1:abc", SourceID: "picture:s1:u1:abc"},
					{Name: "brief.txt", MIME: "text/plain", Size: 120, SourceID: "file:s1:u1:xyz"},
					{Name: "Cats", SourcePath: "https://example.com/cats"},
				}},
			{SourceID: "a1", ParentID: "u1", Role: RoleAssistant, Content: "Here is a cat.", Reasoning: "Cats have whiskers.",
				Model: "gpt-4o-mini", CreatedAt: ms(1716000002000),
				ToolCalls: []ToolCall{{ID: "tc-1", Name: "web_search", Input: `{"query":"cat"}`, Output: `{"items":[]}`}}},
			{SourceID: "u2", ParentID: "a1", Role: RoleUser, Content: "Thanks <style>body{display:none}</style>", CreatedAt: ms(1716000003000)},
			{SourceID: "a1-alt", ParentID: "u1", Role: RoleAssistant, Content: "An alternative cat.", Model: "gpt-4o", CreatedAt: ms(1716000005000)},
			{SourceID: "u2-alt", ParentID: "a1-alt", Role: RoleUser, Content: "Nice", CreatedAt: ms(1716000006000)},
			{SourceID: "deep", ParentID: "a1-alt", Role: RoleUser, Content: "Deep branch", CreatedAt: ms(1716000007000)},
		},
	},
	{
		Source: FormatChatbox, SourceID: "s2", Title: "Old content",
		CreatedAt: ms(1690000000000), UpdatedAt: ms(1690000001000), CurrentLeafID: "x2",
		Messages: []Message{
			{SourceID: "x1", Role: RoleUser, Content: "Plain content field", CreatedAt: ms(1690000000000)},
			{SourceID: "x2", ParentID: "x1", Role: RoleAssistant, Content: "Reply", Reasoning: "old reasoning", Error: "network error", CreatedAt: ms(1690000001000)},
		},
		Warnings: []string{`message "x3" has an unknown role "narrator"; left out`},
	},
	{
		Source: FormatChatbox, SourceID: "s4", Title: "Only in old list",
		CreatedAt: ms(1680000000000), UpdatedAt: ms(1680000000000), CurrentLeafID: "k1",
		Messages: []Message{{SourceID: "k1", Role: RoleUser, Content: "Recovered", CreatedAt: ms(1680000000000)}},
	},
}

var chatboxSkipped = []SkippedError{{Index: 2, SourceID: "s5", Title: "Broken", Reason: `field "messages" holds an object where a list was expected`}}

func TestChatbox(t *testing.T) {
	data := fixture(t, "chatbox/chatbox-exported-data-2024-6-1.json")
	for _, opts := range []Options{{}, {Format: FormatChatbox}} {
		t.Run("format "+string(opts.Format), func(t *testing.T) {
			src, got := readBytes(t, data, opts)
			if src.Format() != FormatChatbox {
				t.Fatalf("format %q", src.Format())
			}
			checkConversations(t, got, chatboxWant, chatboxSkipped)
		})
	}
}

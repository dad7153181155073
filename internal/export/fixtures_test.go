package export

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/holdfast-chat/holdfast/internal/store"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// testAppVersion is the Holdfast version the fixtures are exported by.
const testAppVersion = "1.2.3-4-gabcdef0"

// sampleChat is an ordinary chat: system prompt, code, a stopped answer
// with an error, usage.
func sampleChat() Chat {
	return Chat{
		AppVersion: testAppVersion,
		Session: store.Session{
			ID: "s_01", Title: "Sorting in Go", TitleSource: store.TitleGenerated, Model: "demo/demo",
			SystemPrompt: "You are terse.", CreatedAt: at(0), UpdatedAt: at(30), LastActivityAt: at(12), MessageCount: 4,
			CurrentLeafID: "m_04",
		},
		Messages: []store.Message{
			{ID: "m_01", SessionID: "s_01", Role: store.RoleUser, Content: "How do I sort a slice of ints?",
				Status: store.StatusComplete, ClientID: "c_1", CreatedAt: at(1), UpdatedAt: at(1)},
			{ID: "m_02", SessionID: "s_01", ParentID: "m_01", Depth: 1, Role: store.RoleAssistant, Model: "demo/demo",
				Content: "Use `slices.Sort`:\n\n```go\nxs := []int{3, 1, 2}\nslices.Sort(xs)\n```\n\nThat sorts in place.",
				Status:  store.StatusComplete, Chunks: 9, Usage: &store.Usage{InputTokens: 12, OutputTokens: 30},
				Reasoning: "The user wants ints sorted.\nslices.Sort is the modern way.", ReasoningChunks: 4,
				ReasoningStartedAt: ptr(at(2)), ReasoningMS: ptr(int64(2400)), FinishReason: "length",
				CreatedAt: at(2), UpdatedAt: at(5)},
			{ID: "m_03", SessionID: "s_01", ParentID: "m_02", Depth: 2, Role: store.RoleUser, Content: "And descending?",
				Status: store.StatusComplete, ClientID: "c_2", CreatedAt: at(10), UpdatedAt: at(10)},
			{ID: "m_04", SessionID: "s_01", ParentID: "m_03", Depth: 3, Role: store.RoleAssistant, Model: "openai/gpt-4o-mini",
				Content: "Use `slices.SortFunc` with", Status: store.StatusFailed,
				Error: "upstream closed the connection", Chunks: 3, CreatedAt: at(11), UpdatedAt: at(12)},
		},
	}
}

// Hostile pieces, reused by the assertions.
const (
	hostileTitle  = "</title><script>alert('t')</script> # Notes | *bold* [x](javascript:alert(1))\nline two"
	hostileScript = `<script>alert("pwned")</script><img src=x onerror=alert(1)> & "q" 'q'`
	chinese       = "你好，世界！这是一个关于排序的问题。"
	emoji         = "👋🏽 👨‍👩‍👧 🚀 ✅"
)

// hostileChat holds text built to break each format: markup, script,
// Markdown that forges a role heading (with every line ending), an
// unclosed fence, an unclosed HTML comment, a very long line, Chinese and
// emoji.
func hostileChat() Chat {
	long := strings.Repeat("0123456789abcdef<>&\"'", 200) // 4,200 bytes, one line
	return Chat{
		AppVersion: testAppVersion,
		Files:      memFiles{},
		Session: store.Session{
			ID: "s_hostile", Title: hostileTitle, Model: "evil/<b>model</b>",
			SystemPrompt: "Be nice.\n---\n# Not a heading of ours\n<!-- open comment",
			CreatedAt:    at(0), UpdatedAt: at(60), LastActivityAt: at(8), MessageCount: 5, TitleSource: store.TitleUser,
			CurrentLeafID: "m_h5",
		},
		Messages: []store.Message{
			{ID: "m_h1", SessionID: "s_hostile", Role: store.RoleUser, Status: store.StatusComplete,
				Content:   hostileScript + "\n## Assistant\nforged answer\r## Assistant\rvia CR\r\n# Title\r\n<!-- never closed\n",
				CreatedAt: at(1), UpdatedAt: at(1)},
			{ID: `m_h2"><script>alert(2)</script>`, SessionID: "s_hostile", ParentID: "m_h1", Depth: 1, Role: store.RoleAssistant, Model: "evil/<b>model</b>",
				Status:    store.StatusStopped,
				Content:   "Here:\n\n```go\nfunc main() {\n\tfmt.Println(\"</code></pre><script>evil()</script>\")\n",
				Reasoning: "</summary></details>" + hostileScript + "\n## User\n<!-- open",
				CreatedAt: at(2), UpdatedAt: at(3)},
			{ID: "m_h3", SessionID: "s_hostile", ParentID: `m_h2"><script>alert(2)</script>`, Depth: 2, Role: store.RoleUser, Status: store.StatusComplete,
				Content:     chinese + " " + emoji + "\n\n````md\n```js\nalert(1)\n```\n````\n" + long,
				Attachments: hostileFiles(), CreatedAt: at(4), UpdatedAt: at(4)},
			{ID: "m_h4", SessionID: "s_hostile", ParentID: "m_h3", Depth: 3, Role: store.RoleAssistant, Model: "evil/<b>model</b>",
				Status: store.StatusFailed, Content: "",
				Error:     "upstream: <script>alert(3)</script>\n## User\n**bold**",
				CreatedAt: at(5), UpdatedAt: at(6)},
			{ID: "m_h5", SessionID: "s_hostile", ParentID: "m_h4", Depth: 4, Role: store.RoleAssistant, Model: "demo/demo",
				Status: store.StatusComplete, Content: "trailing spaces are a hard break  \nend ~~~\n~~~\n",
				CreatedAt: at(7), UpdatedAt: at(8)},
		},
	}
}

// Attachment ids of the hostile chat (64 hex digits, as stored ones are).
var (
	idImage = strings.Repeat("a1", 32)
	idSVG   = strings.Repeat("b2", 32)
	idText  = strings.Repeat("c3", 32)
	idPDF   = strings.Repeat("d4", 32)
)

// hostileFiles are attachments whose names and contents try to break
// out: markup in names, a path and a control character, a "picture"
// that is really SVG with script, a text file closing the page's tags.
func hostileFiles() []store.Attachment {
	return []store.Attachment{
		{ID: idImage, Name: `"><img src=x onerror=alert(1)>.png`, Size: 68, MIME: "image/png", Kind: "image", Width: 1, Height: 1},
		{ID: idSVG, Name: "evil.svg", Size: 60, MIME: "image/png", Kind: "image", Width: 1, Height: 1},
		{ID: idText, Name: "../../etc/passwd\x07 notes.txt", Size: 40, MIME: "text/plain; charset=utf-8", Kind: "text"},
		{ID: idPDF, Name: "report [x](javascript:alert(1)).pdf", Size: 2048, MIME: "application/pdf", Kind: "pdf"},
	}
}

// onePixelPNG is a real 1×1 PNG.
const onePixelPNG = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"

// memFiles serves the hostile chat's files from memory.
type memFiles struct{}

func (memFiles) ReadFile(id string) (io.ReadCloser, error) {
	switch id {
	case idImage:
		return io.NopCloser(strings.NewReader(onePixelPNG)), nil
	case idText:
		return io.NopCloser(strings.NewReader("</code></pre><script>alert(4)</script>\n")), nil
	case idPDF:
		return io.NopCloser(strings.NewReader("%PDF-1.4 not really")), nil
	}
	return nil, testErr("no file " + id)
}

func (memFiles) Inline(a store.Attachment) ([]byte, string, error) {
	switch a.ID {
	case idImage:
		return []byte(onePixelPNG), "image/png", nil
	case idSVG:
		// A broken store claiming SVG: must never become a data URL.
		return []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(5)"/>`), "image/svg+xml", nil
	}
	return nil, "", testErr("not an image " + a.ID)
}
func ptr[T any](v T) *T { return &v }

// branchedChat has versions: the first question was edited (m_b1 and
// m_b4 are siblings), and the answer to the edit regenerated (m_b5 and
// m_b6); the chat shows m_b4 → m_b6 and its settings are its own.
func branchedChat() Chat {
	temp, topP, maxTok := 0.2, 0.9, 512
	msg := func(id, parent string, depth int, role store.Role, content string, sec int) store.Message {
		m := store.Message{ID: id, SessionID: "s_b", ParentID: store.Ref(parent), Depth: depth, Role: role, Content: content,
			Status: store.StatusComplete, CreatedAt: at(sec), UpdatedAt: at(sec)}
		if role == store.RoleAssistant {
			m.Model = "demo/demo"
		}
		return m
	}
	c := Chat{
		Session: store.Session{
			ID: "s_b", Title: "Versions", TitleSource: store.TitleGenerated, Model: "demo/demo", SystemPrompt: "",
			Settings: store.Settings{Temperature: &temp, TopP: &topP, MaxTokens: &maxTok}, Pinned: true,
			CurrentLeafID: "m_b6", CreatedAt: at(0), UpdatedAt: at(50), LastActivityAt: at(50), MessageCount: 6,
		},
		Messages: []store.Message{
			msg("m_b1", "", 0, store.RoleUser, "First try at the question", 1),
			msg("m_b2", "m_b1", 1, store.RoleAssistant, "An answer to the first try", 2),
			msg("m_b3", "m_b2", 2, store.RoleUser, "A follow-up on the old branch", 3),
			msg("m_b4", "", 0, store.RoleUser, "The question, edited", 10),
			msg("m_b5", "m_b4", 1, store.RoleAssistant, "A first answer to the edit", 11),
			msg("m_b6", "m_b4", 1, store.RoleAssistant, "A regenerated answer to the edit", 20),
		},
	}
	c.Messages[3].SelectedChildID = "m_b6"
	return c
}

// memSource is an in-memory Source.
type memSource struct {
	chats   []Chat
	failOn  string // ListAllMessages of this session fails
	listErr error
}

func (m *memSource) GetSession(_ context.Context, id string) (store.Session, error) {
	for _, c := range m.chats {
		if c.Session.ID == id {
			return c.Session, nil
		}
	}
	return store.Session{}, fmt.Errorf("session %s: %w", id, errNotFound)
}

func (m *memSource) ListSessions(_ context.Context, query string) ([]store.Session, error) {
	if m.listErr != nil {
		return nil, m.listErr
	}
	var out []store.Session
	for _, c := range m.chats {
		if strings.Contains(c.Session.Title, query) {
			out = append(out, c.Session)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

func (m *memSource) ListAllMessages(_ context.Context, id string) ([]store.Message, error) {
	if id == m.failOn {
		return nil, errDiskGone
	}
	for _, c := range m.chats {
		if c.Session.ID == id {
			return c.Messages, nil
		}
	}
	return nil, fmt.Errorf("session %s: %w", id, errNotFound)
}

type testErr string

func (e testErr) Error() string { return string(e) }

const (
	errNotFound = testErr("not found")
	errDiskGone = testErr("disk gone")
)

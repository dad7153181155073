package export

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// writeMarkdown writes a chat as CommonMark.
//
// Message text is untrusted: an answer can contain "## Assistant", an
// unclosed ``` fence (a stopped answer often does) or an unclosed HTML
// comment, any of which would swallow or forge the rest of the document if
// pasted in as is. So every message body goes inside a block quote: a
// container closes everything opened inside it when it ends, and a heading
// inside it is not a top-level heading. The text itself is kept byte for
// byte (fences, HTML, trailing spaces) after the "> " prefix. Text we put on
// a single line (title, model, error) is escaped instead.
func writeMarkdown(w io.Writer, c Chat) error {
	bw := bufio.NewWriter(w)
	s := c.Session
	title := strings.TrimSpace(s.Title)
	if title == "" {
		title = "Untitled chat"
	}
	fmt.Fprintf(bw, "# %s\n\n", mdInline(title))
	if s.Model != "" {
		fmt.Fprintf(bw, "- Model: %s\n", mdInline(s.Model))
	}
	if !s.CreatedAt.IsZero() {
		fmt.Fprintf(bw, "- Created: %s\n", mdTime(s.CreatedAt))
	}
	if !s.UpdatedAt.IsZero() {
		fmt.Fprintf(bw, "- Updated: %s\n", mdTime(s.UpdatedAt))
	}
	path := c.Path()
	fmt.Fprintf(bw, "- Messages: %d\n", len(path))
	if other := len(c.Messages) - len(path); other > 0 {
		fmt.Fprintf(bw, "- Other versions: %d messages on other branches are not shown (the JSON export has every branch)\n", other)
	}
	fmt.Fprintf(bw, "- Exported by: %s\n", mdInline(generator(c.AppVersion)))
	if s.SystemPrompt != "" {
		bw.WriteString("\n## System prompt\n\n")
		mdQuote(bw, s.SystemPrompt)
	}
	for _, m := range path {
		bw.WriteString("\n## ")
		bw.WriteString(mdInline(roleLabel(m.Role)))
		if m.Role == store.RoleAssistant && m.Model != "" {
			bw.WriteString(" · ")
			bw.WriteString(mdInline(m.Model))
		}
		if !m.CreatedAt.IsZero() {
			bw.WriteString(" · ")
			bw.WriteString(mdTime(m.CreatedAt))
		}
		if m.Status != "" && m.Status != store.StatusComplete {
			bw.WriteString(" · ")
			bw.WriteString(mdInline(string(m.Status)))
		}
		bw.WriteString("\n\n")
		if m.Reasoning != "" {
			// Collapsed where Markdown renders HTML; the reasoning itself is
			// quoted like any message text.
			fmt.Fprintf(bw, "<details>\n<summary>%s</summary>\n\n", reasoningLabel(m))
			mdQuote(bw, m.Reasoning)
			bw.WriteString("\n</details>\n\n")
		}
		if m.Content == "" && len(m.Attachments) == 0 {
			bw.WriteString("*(no text)*\n")
		} else if m.Content != "" {
			mdQuote(bw, m.Content)
		}
		mdAttachments(bw, c, m)
		if note := finishNote(m); note != "" {
			fmt.Fprintf(bw, "\n*%s*\n", mdInline(note))
		}
		if m.Error != "" {
			fmt.Fprintf(bw, "\n**Error:** %s\n", mdInline(m.Error))
		}
	}
	return bw.Flush()
}

// reasoningLabel is the summary line of a message's reasoning section.
func reasoningLabel(m store.Message) string {
	if m.ReasoningMS != nil {
		return fmt.Sprintf("Reasoning (thought for %s)", seconds(*m.ReasoningMS))
	}
	return "Reasoning"
}

// seconds formats a duration in milliseconds the way the app shows it.
func seconds(ms int64) string {
	if ms < 10_000 {
		return fmt.Sprintf("%.1f s", float64(ms)/1000)
	}
	return fmt.Sprintf("%d s", (ms+500)/1000)
}

// finishNote says how an answer ended when that is not plain: cut at the
// length limit, stopped by the content filter, or ended to call a tool.
func finishNote(m store.Message) string {
	if m.Role != store.RoleAssistant || m.Status != store.StatusComplete {
		return ""
	}
	switch m.FinishReason {
	case "length":
		return "Cut at the length limit."
	case "content_filter":
		return "Stopped by the content filter."
	case "tool_calls", "function_call":
		return "Ended to call a tool (not supported)."
	}
	return ""
}

// mdQuote writes text as a block quote, one "> " per source line. All
// three CommonMark line endings (\n, \r\n, lone \r) start a new quoted line,
// so no line of the text can fall outside the quote.
func mdQuote(bw *bufio.Writer, text string) {
	for _, line := range splitLines(text) {
		if line == "" {
			bw.WriteString(">\n")
			continue
		}
		bw.WriteString("> ")
		bw.WriteString(line)
		bw.WriteByte('\n')
	}
}

// splitLines splits at \r\n, \r and \n.
func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(s, "\n")
}

// mdInline makes text safe to put inside a single line of Markdown: line
// breaks become spaces and the punctuation that could start inline markup,
// raw HTML, an entity, a table cell or a heading's closing sequence is
// backslash-escaped.
func mdInline(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '&', '#':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\r', '\n':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func mdTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// roleLabel is the heading for a message role.
func roleLabel(role store.Role) string {
	switch role {
	case store.RoleUser:
		return "User"
	case store.RoleAssistant:
		return "Assistant"
	case store.RoleSystem:
		return "System"
	case "":
		return "Message"
	}
	return string(role)
}

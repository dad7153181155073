package export

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/holdfast-chat/holdfast/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"md", Markdown, false},
		{"Markdown", Markdown, false},
		{".md", Markdown, false},
		{" json ", JSON, false},
		{"HTML", HTML, false},
		{"htm", HTML, false},
		{"jsonl", JSONLines, false},
		{"ndjson", JSONLines, false},
		{"", "", true},
		{"pdf", "", true},
		{"m d", "", true},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "md, json, html or jsonl") {
			t.Errorf("ParseFormat(%q) error %q does not list the formats", tt.in, err)
		}
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Format("pdf"), sampleChat()); err == nil || buf.Len() != 0 {
		t.Fatalf("Write(pdf) = %v, wrote %d bytes; want an error and nothing written", err, buf.Len())
	}
}

// TestGolden compares every format's output with a file under testdata/.
// Run `go test ./internal/export -run TestGolden -update` after an
// intended change and review the diff.
func TestGolden(t *testing.T) {
	chats := map[string]Chat{"sample": sampleChat(), "hostile": hostileChat(), "branched": branchedChat()}
	for name, c := range chats {
		for _, f := range Formats() {
			t.Run(name+f.Ext(), func(t *testing.T) {
				var buf bytes.Buffer
				if err := Write(&buf, f, c); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", name+f.Ext())
				if *update {
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("read golden file (run with -update to create it): %v", err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("%s differs from %s (run with -update and review the diff)\n got: %.300q\nwant: %.300q",
						f, path, buf.String(), want)
				}
				// Deterministic: a second write gives the same bytes.
				var again bytes.Buffer
				if err := Write(&again, f, c); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
					t.Errorf("second Write differs (err %v)", err)
				}
			})
		}
	}
}

// mdSection is one "## " section of an exported Markdown file.
type mdSection struct {
	reasoning, summary, note string
	heading                  string
	body                     string // the block quote, unquoted
	empty                    bool   // "*(no text)*"
	err                      string // the "**Error:** " line, still escaped
}

// parseMarkdownExport reads back the structure writeMarkdown promises:
// a "# " title, "- " metadata, then "## " sections whose bodies are block
// quotes. Any top-level line outside that shape fails the test: it would
// be message text that escaped its quote.
func parseMarkdownExport(t *testing.T, doc string) (title string, sections []mdSection) {
	t.Helper()
	if strings.ContainsRune(doc, '\r') {
		t.Fatal("Markdown export contains a carriage return, which Markdown reads as a line break")
	}
	lines := strings.Split(strings.TrimSuffix(doc, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "# ") {
		t.Fatalf("first line %q is not the title", lines[0])
	}
	title = strings.TrimPrefix(lines[0], "# ")
	var cur *mdSection
	var quote []string
	inQuote, inDetails := false, false
	endQuote := func() {
		if cur != nil && inQuote {
			if inDetails {
				cur.reasoning = strings.Join(quote, "\n")
			} else {
				cur.body = strings.Join(quote, "\n")
			}
		}
		quote, inQuote = nil, false
	}
	for i, line := range lines[1:] {
		switch {
		case strings.HasPrefix(line, "## "):
			endQuote()
			sections = append(sections, mdSection{heading: strings.TrimPrefix(line, "## ")})
			cur = &sections[len(sections)-1]
		case line == "":
			endQuote()
		case cur == nil && strings.HasPrefix(line, "- "):
		case cur != nil && !inDetails && cur.body == "" && cur.reasoning == "" && line == "<details>":
			inDetails = true
		case cur != nil && inDetails && !inQuote && strings.HasPrefix(line, "<summary>") && strings.HasSuffix(line, "</summary>"):
			cur.summary = strings.TrimSuffix(strings.TrimPrefix(line, "<summary>"), "</summary>")
		case cur != nil && inDetails && !inQuote && line == "</details>":
			inDetails = false
		case cur != nil && (line == ">" || strings.HasPrefix(line, "> ")):
			if !inQuote && !inDetails && cur.body != "" {
				t.Fatalf("line %d: a second block quote in section %q", i+2, cur.heading)
			}
			inQuote = true
			quote = append(quote, strings.TrimPrefix(strings.TrimPrefix(line, ">"), " "))
		case cur != nil && line == "*(no text)*":
			cur.empty = true
		case cur != nil && !inDetails && len(line) > 2 && line[0] == '*' && line[len(line)-1] == '*' && line[1] != '*':
			cur.note = line[1 : len(line)-1]
		case cur != nil && strings.HasPrefix(line, "**Error:** "):
			cur.err = strings.TrimPrefix(line, "**Error:** ")
		default:
			t.Fatalf("line %d escaped the document structure: %.120q", i+2, line)
		}
	}
	endQuote()
	return title, sections
}

func normalizeNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

func TestMarkdownHostileStaysInItsQuote(t *testing.T) {
	for _, c := range []Chat{sampleChat(), hostileChat()} {
		t.Run(c.Session.ID, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, Markdown, c); err != nil {
				t.Fatal(err)
			}
			title, sections := parseMarkdownExport(t, buf.String())
			if unescapeMarkdown(title) != strings.ReplaceAll(c.Session.Title, "\n", " ") {
				t.Errorf("title %q does not read back as %q", title, c.Session.Title)
			}
			offset := 0
			if c.Session.SystemPrompt != "" {
				offset = 1
				if sections[0].heading != "System prompt" || sections[0].body != normalizeNewlines(c.Session.SystemPrompt) {
					t.Errorf("system prompt section = %+v", sections[0])
				}
			}
			if len(sections) != len(c.Messages)+offset {
				t.Fatalf("%d sections, want %d (one per message): message text forged or hid a heading", len(sections), len(c.Messages)+offset)
			}
			for i, m := range c.Messages {
				sec := sections[i+offset]
				if !strings.HasPrefix(sec.heading, roleLabel(m.Role)+" ") {
					t.Errorf("section %d heading %q, want role %s", i, sec.heading, roleLabel(m.Role))
				}
				if m.Status != store.StatusComplete && !strings.HasSuffix(sec.heading, " · "+string(m.Status)) {
					t.Errorf("section %d heading %q does not show status %s", i, sec.heading, m.Status)
				}
				if n := len(m.Attachments); n > 0 {
					// The files are the quote's last lines, after a blank one.
					lines := strings.Split(sec.body, "\n")
					files := lines[len(lines)-n:]
					sec.body = strings.Join(lines[:len(lines)-n-1], "\n")
					for j, a := range m.Attachments {
						if !strings.Contains(files[j], mdLink(c.attachmentLink(a))) {
							t.Errorf("section %d file %d is %q; want a link to %s", i, j, files[j], c.attachmentLink(a))
						}
					}
				}
				if m.Content == "" {
					if !sec.empty {
						t.Errorf("section %d: empty message not marked", i)
					}
				} else if sec.body != normalizeNewlines(m.Content) {
					t.Errorf("section %d body is not the message text intact:\n got %.200q\nwant %.200q", i, sec.body, m.Content)
				}
				if sec.reasoning != normalizeNewlines(m.Reasoning) {
					t.Errorf("section %d reasoning is not the reasoning intact:\n got %.200q\nwant %.200q", i, sec.reasoning, m.Reasoning)
				}
				if (m.Reasoning != "") != strings.HasPrefix(sec.summary, "Reasoning") {
					t.Errorf("section %d reasoning summary %q", i, sec.summary)
				}
				if unescapeMarkdown(sec.note) != finishNote(m) {
					t.Errorf("section %d note %q, want %q", i, sec.note, finishNote(m))
				}
				if unescapeMarkdown(sec.err) != strings.ReplaceAll(m.Error, "\n", " ") {
					t.Errorf("section %d error %q does not read back as %q", i, sec.err, m.Error)
				}
			}
			for _, bad := range []string{"\n<script", "\n## Assistant\n", "\n# Title"} {
				if strings.Contains(buf.String(), bad) {
					t.Errorf("export has %q at the start of a line", bad)
				}
			}
		})
	}
}

// unescapeMarkdown undoes backslash escapes of ASCII punctuation.
func unescapeMarkdown(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", rune(s[i+1])) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestMarkdownInlineEscaping(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain title", "plain title"},
		{"  padded  ", "padded"},
		{"<b>x</b>", `\<b\>x\</b\>`},
		{"# head #", `\# head \#`},
		{"a*b_c`d", "a\\*b\\_c\\`d"},
		{"[l](u) | ~s~ &amp;", `\[l\](u) \| \~s\~ \&amp;`},
		{`back\slash`, `back\\slash`},
		{"two\nlines\r\nthree\rfour", "two lines  three four"},
		{chinese + emoji, chinese + emoji},
	}
	for _, tt := range tests {
		if got := mdInline(tt.in); got != tt.want {
			t.Errorf("mdInline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// htmlText is the text content of a node and its descendants.
func htmlText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func findAll(n *html.Node, a atom.Atom) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == a {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func TestHTMLHostileIsEscapedAndIntact(t *testing.T) {
	c := hostileChat()
	var buf bytes.Buffer
	if err := Write(&buf, HTML, c); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	// Nothing active or external: no script elements, no event handler
	// or resource attributes anywhere. The one image is the attached PNG,
	// inline as a data URL; the "image" whose bytes are SVG is not shown.
	for _, a := range []atom.Atom{atom.Script, atom.Iframe, atom.Link, atom.B} {
		if n := findAll(doc, a); len(n) > 0 {
			t.Errorf("page has %d <%s> elements; message text became markup", len(n), a)
		}
	}
	imgs := findAll(doc, atom.Img)
	if len(imgs) != 1 {
		t.Fatalf("page has %d <img> elements; want the one attached PNG", len(imgs))
	}
	for _, at := range imgs[0].Attr {
		if at.Key == "src" && !strings.HasPrefix(at.Val, "data:image/png;base64,iVBOR") {
			t.Errorf("the attached image's src is %.60q; want a PNG data URL", at.Val)
		}
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for _, at := range n.Attr {
			if n.DataAtom == atom.Img && at.Key == "src" {
				continue // checked above
			}
			if strings.HasPrefix(at.Key, "on") || at.Key == "src" || at.Key == "href" {
				t.Errorf("<%s> has attribute %s=%q", n.Data, at.Key, at.Val)
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(doc)

	titles := findAll(doc, atom.Title)
	if len(titles) != 1 || htmlText(titles[0]) != strings.TrimSpace(c.Session.Title) {
		t.Errorf("<title> = %q, want the session title as text", htmlText(titles[0]))
	}
	articles := findAll(doc, atom.Article)
	if len(articles) != len(c.Messages)+1 {
		t.Fatalf("%d articles, want %d (system prompt + one per message)", len(articles), len(c.Messages)+1)
	}
	for i, m := range c.Messages {
		a := articles[i+1]
		text := htmlText(a)
		// Every line of the message that is not a fence marker shows up
		// as text, whole: markup, the 210 kB line, Chinese, emoji.
		for _, line := range strings.Split(normalizeNewlines(m.Content), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") || strings.HasPrefix(strings.TrimSpace(line), "~~~") {
				continue
			}
			if !strings.Contains(text, line) {
				t.Errorf("message %d: line %.80q missing from its article", i, line)
			}
		}
		if m.Error != "" && !strings.Contains(text, "Error: "+m.Error) {
			t.Errorf("message %d: error text missing", i)
		}
		var id string
		for _, at := range a.Attr {
			if at.Key == "id" {
				id = at.Val
			}
		}
		if id != m.ID {
			t.Errorf("article id = %q, want %q", id, m.ID)
		}
	}
	// The unclosed fence in message 2 is code, and code that ends the
	// page's own <pre> in its text did not end it.
	codes := findAll(articles[2], atom.Code)
	if len(codes) != 1 || !strings.Contains(htmlText(codes[0]), "</code></pre><script>evil()</script>") {
		t.Errorf("unclosed fence not rendered as one code block: %d blocks", len(codes))
	}
	if !strings.Contains(buf.String(), "prefers-color-scheme: dark") || !strings.Contains(buf.String(), "default-src 'none'") {
		t.Error("page lacks the dark scheme or the script-forbidding CSP")
	}
}

func TestSegments(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []segment
	}{
		{"prose only", "a\nb", []segment{{Text: "a\nb"}}},
		{"empty", "", nil},
		{"closed fence", "x\n\n```go\ncode\n```\n\ny",
			[]segment{{Text: "x"}, {Code: true, Lang: "go", Text: "code"}, {Text: "y"}}},
		{"unclosed fence runs to the end", "x\n```\na\nb",
			[]segment{{Text: "x"}, {Code: true, Text: "a\nb"}}},
		{"longer fence holds a shorter one", "````md\n```js\n1\n```\n````",
			[]segment{{Code: true, Lang: "md", Text: "```js\n1\n```"}}},
		{"tilde fence not closed by backticks", "~~~\na\n```\n~~~",
			[]segment{{Code: true, Text: "a\n```"}}},
		{"closing fence may be longer, not shorter", "```\na\n``\n`````",
			[]segment{{Code: true, Text: "a\n``"}}},
		{"backtick info with a backtick is not a fence", "``` a`b\nc",
			[]segment{{Text: "``` a`b\nc"}}},
		{"four spaces is not a fence", "    ```\nc", []segment{{Text: "    ```\nc"}}},
		{"indented fence strips its indent", "  ```\n  a\n    b\n  ```",
			[]segment{{Code: true, Text: "a\n  b"}}},
		{"closing fence with text is content", "```\na\n``` x\n```",
			[]segment{{Code: true, Text: "a\n``` x"}}},
		{"CR line endings", "x\r```\ra\r```", []segment{{Text: "x"}, {Code: true, Text: "a"}}},
		{"empty code block", "```\n```", []segment{{Code: true, Text: ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := segments(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("segments(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestFileName(t *testing.T) {
	tests := []struct {
		title string
		zero  bool
		want  string
	}{
		{"Sorting in Go", false, "2026-11-22 Sorting in Go.md"},
		{"a/b\\c:d*e?f\"g<h>i|j", false, "2026-11-22 a_b_c_d_e_f_g_h_i_j.md"},
		{"  spaced \t out\nlines  ", false, "2026-11-22 spaced out lines.md"},
		{"", false, "2026-11-22 chat.md"},
		{"...", true, "chat.md"},
		{".hidden.", true, "hidden.md"},
		{"CON", true, "_CON.md"},
		{"lpt1.txt", true, "_lpt1.txt.md"},
		{"COMX", true, "COMX.md"},
		{chinese, false, "2026-11-22 " + chinese + ".md"},
		{"bell\x07 and\u200b zero-width", true, "bell and zero-width.md"},
	}
	for _, tt := range tests {
		created := t0
		if tt.zero {
			created = time.Time{}
		}
		if got := FileName(tt.title, created, Markdown); got != tt.want {
			t.Errorf("FileName(%q) = %q, want %q", tt.title, got, tt.want)
		}
	}
	long := FileName(strings.Repeat("长", 200), t0, Markdown)
	if !utf8.ValidString(long) || len(long) > maxNameBytes+len("2026-11-22 .md") {
		t.Errorf("long title gave %d bytes, valid UTF-8 %v", len(long), utf8.ValidString(long))
	}
}

func TestUniqueName(t *testing.T) {
	used := map[string]bool{}
	var got []string
	for _, n := range []string{"a.md", "A.md", "a.md", "b.md", "a (2).md"} {
		got = append(got, uniqueName(n, used))
	}
	want := []string{"a.md", "A (2).md", "a (3).md", "b.md", "a (2) (2).md"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("uniqueName sequence = %q, want %q", got, want)
	}
}

// A chat with versions: Markdown and HTML show the path the chat shows,
// JSON keeps every branch and marks the path.
func TestBranchedChatExports(t *testing.T) {
	c := branchedChat()
	shown := []string{"The question, edited", "A regenerated answer to the edit"}
	hidden := []string{"First try at the question", "An answer to the first try", "A follow-up on the old branch", "A first answer to the edit"}
	for _, f := range []Format{Markdown, HTML} {
		var buf bytes.Buffer
		if err := Write(&buf, f, c); err != nil {
			t.Fatal(err)
		}
		for _, s := range shown {
			if !strings.Contains(buf.String(), s) {
				t.Errorf("%s lacks %q from the shown path", f, s)
			}
		}
		for _, s := range hidden {
			if strings.Contains(buf.String(), s) {
				t.Errorf("%s has %q from another branch", f, s)
			}
		}
		if !strings.Contains(buf.String(), "4 messages on other branches are not shown") {
			t.Errorf("%s does not say other versions were left out", f)
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, JSON, c); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Messages []struct {
			ID     string `json:"id"`
			OnPath bool   `json:"on_path"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var onPath []string
	for _, m := range doc.Messages {
		if m.OnPath {
			onPath = append(onPath, m.ID)
		}
	}
	if len(doc.Messages) != 6 || strings.Join(onPath, ",") != "m_b4,m_b6" {
		t.Fatalf("JSON has %d messages, on the path %v; want 6, [m_b4 m_b6]", len(doc.Messages), onPath)
	}
}

// A version 1 export (before chats were trees) reads back as one path.
func TestDecodeVersion1(t *testing.T) {
	v1 := `{"format":"holdfast.chat","format_version":1,"session":{"id":"s_1","title":"Old","model":"demo/demo","system_prompt":"",
"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:01:00Z","message_count":3},"messages":[
{"id":"m_1","session_id":"s_1","role":"user","content":"a","status":"complete","error":"","model":"","client_id":"c","chunks":0,"usage":null,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"},
{"id":"m_2","session_id":"s_1","role":"assistant","content":"b","status":"complete","error":"","model":"demo/demo","client_id":"","chunks":1,"usage":null,"created_at":"2026-01-01T00:00:01Z","updated_at":"2026-01-01T00:00:01Z"},
{"id":"m_3","session_id":"s_1","role":"user","content":"c","status":"complete","error":"","model":"","client_id":"d","chunks":0,"usage":null,"created_at":"2026-01-01T00:00:02Z","updated_at":"2026-01-01T00:00:02Z"}]}`
	c, err := Decode(strings.NewReader(v1))
	if err != nil {
		t.Fatal(err)
	}
	if c.Session.CurrentLeafID != "m_3" || c.Session.TitleSource != store.TitleAuto || !c.Session.LastActivityAt.Equal(c.Session.UpdatedAt) {
		t.Fatalf("session = %+v", c.Session)
	}
	for i, m := range c.Messages {
		wantParent := store.Ref("")
		if i > 0 {
			wantParent = store.Ref(c.Messages[i-1].ID)
		}
		if m.ParentID != wantParent || m.Depth != i {
			t.Errorf("message %s: parent %q depth %d; want %q, %d", m.ID, m.ParentID, m.Depth, wantParent, i)
		}
	}
}

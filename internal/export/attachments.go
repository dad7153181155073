package export

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// Files is where an export reads attached files from.
type Files interface {
	// ReadFile opens the bytes of a stored file.
	ReadFile(id string) (io.ReadCloser, error)
	// Inline is image a as an HTML page embeds it: the original when it
	// is small, else scaled down.
	Inline(a store.Attachment) (data []byte, mime string, err error)
}

// DefaultFilesDir names the folder of attachments when a chat is written
// without a file name to go by (a download).
const DefaultFilesDir = "attachments"

// FilesDirFor is the folder beside an export at path that holds its
// attachments: the file's name without its extension, plus " files"
// ("2026-11-22 Hello.md" → "2026-11-22 Hello files").
func FilesDirFor(exportPath string) string {
	base := filepath.Base(exportPath)
	return strings.TrimSuffix(base, filepath.Ext(base)) + " files"
}

// attachmentFile is where a's copy goes inside the folder of
// attachments: its name made safe, after the first 12 characters of its
// id so two files of one name never collide.
func attachmentFile(a store.Attachment) string {
	name := strings.TrimSuffix(FileName(a.Name, time.Time{}, Markdown), Markdown.Ext())
	return a.ID[:min(12, len(a.ID))] + "-" + name
}

// attachmentLink is the relative path of a's copy, as written into a
// Markdown or JSON export.
func (c Chat) attachmentLink(a store.Attachment) string {
	dir := c.FilesDir
	if dir == "" {
		dir = DefaultFilesDir
	}
	return path.Join(dir, attachmentFile(a))
}

// mdLink is a relative link a Markdown reader follows: each path segment
// escaped (spaces and all), inside <…> as CommonMark allows.
func mdLink(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return "<" + strings.Join(parts, "/") + ">"
}

// mdAttachments writes the files of a message inside its quote, under
// its text: images as images, other files as links, each to its copy in
// the folder beside the export.
func mdAttachments(bw *bufio.Writer, c Chat, m store.Message) {
	if len(m.Attachments) == 0 {
		return
	}
	if m.Content != "" {
		bw.WriteString(">\n")
	}
	for _, a := range m.Attachments {
		label := mdInline(a.Name)
		link := mdLink(c.attachmentLink(a))
		if a.Kind == "image" {
			fmt.Fprintf(bw, "> - ![%s](%s)\n", label, link)
		} else {
			fmt.Fprintf(bw, "> - [%s](%s) (%s)\n", label, link, sizeLabel(a.Size))
		}
	}
}

// htmlFile is an attachment as the HTML page shows it: an image inline
// as a data URL, a text file's text, or the file's name and size.
type htmlFile struct {
	Name  string
	Size  string
	Image template.URL // data:image/…;base64 only
	Text  string
}

// htmlFiles makes the page's view of a message's files. Only the four
// raster image types this package's Files returns become data URLs, and
// their base64 cannot break out of the attribute; names and text are
// escaped by html/template like all other text.
func htmlFiles(c Chat, m store.Message) []htmlFile {
	out := make([]htmlFile, 0, len(m.Attachments))
	for _, a := range m.Attachments {
		f := htmlFile{Name: a.Name, Size: sizeLabel(a.Size)}
		if c.Files != nil {
			switch a.Kind {
			case "image":
				if data, mime, err := c.Files.Inline(a); err == nil && safeImageType(mime) {
					f.Image = template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(data))
				}
			case "text":
				f.Text = readText(c.Files, a.ID, 256<<10)
			}
		}
		out = append(out, f)
	}
	return out
}

func safeImageType(mime string) bool {
	switch mime {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// readText reads up to limit bytes of a text file ("" if it cannot).
func readText(files Files, id string, limit int64) string {
	f, err := files.ReadFile(id)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return ""
	}
	s := strings.ToValidUTF8(string(b), "")
	if int64(len(b)) == limit {
		s = strings.TrimRightFunc(s, func(r rune) bool { return r == utf8.RuneError }) + "\n…"
	}
	return s
}

// sizeLabel is a byte count as people read it.
func sizeLabel(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// WriteFiles copies the attachments of c into dir (the folder that holds
// the export), under c.FilesDir, where the export's links point. Each
// file is written whole or not at all. It returns how many it wrote.
func WriteFiles(dir string, c Chat) (int, error) {
	if c.Files == nil {
		return 0, nil
	}
	filesDir := c.FilesDir
	if filesDir == "" {
		filesDir = DefaultFilesDir
	}
	n := 0
	done := map[string]bool{}
	for _, m := range c.Messages {
		for _, a := range m.Attachments {
			dst := filepath.Join(dir, filepath.FromSlash(filesDir), attachmentFile(a))
			if done[dst] {
				continue
			}
			done[dst] = true
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return n, fmt.Errorf("export attachments: %w", err)
			}
			src, err := c.Files.ReadFile(a.ID)
			if err != nil {
				return n, fmt.Errorf("export attachment %q: %w", a.Name, err)
			}
			err = WriteFileAtomic(dst, func(w io.Writer) error {
				_, err := io.Copy(w, src)
				return err
			})
			src.Close()
			if err != nil {
				return n, fmt.Errorf("export attachment %q: %w", a.Name, err)
			}
			n++
		}
	}
	return n, nil
}

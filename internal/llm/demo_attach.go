package llm

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"unicode/utf8"
)

// demoAcknowledge is how the demo says which files reached it with the
// last user message, so a person (and a test) can see they arrived: one
// line per file with its name, kind and size, what an image measures,
// and how a text begins. It is the same for the same files, so a
// continued answer still equals the uninterrupted one.
func demoAcknowledge(msgs []Message) string {
	var files []Attachment
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			files = msgs[i].Attachments
			break
		}
	}
	if len(files) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "I received %d file(s):\n\n", len(files))
	for _, a := range files {
		name := escapeMarkdown(a.Name)
		switch {
		case a.Omitted:
			fmt.Fprintf(&b, "- **%s**: an image I was not shown\n", name)
		case a.Kind == AttachImage:
			w, h := imageSize(a.MIME, a.Data)
			fmt.Fprintf(&b, "- **%s**: image (%s), %d bytes, %d×%d pixels\n", name, a.MIME, len(a.Data), w, h)
		case a.Kind == AttachPDF:
			fmt.Fprintf(&b, "- **%s**: PDF, %d bytes, %d characters of text%s\n", name, len(a.Data), utf8.RuneCountInString(a.Text), begins(a.Text))
		default:
			fmt.Fprintf(&b, "- **%s**: text, %d lines%s\n", name, strings.Count(a.Text, "\n")+1, begins(a.Text))
		}
	}
	b.WriteString("\n")
	return b.String()
}

// begins quotes the first line of text, shortened.
func begins(text string) string {
	line := strings.TrimSpace(text)
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = strings.TrimSpace(line[:i])
	}
	if line == "" {
		return ""
	}
	if r := []rune(line); len(r) > 60 {
		line = string(r[:60]) + "…"
	}
	return ", beginning “" + escapeMarkdown(line) + "”"
}

// imageSize reads an image's size from its header (0×0 if unreadable).
func imageSize(mime string, data []byte) (int, int) {
	var cfg image.Config
	var err error
	switch mime {
	case "image/png":
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	case "image/jpeg":
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	case "image/gif":
		cfg, err = gif.DecodeConfig(bytes.NewReader(data))
	default:
		return 0, 0
	}
	if err != nil {
		return 0, 0
	}
	return cfg.Width, cfg.Height
}

package attach

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/webp"
)

// Info is what the bytes of a file say it is.
type Info struct {
	Kind   Kind
	MIME   string // image/png, image/jpeg, image/gif, image/webp, application/pdf, text/plain
	Width  int    // images only
	Height int
}

// imageFormats are the raster images every provider takes (OpenAI and
// Anthropic both accept exactly these four). Each decoder is called
// directly, so nothing depends on image.RegisterFormat side effects.
var imageFormats = []struct {
	magic  func([]byte) bool
	mime   string
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}{
	{func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }, "image/png", png.DecodeConfig, png.Decode},
	{func(b []byte) bool { return bytes.HasPrefix(b, []byte("\xff\xd8\xff")) }, "image/jpeg", jpeg.DecodeConfig, jpeg.Decode},
	{func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a"))
	}, "image/gif", gif.DecodeConfig, gif.Decode},
	{func(b []byte) bool {
		return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
	}, "image/webp", webp.DecodeConfig, webp.Decode},
}

// sniff decides what the file in r (size bytes) is from its contents
// alone. name is used only in error messages.
func sniff(r io.ReadSeeker, size int64, name string) (Info, error) {
	if size == 0 {
		return Info{}, fmt.Errorf("%w: %q has no content", ErrEmpty, name)
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return Info{}, fmt.Errorf("read %q: %w", name, err)
	}
	head = head[:n]
	for _, f := range imageFormats {
		if !f.magic(head) {
			continue
		}
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return Info{}, fmt.Errorf("read %q: %w", name, err)
		}
		cfg, err := f.config(bufio.NewReader(r))
		if err != nil {
			return Info{}, fmt.Errorf("%w: %q looks like %s but its header is broken: %v", ErrBadImage, name, f.mime, err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 {
			return Info{}, fmt.Errorf("%w: %q has no pixels", ErrBadImage, name)
		}
		if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
			return Info{}, fmt.Errorf("%w: %q is %d × %d pixels; the limit is %d megapixels", ErrTooManyPx, name, cfg.Width, cfg.Height, MaxPixels/1_000_000)
		}
		return Info{Kind: KindImage, MIME: f.mime, Width: cfg.Width, Height: cfg.Height}, nil
	}
	if bytes.HasPrefix(head, []byte("%PDF-")) {
		return Info{Kind: KindPDF, MIME: "application/pdf"}, nil
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return Info{}, fmt.Errorf("read %q: %w", name, err)
	}
	ok, err := isText(r)
	if err != nil {
		return Info{}, fmt.Errorf("read %q: %w", name, err)
	}
	if ok {
		return Info{Kind: KindText, MIME: "text/plain; charset=utf-8"}, nil
	}
	return Info{}, fmt.Errorf("%w: %q is %s; attach images (PNG, JPEG, GIF, WebP), PDFs or text and code files", ErrUnsupported, name, describe(head))
}

// isText reports whether r is UTF-8 text: valid UTF-8 (a leading BOM
// allowed), no NUL bytes, and only the control characters text has.
func isText(r io.Reader) (bool, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	first := true
	for {
		c, size, err := br.ReadRune()
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if c == utf8.RuneError && size == 1 {
			return false, nil
		}
		if first && c == '\uFEFF' {
			first = false
			continue
		}
		first = false
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' && c != 0x1b {
			return false, nil
		}
	}
}

// describe names what head looks like, for the refusal.
func describe(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "a ZIP archive (or an Office document)"
	case bytes.HasPrefix(head, []byte("\x7fELF")), bytes.HasPrefix(head, []byte("MZ")):
		return "a program"
	}
	ct := http.DetectContentType(head)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if ct == "application/octet-stream" {
		return "binary data of an unknown type"
	}
	return "of type " + ct
}

// Package attach keeps the files users attach to messages. A file is
// stored once, by the SHA-256 of its bytes, as a plain file in the data
// folder (attachments/ab/abcd…); the database holds what it is (size, type
// sniffed from the bytes, image size, extracted text) and which messages
// use it.
//
// Files, not SQLite blobs: an upload is streamed to disk while it is
// hashed, so a 20 MB file never sits in memory or in the WAL, and never
// holds the one writer connection the token stream shares; serving one is
// a plain file read with ranges. The file is fsynced and renamed into
// place before its row commits, so a row always has its file; a file
// without a row (a crash in between) is swept at start-up.
//
// Nothing the client says about a file is trusted: the type comes from the
// bytes (magic numbers, a decodable image header, valid UTF-8 for text),
// names are display strings only (never paths), and anything else is
// refused with a clear error.
package attach

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// Limits. They are documented in docs/attachments.md; change both.
const (
	// MaxFileBytes is the largest file accepted (20 MiB).
	MaxFileBytes = 20 << 20
	// MaxPerMessage is how many files one message may carry.
	MaxPerMessage = store.MaxFilesPerMessage
	// MaxPixels bounds an image's width × height (a decompression bomb
	// is refused before it is decoded): 40 megapixels, e.g. 8000 × 5000.
	MaxPixels = 40_000_000
	// MaxTextBytes is how much text of one file (a text file's content, a
	// PDF's extracted text) is kept for the model and for search.
	MaxTextBytes = 1 << 20
	// MaxNameBytes bounds a file name.
	MaxNameBytes = 255
	// ThumbEdge is the longest edge of a thumbnail, in pixels.
	ThumbEdge = 320
)

// Kind is what a file is, as far as a model is concerned.
type Kind string

// The kinds of file accepted.
const (
	KindImage Kind = "image" // PNG, JPEG, GIF, WebP
	KindPDF   Kind = "pdf"
	KindText  Kind = "text" // any valid UTF-8 text: source code, Markdown, CSV, JSON, HTML, SVG…
)

// Errors a caller maps to answers; each is wrapped with the details.
var (
	ErrTooLarge    = errors.New("file too large")
	ErrEmpty       = errors.New("file is empty")
	ErrUnsupported = errors.New("unsupported file type")
	ErrTooManyPx   = errors.New("image too large")
	ErrBadImage    = errors.New("image cannot be decoded")
	ErrNotFound    = errors.New("attachment not found")
)

// ErrorCode is the stable code for one of the errors above (the JSON
// error code of the upload endpoint, and of a file picked in the desktop
// app's dialog); ok is false for any other error.
func ErrorCode(err error) (code string, ok bool) {
	switch {
	case errors.Is(err, ErrTooLarge):
		return "too_large", true
	case errors.Is(err, ErrTooManyPx):
		return "image_too_large", true
	case errors.Is(err, ErrEmpty):
		return "empty_file", true
	case errors.Is(err, ErrUnsupported):
		return "unsupported_type", true
	case errors.Is(err, ErrBadImage):
		return "bad_image", true
	case errors.Is(err, ErrNotFound):
		return "not_found", true
	}
	return "", false
}

// ValidID reports whether id looks like an attachment id (a lowercase hex
// SHA-256). Every path is built from a checked id only.
func ValidID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// CleanName makes a display name out of whatever a client called a file:
// the last path element, without control or format characters, trimmed,
// at most MaxNameBytes. An empty result becomes "file" plus an extension
// for the kind.
func CleanName(name string, kind Kind) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		// Control characters, and format characters such as the
		// right-to-left override that make "gpj.exe" read "exe.jpg".
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	name = strings.TrimLeft(name, ".") // no hidden files, no ".."
	for len(name) > MaxNameBytes {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" {
		switch kind {
		case KindImage:
			return "image"
		case KindPDF:
			return "document.pdf"
		default:
			return "file.txt"
		}
	}
	return name
}

// sizeText is a byte count for messages.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

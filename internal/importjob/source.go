package importjob

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"

	"github.com/holdfast-chat/holdfast/internal/export"
	"github.com/holdfast-chat/holdfast/internal/importer"
)

func (k *Skip) Error() string {
	name := k.Title
	if name == "" {
		name = k.SourceID
	}
	return fmt.Sprintf("conversation #%d (%q) skipped: %s", k.Index+1, name, k.Reason)
}

// source is an opened export of any format Run reads.
type source interface {
	Format() string
	Count(ctx context.Context) (int, error)
	// Items yields conversations; an error that is a *Skip leaves one out,
	// any other error ends the read.
	Items(ctx context.Context) iter.Seq2[item, error]
	Close() error
}

// ParseFormat reads a format name as typed on the command line: "auto"
// (or "") detects, "holdfast", or any name importer.ParseFormat reads.
func ParseFormat(s string) (string, error) {
	if k := strings.ToLower(strings.TrimSpace(s)); k == FormatHoldfast || k == "holdfast.chat" {
		return FormatHoldfast, nil
	}
	f, err := importer.ParseFormat(s)
	if err != nil {
		return "", fmt.Errorf("%w (or holdfast)", err)
	}
	return string(f), nil
}

// Formats lists the formats Run reads, for help texts.
func Formats() []string {
	out := []string{FormatHoldfast}
	for _, f := range importer.Formats() {
		out = append(out, string(f))
	}
	return out
}

func open(path, format string) (source, error) {
	f, err := ParseFormat(format)
	if err != nil {
		return nil, err
	}
	if f == "" || f == FormatHoldfast {
		hs, ok, err := openHoldfast(path, f == FormatHoldfast)
		if err != nil {
			return nil, err
		}
		if ok {
			return hs, nil
		}
	}
	src, err := importer.Open(path, importer.Options{Format: importer.Format(f)})
	if err != nil {
		var de *importer.DetectError
		if errors.As(err, &de) {
			return nil, fmt.Errorf("%w; nor is it a Holdfast export (a JSON document or JSON Lines with \"format\": %q)", err, export.FormatName)
		}
		return nil, err
	}
	return &otherSource{src: src}, nil
}

// otherSource reads another app's export through importer.
type otherSource struct{ src *importer.Source }

func (o *otherSource) Format() string                         { return string(o.src.Format()) }
func (o *otherSource) Count(ctx context.Context) (int, error) { return o.src.Count(ctx) }
func (o *otherSource) Close() error                           { return o.src.Close() }

func (o *otherSource) Items(ctx context.Context) iter.Seq2[item, error] {
	return func(yield func(item, error) bool) {
		i := -1
		for conv, err := range o.src.Conversations(ctx) {
			i++
			var se *importer.SkippedError
			if errors.As(err, &se) {
				if !yield(item{}, &Skip{Index: se.Index, SourceID: se.SourceID, Title: se.Title, Reason: se.Reason}) {
					return
				}
				continue
			}
			if err != nil {
				yield(item{}, err)
				return
			}
			c := conv
			id := c.SourceID
			if id == "" {
				id = fallbackID(&c)
			}
			if !yield(item{index: i, source: string(c.Source), sourceID: id, title: c.Title, conv: &c}, nil) {
				return
			}
		}
	}
}

// holdfastSource reads Holdfast's own exports: one JSON document (a chat
// exported as JSON) or JSON Lines (every chat, one per line).
type holdfastSource struct {
	f     *os.File
	lines bool
}

// openHoldfast opens path if it is a Holdfast export; ok is false (and
// the file closed) when it is not one, unless must is set, which makes
// that an error.
func openHoldfast(path string, must bool) (_ *holdfastSource, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("open import file: %w", err)
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() {
		err = fmt.Errorf("%s is a folder; choose the export file (a .json, .jsonl or .zip)", path)
	}
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("open import file: %w", err)
	}
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if !isHoldfast(head) {
		f.Close()
		if must {
			return nil, false, fmt.Errorf("open import file: not a Holdfast export (it should start with {\"format\": %q)", export.FormatName)
		}
		return nil, false, nil
	}
	first, _, _ := bytes.Cut(bytes.TrimLeft(head, " \t\r\n\ufeff"), []byte("\n"))
	first = bytes.TrimSpace(first)
	// A JSON Lines export holds a whole chat on its first line; a JSON
	// export is indented, so its first line is just "{".
	lines := string(first) != "{"
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("open import file: %w", err)
	}
	return &holdfastSource{f: f, lines: lines}, true, nil
}

// isHoldfast reports whether a document starts with Holdfast's format key
// (always the first key: the writer's field order is fixed).
func isHoldfast(head []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(head, []byte("\ufeff"))))
	want := []any{json.Delim('{'), "format", export.FormatName}
	for _, w := range want {
		tok, err := dec.Token()
		if err != nil || tok != w {
			return false
		}
	}
	return true
}

func (h *holdfastSource) Format() string { return FormatHoldfast }
func (h *holdfastSource) Close() error   { return h.f.Close() }

func (h *holdfastSource) rewind() error {
	_, err := h.f.Seek(0, io.SeekStart)
	return err
}

// Count counts non-empty lines (JSON Lines) or 1.
func (h *holdfastSource) Count(ctx context.Context) (int, error) {
	if !h.lines {
		return 1, nil
	}
	if err := h.rewind(); err != nil {
		return 0, fmt.Errorf("read import file: %w", err)
	}
	r := bufio.NewReaderSize(h.f, 1<<20)
	n, inLine := 0, false
	buf := make([]byte, 1<<20)
	for i := 0; ; i++ {
		if i%64 == 0 && ctx.Err() != nil {
			return 0, ctx.Err()
		}
		k, err := r.Read(buf)
		for _, c := range buf[:k] {
			switch c {
			case '\n':
				inLine = false
			case ' ', '\t', '\r':
			default:
				if !inLine {
					n++
					inLine = true
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read import file: %w", err)
		}
	}
}

func (h *holdfastSource) Items(ctx context.Context) iter.Seq2[item, error] {
	return func(yield func(item, error) bool) {
		if err := h.rewind(); err != nil {
			yield(item{}, fmt.Errorf("read import file: %w", err))
			return
		}
		if !h.lines {
			c, err := export.Decode(bufio.NewReader(h.f))
			if err != nil {
				yield(item{}, &Skip{Index: 0, Reason: err.Error()})
				return
			}
			yield(holdfastItem(0, c), nil)
			return
		}
		r := bufio.NewReaderSize(h.f, 1<<20)
		for index, lineNo := 0, 1; ; lineNo++ {
			if ctx.Err() != nil {
				yield(item{}, fmt.Errorf("import cancelled: %w", ctx.Err()))
				return
			}
			line, err := readLine(r)
			if len(bytes.TrimSpace(line)) > 0 {
				c, derr := export.Decode(bytes.NewReader(line))
				var ok bool
				if derr != nil {
					ok = yield(item{}, &Skip{Index: index, Reason: fmt.Sprintf("line %d: %v", lineNo, derr)})
				} else {
					ok = yield(holdfastItem(index, c), nil)
				}
				if !ok {
					return
				}
				index++
			}
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(item{}, fmt.Errorf("read import file: %w", err))
				return
			}
		}
	}
}

// readLine reads one line of any length, without its newline.
func readLine(r *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		part, err := r.ReadSlice('\n')
		out = append(out, part...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSuffix(out, []byte("\n")), err
	}
}

func holdfastItem(index int, c export.Chat) item {
	return item{index: index, source: FormatHoldfast, sourceID: c.Session.ID, title: c.Session.Title, holdfast: &c}
}

package importjob

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
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

func open(path, format string, noFolder bool) (source, error) {
	f, err := ParseFormat(format)
	if err != nil {
		return nil, err
	}
	if f == "" || f == FormatHoldfast {
		hs, ok, err := openHoldfast(path, f == FormatHoldfast, noFolder)
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
// exported as JSON) or JSON Lines (every chat, one per line), as a file
// or inside a zip, with the attached files beside it (files).
type holdfastSource struct {
	doc    func() (io.ReadCloser, error)
	lines  bool
	files  exportFiles // nil: no files to read
	closer io.Closer
	cur    io.ReadCloser // the document as read now
}

// openHoldfast opens path if it is a Holdfast export, or a zip holding
// one; ok is false (and the file closed) when it is not one, unless must
// is set, which makes that an error. noFolder: path is an upload, with
// no folder of files beside it.
func openHoldfast(path string, must, noFolder bool) (_ *holdfastSource, ok bool, err error) {
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
	if importer.IsZip(f, st.Size()) {
		hs, ok, err := openHoldfastZip(f, st.Size(), must)
		if !ok || err != nil {
			f.Close()
		}
		return hs, ok, err
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
	hs := &holdfastSource{lines: isLines(head), closer: f,
		doc: func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(f, 0, st.Size())), nil }}
	if !noFolder {
		d := newDirFiles(filepath.Dir(path))
		hs.files, hs.closer = d, multiCloser{f, closerFunc(d.close)}
	}
	return hs, true, nil
}

// openHoldfastZip looks for a Holdfast export in a zip: the one JSON or
// JSON Lines member that starts like one, its files in the folder beside
// it in the zip.
func openHoldfastZip(f *os.File, size int64, must bool) (*holdfastSource, bool, error) {
	zr, err := importer.OpenZip(f, size, importer.Limits{})
	if err != nil {
		if must {
			return nil, false, fmt.Errorf("open import file: %w", err)
		}
		return nil, false, nil // importer says what is wrong with it
	}
	var found []*zip.File
	var heads [][]byte
	looked := 0
	for _, zf := range zr.File {
		n := strings.ToLower(importer.CleanMemberName(zf.Name))
		if zf.FileInfo().IsDir() || strings.HasPrefix(n, "__macosx/") || !(strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".jsonl")) {
			continue
		}
		// A Holdfast zip holds one export; a zip of many JSON files is
		// another app's, and need not be read member by member here.
		if looked++; looked > maxZipHeads {
			break
		}
		rc, err := zf.Open()
		if err != nil {
			continue
		}
		head := make([]byte, 4096)
		k, _ := io.ReadFull(rc, head)
		rc.Close()
		if isHoldfast(head[:k]) {
			found = append(found, zf)
			heads = append(heads, head[:k])
		}
	}
	switch len(found) {
	case 0:
		if must {
			return nil, false, errors.New("open import file: the zip holds no Holdfast export (a .json or .jsonl file starting with {\"format\": \"holdfast.chat\")")
		}
		return nil, false, nil
	case 1:
	default:
		names := make([]string, len(found))
		for i, zf := range found {
			names[i] = zf.Name
		}
		return nil, false, fmt.Errorf("open import file: the zip holds several Holdfast exports (%s); zip one at a time", strings.Join(names, ", "))
	}
	member := found[0]
	return &holdfastSource{lines: isLines(heads[0]), files: newZipFiles(zr, member.Name), closer: f,
		doc: func() (io.ReadCloser, error) {
			rc, err := member.Open()
			if err != nil {
				return nil, fmt.Errorf("read %s in the zip: %w", member.Name, err)
			}
			return rc, nil
		}}, true, nil
}

// maxZipHeads bounds the JSON members of a zip looked at for a Holdfast
// export.
const maxZipHeads = 64

// isLines tells JSON Lines from a JSON document by its head: a JSON Lines
// export holds a whole chat on its first line; a JSON export is
// indented, so its first line is just "{".
func isLines(head []byte) bool {
	first, _, _ := bytes.Cut(bytes.TrimLeft(head, " \t\r\n\ufeff"), []byte("\n"))
	return string(bytes.TrimSpace(first)) != "{"
}

type closerFunc func() error

func (c closerFunc) Close() error { return c() }

type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var errs []error
	for _, c := range m {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
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
func (h *holdfastSource) Close() error {
	if h.cur != nil {
		h.cur.Close()
	}
	return h.closer.Close()
}

// rewind opens the document again from its start.
func (h *holdfastSource) rewind() (io.Reader, error) {
	if h.cur != nil {
		h.cur.Close()
	}
	var err error
	h.cur, err = h.doc()
	return h.cur, err
}

// Count counts non-empty lines (JSON Lines) or 1.
func (h *holdfastSource) Count(ctx context.Context) (int, error) {
	if !h.lines {
		return 1, nil
	}
	doc, err := h.rewind()
	if err != nil {
		return 0, fmt.Errorf("read import file: %w", err)
	}
	r := bufio.NewReaderSize(doc, 1<<20)
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
		doc, err := h.rewind()
		if err != nil {
			yield(item{}, fmt.Errorf("read import file: %w", err))
			return
		}
		if !h.lines {
			c, err := export.Decode(bufio.NewReader(doc))
			if err != nil {
				yield(item{}, &Skip{Index: 0, Reason: err.Error()})
				return
			}
			yield(h.holdfastItem(0, c), nil)
			return
		}
		r := bufio.NewReaderSize(doc, 1<<20)
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
					ok = yield(h.holdfastItem(index, c), nil)
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

func (h *holdfastSource) holdfastItem(index int, c export.Chat) item {
	return item{index: index, source: FormatHoldfast, sourceID: c.Session.ID, title: c.Session.Title, holdfast: &c, files: h.files}
}

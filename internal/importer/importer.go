// Package importer reads chat exports of other apps (ChatGPT, Claude, Open
// WebUI, LibreChat, Cherry Studio, Chatbox) into one neutral conversation
// tree. It only reads: storing what it yields is the caller's job.
//
// A file is opened with Open (a JSON file, or a zip as the apps export it),
// its format is detected from the content unless Options.Format names one,
// and Conversations yields the conversations one at a time, decoding the
// file as a stream so a very large export never sits in memory whole. A
// conversation that cannot be read is reported with a *SkippedError and the
// others go on; an error that is not a *SkippedError ends the iteration.
// docs/import.md describes what each format maps to.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
)

// Format names an export format.
type Format string

// The formats this package reads.
const (
	FormatChatGPT      Format = "chatgpt"
	FormatClaude       Format = "claude"
	FormatOpenWebUI    Format = "openwebui"
	FormatLibreChat    Format = "librechat"
	FormatCherryStudio Format = "cherrystudio"
	FormatChatbox      Format = "chatbox"
)

// Formats lists every format, in the order detection tries them.
func Formats() []Format {
	return []Format{FormatChatGPT, FormatClaude, FormatOpenWebUI, FormatLibreChat, FormatCherryStudio, FormatChatbox}
}

// ParseFormat reads a format name as a user would type it ("auto" and ""
// mean detect, returned as ""; "open-webui" and "cherry-studio" are
// accepted spellings).
func ParseFormat(s string) (Format, error) {
	k := strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(strings.TrimSpace(s)))
	switch k {
	case "", "auto":
		return "", nil
	case "chatgpt", "openai":
		return FormatChatGPT, nil
	case "claude", "anthropic":
		return FormatClaude, nil
	case "openwebui":
		return FormatOpenWebUI, nil
	case "librechat":
		return FormatLibreChat, nil
	case "cherrystudio", "cherry":
		return FormatCherryStudio, nil
	case "chatbox":
		return FormatChatbox, nil
	}
	names := make([]string, 0, 7)
	names = append(names, "auto")
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("unknown import format %q (one of: %s)", s, strings.Join(names, ", "))
}

// Options tune Open. The zero value detects the format and uses the
// default limits.
type Options struct {
	// Format skips detection when set.
	Format Format
	Limits Limits
}

// Limits bound what a hostile file can cost. Zero fields take the
// defaults.
type Limits struct {
	// MaxUncompressed is the most a zip may expand to, all members
	// together, by their declared sizes (which the zip reader enforces).
	MaxUncompressed int64
	// MaxEntries is the most members a zip may have.
	MaxEntries int
	// MaxRatio is the highest compression ratio allowed for a member over
	// 1 MiB; real exports stay far below it, zip bombs far above.
	MaxRatio int64
	// MaxInline is the largest inline (data: URL) attachment decoded.
	MaxInline int64
}

// Default limits.
const (
	DefaultMaxUncompressed = 32 << 30
	DefaultMaxEntries      = 500_000
	DefaultMaxRatio        = 1000
	DefaultMaxInline       = 64 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxUncompressed <= 0 {
		l.MaxUncompressed = DefaultMaxUncompressed
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	if l.MaxInline <= 0 {
		l.MaxInline = DefaultMaxInline
	}
	return l
}

// Source is an opened export. It stays open while conversations are read
// and while attachment data from a zip is read; Close releases it.
type Source struct {
	format Format
	// doc opens the document that holds the conversations (the file itself,
	// or its conversations.json / data.json inside a zip).
	doc    func() (io.ReadCloser, error)
	docErr string // how to name the document in errors
	zip    *zipArchive
	limits Limits
	closer io.Closer
}

// Open opens the export at path: a JSON file, or a zip holding one (a
// ChatGPT or Claude data export, a Cherry Studio backup) as the app wrote
// it.
func Open(path string, opts Options) (*Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open import file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open import file: %w", err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("open import file: %s is a folder; choose the export file (a .json or .zip)", path)
	}
	s, err := OpenReaderAt(f, st.Size(), opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.closer = f
	return s, nil
}

// OpenReaderAt opens an export held in r (size bytes), like Open.
func OpenReaderAt(r io.ReaderAt, size int64, opts Options) (*Source, error) {
	s := &Source{limits: opts.Limits.withDefaults(), docErr: "the file"}
	if isZip(r, size) {
		z, err := openZip(r, size, s.limits)
		if err != nil {
			return nil, err
		}
		member, err := z.conversationsMember(opts.Format)
		if err != nil {
			return nil, err
		}
		s.zip = z
		s.doc = z.opener(member)
		s.docErr = member.Name + " in the zip"
	} else {
		s.doc = func() (io.ReadCloser, error) {
			return io.NopCloser(io.NewSectionReader(r, 0, size)), nil
		}
	}
	format, err := ParseFormat(string(opts.Format))
	if err != nil {
		return nil, err
	}
	if format == "" {
		if format, err = s.detect(); err != nil {
			return nil, err
		}
	}
	s.format = format
	return s, nil
}

// Format is the format the source is read as.
func (s *Source) Format() Format { return s.format }

// Close releases the file. Attachment data from a zip cannot be read after
// it.
func (s *Source) Close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer.Close()
}

// parser reads one format: it decodes r and hands every conversation (or
// the reason one was skipped) to out, returning an error only when the
// document cannot be read any further.
type parser func(ctx context.Context, r io.Reader, e *env, out *sink) error

func (s *Source) parser() parser {
	switch s.format {
	case FormatChatGPT:
		return parseChatGPT
	case FormatClaude:
		return parseClaude
	case FormatOpenWebUI:
		return parseOpenWebUI
	case FormatLibreChat:
		return parseLibreChat
	case FormatCherryStudio:
		return parseCherryStudio
	case FormatChatbox:
		return parseChatbox
	}
	return nil
}

// env is what a parser may use besides the document: the zip the export
// came in (for attachments) and the limits.
type env struct {
	zip    *zipArchive
	limits Limits
}

// Conversations yields the export's conversations in file order. A
// conversation that could not be read comes with a *SkippedError (and only
// its SourceID and Title set); any other error is the last thing yielded.
// Iterating again reads the file again.
func (s *Source) Conversations(ctx context.Context) iter.Seq2[Conversation, error] {
	return func(yield func(Conversation, error) bool) {
		rc, err := s.doc()
		if err != nil {
			yield(Conversation{}, fmt.Errorf("read %s: %w", s.docErr, err))
			return
		}
		defer rc.Close()
		out := &sink{ctx: ctx, format: s.format, yield: yield}
		err = s.parser()(ctx, rc, &env{zip: s.zip, limits: s.limits}, out)
		if out.stopped {
			if out.err != nil {
				yield(Conversation{}, out.err)
			}
			return
		}
		if err != nil {
			yield(Conversation{}, fmt.Errorf("read %s (as %s): %w", s.docErr, s.format, err))
		}
	}
}

// Count returns how many conversations Conversations will yield (skipped
// ones included), for a progress bar. For the formats that are a list of
// conversations it only scans the file.
func (s *Source) Count(ctx context.Context) (int, error) {
	switch s.format {
	case FormatChatGPT, FormatClaude, FormatOpenWebUI:
		rc, err := s.doc()
		if err != nil {
			return 0, fmt.Errorf("read %s: %w", s.docErr, err)
		}
		defer rc.Close()
		return countElements(ctx, rc)
	}
	n := 0
	for _, err := range s.Conversations(ctx) {
		if err != nil && !IsSkipped(err) {
			return 0, err
		}
		n++
	}
	return n, nil
}

// sink passes a parser's results to the consumer and notices when the
// consumer stops or the context is cancelled.
type sink struct {
	ctx     context.Context
	format  Format
	yield   func(Conversation, error) bool
	stopped bool
	err     error
}

// emit finishes a conversation and yields it; false means stop.
func (s *sink) emit(d *draft, index int) bool {
	if !s.live() {
		return false
	}
	d.conv.Source = s.format
	c, err := finish(d, index)
	if err != nil {
		skipped := Conversation{Source: s.format, SourceID: d.conv.SourceID, Title: d.conv.Title}
		var se *SkippedError
		if errors.As(err, &se) {
			skipped.SourceID, skipped.Title = se.SourceID, se.Title
		}
		return s.send(skipped, err)
	}
	return s.send(c, nil)
}

// skip reports a conversation that could not be read; false means stop.
func (s *sink) skip(index int, id, title, reason string) bool {
	if !s.live() {
		return false
	}
	err := &SkippedError{Index: index, SourceID: id, Title: title, Reason: reason}
	return s.send(Conversation{Source: s.format, SourceID: id, Title: title}, err)
}

func (s *sink) live() bool {
	if s.stopped {
		return false
	}
	if err := s.ctx.Err(); err != nil {
		s.stopped, s.err = true, fmt.Errorf("import cancelled: %w", err)
		return false
	}
	return true
}

func (s *sink) send(c Conversation, err error) bool {
	if !s.yield(c, err) {
		s.stopped = true
	}
	return !s.stopped
}

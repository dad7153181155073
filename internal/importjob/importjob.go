// Package importjob writes chats read from an export into the store: other
// apps' exports through internal/importer, Holdfast's own JSON and JSON
// Lines exports through internal/export. It sits above both readers and
// the store (importer stays a pure reader that knows nothing of the
// store), and below the server, the CLI and the desktop app, which start
// imports through Run or a Manager.
//
// Every conversation is stored whole or not at all (one savepoint each,
// several conversations per transaction so 5,000 chats do not cost 5,000
// commits), keeps its original dates and its tree, and is recorded with
// its source and source id so importing the same file again adds nothing.
package importjob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/holdfast-chat/holdfast/internal/export"
	"github.com/holdfast-chat/holdfast/internal/importer"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// FormatHoldfast names Holdfast's own JSON / JSON Lines exports.
const FormatHoldfast = "holdfast"

// Store is what an import needs of the store.
type Store interface {
	Bulk(ctx context.Context, fn func(*store.Bulk) error) error
	Imported(ctx context.Context, source, sourceID string) (string, error)
}

var _ Store = (*store.Store)(nil)

// Options tune Run.
type Options struct {
	// Format is "", "auto", "holdfast" or one of importer's format names.
	Format string
	// DryRun reads and checks everything and writes nothing.
	DryRun bool
	// Progress, when set, is called after every conversation (from the
	// goroutine running the import).
	Progress func(Progress)
	// Committed, when set, is called with the sessions of each committed
	// transaction, so the caller can tell clients about them.
	Committed func(sessionIDs []string)
	// Model is the model imported chats continue with (the app's default);
	// "" keeps the source's model name. Each answer keeps the model that
	// wrote it either way.
	Model string
	// Files stores the attached files of Holdfast exports (attach.Service);
	// nil leaves them as names in the messages' text.
	Files Uploader
	// NoFolder: the export is an upload, with no folder of files beside
	// it (its files can only come in a zip).
	NoFolder bool
	// BatchMessages bounds the messages written per transaction (default
	// 5000): big enough that commits cost little, small enough that the
	// writer connection is never held long (the event log shares it).
	BatchMessages int
}

// Progress is how far an import is.
type Progress struct {
	Total    int `json:"total"` // conversations in the file; 0 while unknown
	Done     int `json:"done"`  // conversations handled (imported or skipped)
	Imported int `json:"imported"`
	Skipped  int `json:"skipped"`
}

// Skip is one conversation left out, and why.
type Skip struct {
	Index    int    `json:"index"` // place in the file, from 0
	SourceID string `json:"source_id"`
	Title    string `json:"title"`
	Reason   string `json:"reason"`
	// Duplicate: already imported (or already here), not a problem.
	Duplicate bool `json:"duplicate"`
}

// Note is a repair or omission inside an imported conversation.
type Note struct {
	SessionID string `json:"session_id"`
	Title     string `json:"title"`
	Text      string `json:"text"`
}

// Summary is what an import did.
type Summary struct {
	Format   string `json:"format"`
	DryRun   bool   `json:"dry_run"`
	Total    int    `json:"total"`
	Imported int    `json:"imported"`
	Messages int    `json:"messages"` // messages of the imported chats
	// Files counts the files attached to the imported messages (Holdfast
	// exports; a file on two messages counts twice, and is stored once);
	// MissingFiles those not found or refused, each left as its name in
	// its message's text.
	Files        int `json:"files"`
	MissingFiles int `json:"missing_files"`
	// Duplicates counts the conversations left out because they were
	// imported before (or are Holdfast chats already here).
	Duplicates int `json:"duplicates"`
	// Failed counts the conversations left out for any other reason;
	// Skipped lists them (the first maxListed) with the reason.
	Failed    int    `json:"failed"`
	Skipped   []Skip `json:"skipped"`
	Notes     []Note `json:"notes"`
	Cancelled bool   `json:"cancelled"`
}

// maxListed bounds the skips and notes a summary lists (a pathological
// file could produce one per message); the counts stay exact.
const maxListed = 1000

// Run imports the export at path into st.
//
// A file that cannot be opened or recognised gives an error and writes
// nothing. A conversation that cannot be read or stored is skipped (the
// summary says why) and the others go on. When ctx is cancelled the
// import stops after the conversations already stored, which stay, and
// the summary says Cancelled; the error is nil then.
func Run(ctx context.Context, st Store, path string, opts Options) (Summary, error) {
	if opts.BatchMessages <= 0 {
		opts.BatchMessages = 5000
	}
	src, err := open(path, opts.Format, opts.NoFolder)
	if err != nil {
		return Summary{}, err
	}
	defer src.Close()
	sum := Summary{Format: src.Format(), DryRun: opts.DryRun}
	total, err := src.Count(ctx)
	if err != nil {
		if ctx.Err() != nil {
			sum.Cancelled = true
			return sum, nil
		}
		return sum, err
	}
	sum.Total = total
	w := &writer{st: st, opts: opts, sum: &sum, prog: Progress{Total: total}}
	if opts.Progress != nil {
		opts.Progress(w.prog)
	}
	for item, err := range src.Items(ctx) {
		if err != nil {
			var skip *Skip
			if errors.As(err, &skip) {
				w.skip(*skip)
				continue
			}
			if ctx.Err() != nil {
				break
			}
			// The rest of the file cannot be read; what was read is kept.
			if ferr := w.flush(ctx); ferr != nil {
				return sum, ferr
			}
			return sum, err
		}
		if err := w.prepare(ctx, &item); err != nil {
			return sum, err
		}
		w.add(item)
		if w.pendingMessages >= opts.BatchMessages {
			if err := w.flush(ctx); err != nil {
				return sum, err
			}
		}
	}
	if ctx.Err() != nil {
		// What is parsed but not stored is dropped: the import stops at a
		// conversation boundary the user was shown.
		sum.Cancelled = true
		return sum, nil
	}
	return sum, w.flush(ctx)
}

// item is one conversation ready to store: a Holdfast chat (kept as is)
// or another app's conversation.
type item struct {
	index    int
	source   string
	sourceID string
	title    string
	holdfast *export.Chat
	conv     *importer.Conversation
	files    exportFiles // where a Holdfast chat's attached files are
	attached *chatFiles  // set by prepare
}

func (it item) messages() int {
	if it.holdfast != nil {
		return len(it.holdfast.Messages)
	}
	return len(it.conv.Messages)
}

// writer stores items a batch at a time.
type writer struct {
	st              Store
	opts            Options
	sum             *Summary
	prog            Progress
	pending         []item
	pendingMessages int
}

func (w *writer) skip(k Skip) {
	if k.Duplicate {
		w.sum.Duplicates++
	} else {
		w.sum.Failed++
		if len(w.sum.Skipped) < maxListed {
			w.sum.Skipped = append(w.sum.Skipped, k)
		}
	}
	w.prog.Done++
	w.prog.Skipped++
	w.report()
}

func (w *writer) report() {
	if w.opts.Progress != nil {
		w.opts.Progress(w.prog)
	}
}

func (w *writer) note(sessionID, title, text string) {
	if len(w.sum.Notes) < maxListed {
		w.sum.Notes = append(w.sum.Notes, Note{SessionID: sessionID, Title: title, Text: text})
	}
}

// prepare stores the attached files of a Holdfast chat ahead of its
// transaction (not for a chat imported before: it would be left out).
func (w *writer) prepare(ctx context.Context, it *item) error {
	if it.holdfast == nil || !hasAttachments(it.holdfast) {
		return nil
	}
	id, err := w.st.Imported(ctx, it.source, it.sourceID)
	if err != nil {
		return err
	}
	if id != "" {
		return nil
	}
	cf := prepareFiles(ctx, it.holdfast, it.files, w.opts.Files, w.opts.DryRun)
	it.attached = &cf
	return nil
}

func hasAttachments(c *export.Chat) bool {
	for _, m := range c.Messages {
		if len(m.Attachments) > 0 {
			return true
		}
	}
	return false
}

func (w *writer) add(it item) {
	w.pending = append(w.pending, it)
	w.pendingMessages += it.messages()
}

// flush stores the pending items in one transaction, each under its own
// savepoint. The write is not cancelled half way: a batch is short, and
// its conversations were read whole.
func (w *writer) flush(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	batch := w.pending
	w.pending, w.pendingMessages = nil, 0
	if w.opts.DryRun {
		return w.dryRun(ctx, batch)
	}
	type outcome struct {
		session  string
		messages int
		skip     *Skip
		notes    []string
		files    int
		missing  int
	}
	var results []outcome
	err := w.st.Bulk(context.WithoutCancel(ctx), func(b *store.Bulk) error {
		results = results[:0]
		now := time.Now().UTC()
		for _, it := range batch {
			k := Skip{Index: it.index, SourceID: it.sourceID, Title: it.title}
			if id, err := b.Imported(it.source, it.sourceID); err != nil {
				return err
			} else if id != "" {
				k.Reason, k.Duplicate = "already imported", true
				results = append(results, outcome{skip: &k})
				continue
			}
			var o outcome
			err := b.Savepoint(func() error {
				var err error
				if it.holdfast != nil {
					o.session, o.notes, err = storeHoldfast(b, it.holdfast, it.attached)
				} else {
					o.session, o.notes, err = storeConversation(b, it.conv, w.opts.Model)
				}
				if err != nil {
					return err
				}
				return b.RecordImport(it.source, it.sourceID, o.session, now)
			})
			var dup *duplicateError
			switch {
			case errors.As(err, &dup):
				k.Reason, k.Duplicate = dup.Error(), true
				o = outcome{skip: &k}
			case err != nil:
				k.Reason = "could not be stored: " + err.Error()
				o = outcome{skip: &k}
			default:
				o.messages = it.messages()
				if it.attached != nil {
					o.files, o.missing = it.attached.stored, it.attached.lost
				}
			}
			results = append(results, o)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store imported chats: %w", err)
	}
	var committed []string
	for i, o := range results {
		if o.skip != nil {
			w.skip(*o.skip)
			continue
		}
		w.sum.Imported++
		w.sum.Messages += o.messages
		w.sum.Files += o.files
		w.sum.MissingFiles += o.missing
		committed = append(committed, o.session)
		for _, n := range o.notes {
			w.note(o.session, batch[i].title, n)
		}
		w.prog.Done++
		w.prog.Imported++
		w.report()
	}
	if len(committed) > 0 && w.opts.Committed != nil {
		w.opts.Committed(committed)
	}
	return nil
}

// dryRun reports what a real run would do with batch.
func (w *writer) dryRun(ctx context.Context, batch []item) error {
	for _, it := range batch {
		id, err := w.st.Imported(ctx, it.source, it.sourceID)
		if err != nil {
			return err
		}
		if id != "" {
			w.skip(Skip{Index: it.index, SourceID: it.sourceID, Title: it.title, Reason: "already imported", Duplicate: true})
			continue
		}
		w.sum.Imported++
		w.sum.Messages += it.messages()
		if it.attached != nil {
			w.sum.Files += it.attached.stored
			w.sum.MissingFiles += it.attached.lost
			for _, n := range it.attached.notes {
				w.note("", it.title, n)
			}
		}
		if it.conv != nil {
			for _, n := range it.conv.Warnings {
				w.note("", it.title, n)
			}
		}
		w.prog.Done++
		w.prog.Imported++
		w.report()
	}
	return nil
}

// duplicateError: the chat's ids are already in the store (a Holdfast
// export read back into the database it came from).
type duplicateError struct{ what string }

func (e *duplicateError) Error() string { return e.what }

// fallbackID gives a conversation without a source id a stable one, so
// importing it again is still recognised.
func fallbackID(c *importer.Conversation) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d", c.Source, c.Title, c.CreatedAt.UnixMilli(), len(c.Messages))
	for i, m := range c.Messages {
		if i == 8 {
			break
		}
		fmt.Fprintf(h, "\x00%s\x00%s", m.Role, m.Content)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:32]
}

// oneLine shortens text for a title.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) > max {
		return strings.TrimSpace(string(r[:max])) + "…"
	}
	return s
}

package attach

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// DefaultLease is how long an uploaded file nobody references yet is
// kept: long enough for a message queued offline to be sent the next day.
// A client whose file was swept meanwhile uploads it again (it keeps the
// bytes until its message is sent).
const DefaultLease = 7 * 24 * time.Hour

// Log is the slice of the event log uploads write through (the one
// writer), so an attachment row commits like every other change.
type Log interface {
	Do(ctx context.Context, fn func(*store.Tx) ([]eventlog.Event, error)) ([]*eventlog.Record, error)
}

// Reader is the slice of the store the service reads.
type Reader interface {
	GetAttachment(ctx context.Context, id string) (store.AttachmentFile, error)
	UnusedAttachments(ctx context.Context, now time.Time) ([]string, error)
	AttachmentKnown(ctx context.Context, ids []string) (map[string]bool, error)
}

var (
	_ Log    = (*eventlog.Log)(nil)
	_ Reader = (*store.Store)(nil)
)

// Service receives uploads, serves stored files and sweeps unused ones.
type Service struct {
	files *Files
	log   Log
	store Reader
	lease time.Duration
	now   func() time.Time
	slog  *slog.Logger

	// mu orders keeping a file and recording it (uploads, shared) against
	// deleting files (exclusive), so a file is never deleted under a row
	// that an upload of the same bytes is about to write.
	mu sync.RWMutex
}

// NewService makes a Service over files. lease 0 means DefaultLease.
func NewService(files *Files, log Log, st Reader, lease time.Duration, logger *slog.Logger) *Service {
	if lease <= 0 {
		lease = DefaultLease
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{files: files, log: log, store: st, lease: lease, now: time.Now, slog: logger}
}

// Files is the folder the bytes live in.
func (s *Service) Files() *Files { return s.files }

// Upload receives one file: streamed to disk, hashed, checked, kept, and
// recorded with a lease so it survives until a message takes it. The
// same bytes uploaded again give the same attachment (and renew the
// lease). name is cleaned into a display name.
func (s *Service) Upload(ctx context.Context, name string, body io.Reader) (store.Attachment, error) {
	rc, err := s.files.Receive(ctx, body, CleanName(name, KindText))
	if err != nil {
		return store.Attachment{}, err
	}
	name = CleanName(name, rc.Info.Kind)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.files.Keep(rc); err != nil {
		return store.Attachment{}, err
	}
	now := s.now()
	f := store.AttachmentFile{ID: rc.ID, Size: rc.Size, MIME: rc.Info.MIME, Kind: string(rc.Info.Kind),
		Width: rc.Info.Width, Height: rc.Info.Height, Text: rc.Text, CreatedAt: now}
	_, err = s.log.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
		return nil, tx.PutAttachment(f, now.Add(s.lease))
	})
	if err != nil {
		// The file stays; the sweep removes it if no row ever names it.
		return store.Attachment{}, fmt.Errorf("record upload %q: %w", name, err)
	}
	return store.Attachment{ID: f.ID, Name: name, Size: f.Size, MIME: f.MIME, Kind: f.Kind, Width: f.Width, Height: f.Height}, nil
}

// Get reads a stored file's facts.
func (s *Service) Get(ctx context.Context, id string) (store.AttachmentFile, error) {
	if !ValidID(id) {
		return store.AttachmentFile{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	f, err := s.store.GetAttachment(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.AttachmentFile{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return f, err
}

// Remove deletes the files of those of ids that have no row (any more);
// call it after the transaction that freed them. It returns how many it
// removed.
func (s *Service) Remove(ids []string) int {
	if len(ids) == 0 {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	known, err := s.store.AttachmentKnown(context.Background(), ids)
	if err != nil {
		s.slog.Warn("attachment files kept: cannot check their rows", "err", err)
		return 0
	}
	n := 0
	for _, id := range ids {
		if !known[id] {
			s.files.Remove(id)
			n++
		}
	}
	return n
}

// Sweep deletes attachments nothing references and no lease holds, and
// files on disk that no row names (a crash between keeping a file and
// recording it). It returns how many files it removed.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	unused, err := s.store.UnusedAttachments(ctx, s.now())
	if err != nil {
		return 0, err
	}
	var freed []string
	if len(unused) > 0 {
		_, err = s.log.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
			var err error
			freed, err = tx.FreeAttachments(unused, s.now())
			return nil, err
		})
		if err != nil {
			return 0, fmt.Errorf("sweep attachments: %w", err)
		}
		s.Remove(freed)
	}
	onDisk, err := s.files.IDs()
	if err != nil {
		return len(freed), err
	}
	orphans := s.Remove(onDisk)
	if n := len(freed) + orphans; n > 0 {
		s.slog.Info("swept unused attachments", "rows", len(freed), "orphan_files", orphans)
	}
	return len(freed) + orphans, nil
}

// Describe returns the stored facts of refs, with their names, in order;
// an unknown id is store.ErrUnknownAttachment.
func (s *Service) Describe(ctx context.Context, refs []store.AttachmentRef) ([]store.Attachment, error) {
	out := make([]store.Attachment, len(refs))
	for i, r := range refs {
		f, err := s.store.GetAttachment(ctx, r.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s (%q); upload it again", store.ErrUnknownAttachment, r.ID, r.Name)
		}
		if err != nil {
			return nil, err
		}
		out[i] = store.Attachment{ID: f.ID, Name: r.Name, Size: f.Size, MIME: f.MIME, Kind: f.Kind, Width: f.Width, Height: f.Height}
	}
	return out, nil
}

// Contents returns what a model is sent for a: images scaled to fit lim,
// a PDF's bytes and extracted text, a text file's text.
func (s *Service) Contents(ctx context.Context, a store.Attachment, lim ImageLimit) ([]byte, string, string, error) {
	switch Kind(a.Kind) {
	case KindImage:
		data, mime, err := s.files.ForModel(a.ID, a.MIME, a.Size, a.Width, a.Height, lim)
		return data, mime, "", err
	case KindPDF:
		f, err := s.Get(ctx, a.ID)
		if err != nil {
			return nil, "", "", err
		}
		data, err := os.ReadFile(s.files.Path(a.ID))
		if err != nil {
			return nil, "", "", fmt.Errorf("%w: the file of %s cannot be read: %v", ErrNotFound, a.ID, err)
		}
		return data, f.MIME, f.Text, nil
	default:
		f, err := s.Get(ctx, a.ID)
		if err != nil {
			return nil, "", "", err
		}
		return nil, f.MIME, f.Text, nil
	}
}

// Open opens the bytes of a stored file for serving.
func (s *Service) Open(id string) (*os.File, error) { return s.files.Open(id) }

// Thumbnail is the small version of image f for the chat.
func (s *Service) Thumbnail(f store.AttachmentFile) ([]byte, string, error) {
	if Kind(f.Kind) != KindImage {
		return nil, "", fmt.Errorf("%w: %s is not an image", ErrNotFound, f.ID)
	}
	return s.files.Thumbnail(f.ID, f.MIME)
}

// StoreLog runs the service's writes as plain store transactions, for
// tools that write the database without an event log (the import
// command): no client listens there, and uploads append no events.
type StoreLog struct{ Store *store.Store }

// Do runs fn in one store transaction.
func (l StoreLog) Do(ctx context.Context, fn func(*store.Tx) ([]eventlog.Event, error)) ([]*eventlog.Record, error) {
	return nil, l.Store.Write(ctx, func(tx *store.Tx) error {
		_, err := fn(tx)
		return err
	})
}

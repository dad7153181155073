package chat

import (
	"context"
	"errors"
	"fmt"

	"github.com/holdfast-chat/holdfast/internal/attach"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// Errors about attachments callers map to statuses.
var (
	// ErrNoVision: the message carries an image and its model cannot see.
	ErrNoVision = errors.New("this model cannot see images")
	// ErrTooManyFiles: more files on one message than attach.MaxPerMessage.
	ErrTooManyFiles = errors.New("too many files on one message")
)

// Attachments is what the service needs of the attachment store: the
// facts of files a message names, their contents for a model, and
// deleting the files of freed rows.
type Attachments interface {
	// Describe returns the stored facts of refs, with their names, in
	// order; an unknown id is store.ErrUnknownAttachment.
	Describe(ctx context.Context, refs []store.AttachmentRef) ([]store.Attachment, error)
	// Contents returns what a model is sent for a: the bytes of images
	// (scaled to fit lim) and PDFs, and the text of PDFs and text files.
	Contents(ctx context.Context, a store.Attachment, lim attach.ImageLimit) (data []byte, mime, text string, err error)
	// Remove deletes the files of attachments whose rows were freed.
	Remove(ids []string) int
}

var _ Attachments = (*attach.Service)(nil)

// WithAttachments lets messages carry files stored in a.
func WithAttachments(a Attachments) Option {
	return func(s *Service) { s.files = a }
}

// prepareFiles checks the files a new user message names: how many,
// that each is stored, and that the model can see any image among them
// (asked before anything is stored or sent). It returns the refs with
// clean names.
func (s *Service) prepareFiles(ctx context.Context, refs []store.AttachmentRef, modelRef string) ([]store.AttachmentRef, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	if s.files == nil {
		return nil, fmt.Errorf("%w: this server does not take attachments", ErrInvalid)
	}
	if len(refs) > attach.MaxPerMessage {
		return nil, fmt.Errorf("%w: %d files; one message takes at most %d", ErrTooManyFiles, len(refs), attach.MaxPerMessage)
	}
	clean := make([]store.AttachmentRef, len(refs))
	for i, r := range refs {
		if !attach.ValidID(r.ID) {
			return nil, fmt.Errorf("%w: attachment id %q is not a file id", ErrInvalid, r.ID)
		}
		clean[i] = store.AttachmentRef{ID: r.ID, Name: r.Name}
	}
	described, err := s.files.Describe(ctx, clean)
	if err != nil {
		return nil, err
	}
	for i, a := range described {
		clean[i].Name = attach.CleanName(clean[i].Name, attach.Kind(a.Kind))
	}
	for _, a := range described {
		if a.Kind != string(attach.KindImage) {
			continue
		}
		p, model, err := s.resolve(modelRef)
		if err != nil {
			return nil, err
		}
		if v := llm.CanSee(ctx, p, model); v.Known && !v.Can {
			how := "the server says so"
			if v.Source == "setting" {
				how = "Settings say so"
			}
			return nil, fmt.Errorf("%w: %s does not take images (%s); pick a model that can see, or remove %q", ErrNoVision, modelRef, how, a.Name)
		}
		break
	}
	return clean, nil
}

// modelFiles turns the files of a history message into what the
// provider is sent. Images go only to a model that may see them; for
// one that cannot, the model is told the file's name.
func (s *Service) modelFiles(ctx context.Context, files []store.Attachment, vision llm.Vision, lim llm.ImageLimit) ([]llm.Attachment, error) {
	if len(files) == 0 {
		return nil, nil
	}
	if s.files == nil {
		return nil, errors.New("this server does not take attachments")
	}
	out := make([]llm.Attachment, 0, len(files))
	for _, a := range files {
		la := llm.Attachment{Name: a.Name, Kind: llm.AttachmentKind(a.Kind), MIME: a.MIME}
		if la.Kind == llm.AttachImage && vision.Known && !vision.Can {
			la.Omitted = true
			out = append(out, la)
			continue
		}
		data, mime, text, err := s.files.Contents(ctx, a, attach.ImageLimit{MaxEdge: lim.MaxEdge, MaxBytes: lim.MaxBytes})
		if err != nil {
			return nil, fmt.Errorf("attachment %q: %w", a.Name, err)
		}
		la.Data, la.Text = data, text
		if mime != "" {
			la.MIME = mime
		}
		out = append(out, la)
	}
	return out, nil
}

// removeFiles deletes the files of freed attachments after their rows
// were committed away.
func (s *Service) removeFiles(ids []string) {
	if s.files != nil && len(ids) > 0 {
		s.files.Remove(ids)
	}
}

// keepRefs is the refs of a message's files (Edit keeps them).
func keepRefs(files []store.Attachment) []store.AttachmentRef {
	out := make([]store.AttachmentRef, len(files))
	for i, a := range files {
		out[i] = store.AttachmentRef{ID: a.ID, Name: a.Name}
	}
	return out
}

// Vision says whether the model ref takes images (for the composer, which
// asks before it sends).
func (s *Service) Vision(ctx context.Context, ref string) (llm.Vision, error) {
	p, model, err := s.resolve(ref)
	if err != nil {
		return llm.Vision{}, err
	}
	return llm.CanSee(ctx, p, model), nil
}

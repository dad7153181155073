package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/holdfast-chat/holdfast/internal/attach"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// Picked is what the paperclip's native dialog gives the page: the files
// stored (each described as the upload endpoint describes it) and the
// ones refused, each with why. A cancelled dialog gives neither.
type Picked struct {
	Files  []store.Attachment `json:"files"`
	Errors []PickError        `json:"errors"`
}

// PickError is one picked file that was not stored. Code is the upload
// endpoint's error code for the same fault (too_large, empty_file,
// unsupported_type, …), so the page words it the same way.
type PickError struct {
	Name    string `json:"name"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// pickAttachments shows the native multi-file open dialog and stores the
// picked files through attach.Service.Upload, the upload endpoint's own
// code path (same limits, sniffing and dedupe by hash). room is how many
// more files the message being written takes; picking more stores none.
func (c *Core) pickAttachments(ctx context.Context, room int) (Picked, error) {
	picked := Picked{Files: []store.Attachment{}, Errors: []PickError{}}
	be, err := c.backend(ctx)
	if err != nil {
		return picked, err
	}
	paths, err := c.ui.OpenFiles(ctx, OpenDialog{
		Title: "Attach Files",
		Dir:   c.attachFolder(),
		Filters: []FileFilter{
			{Name: "All files", Pattern: "*"},
			{Name: "Images (*.png, *.jpg, *.gif, *.webp)", Pattern: "*.png;*.jpg;*.jpeg;*.gif;*.webp"},
			{Name: "PDF documents (*.pdf)", Pattern: "*.pdf"},
		},
	})
	if err != nil {
		return picked, fmt.Errorf("open dialog: %w", err)
	}
	if len(paths) == 0 {
		return picked, nil
	}
	c.mu.Lock()
	c.attachDir = filepath.Dir(paths[0])
	c.mu.Unlock()
	if room > attach.MaxPerMessage || room < 0 {
		room = attach.MaxPerMessage
	}
	if len(paths) > room {
		picked.Errors = append(picked.Errors, PickError{
			Name: fmt.Sprintf("%d files", len(paths)), Code: "too_many_attachments",
			Message: fmt.Sprintf("%d files picked; this message takes %d more (at most %d per message)", len(paths), room, attach.MaxPerMessage),
		})
		return picked, nil
	}
	for _, p := range paths {
		a, err := storePicked(ctx, be.Attachments(), p)
		if err != nil {
			picked.Errors = append(picked.Errors, pickError(p, err))
			continue
		}
		picked.Files = append(picked.Files, a)
	}
	c.log.Info("attached files from the dialog", "stored", len(picked.Files), "refused", len(picked.Errors))
	return picked, nil
}

// errNotRegular: a folder, device or pipe was picked (a pipe would block
// the read for ever).
var errNotRegular = fmt.Errorf("%w: not a regular file", attach.ErrUnsupported)

// storePicked stores the file at path like an upload named after it. The
// size is checked before a byte is read.
func storePicked(ctx context.Context, svc *attach.Service, path string) (store.Attachment, error) {
	st, err := os.Stat(path)
	if err != nil {
		return store.Attachment{}, err
	}
	if !st.Mode().IsRegular() {
		return store.Attachment{}, errNotRegular
	}
	if st.Size() > attach.MaxFileBytes {
		return store.Attachment{}, fmt.Errorf("%w: %d bytes; the limit is %d bytes (20 MiB)", attach.ErrTooLarge, st.Size(), attach.MaxFileBytes)
	}
	f, err := os.Open(path)
	if err != nil {
		return store.Attachment{}, err
	}
	defer f.Close()
	return svc.Upload(ctx, filepath.Base(path), f)
}

// pickError describes why the file at path was not stored.
func pickError(path string, err error) PickError {
	pe := PickError{Name: attach.CleanName(filepath.Base(path), attach.KindText), Message: err.Error()}
	var pathErr *os.PathError
	switch code, ok := attach.ErrorCode(err); {
	case ok:
		pe.Code = code
	case errors.As(err, &pathErr):
		pe.Code, pe.Message = "unreadable", pathErr.Err.Error()
	default:
		pe.Code = "internal"
	}
	return pe
}

func (c *Core) attachFolder() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.attachDir
}

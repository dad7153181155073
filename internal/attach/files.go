package attach

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// Files is the folder attachments live in:
//
//	<dir>/ab/<id>            the bytes, named by their SHA-256
//	<dir>/ab/<id>.thumb      the thumbnail of an image (made on first use)
//	<dir>/ab/<id>.e<N>       an image scaled for a provider (longest edge N)
//	<dir>/tmp/               uploads being received
type Files struct {
	dir string

	mu      sync.Mutex
	making  map[string]*sync.Mutex // derived files being made, by path
	removed map[string]bool        // ids removed while a derived file was being made
}

// OpenFiles opens (creating) the folder.
func OpenFiles(dir string) (*Files, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("create attachments folder %s: %w", dir, err)
	}
	return &Files{dir: dir, making: map[string]*sync.Mutex{}, removed: map[string]bool{}}, nil
}

// ClearTemp deletes uploads a crash left half-received. Only the process
// that owns the data folder calls it, before it takes uploads.
func (f *Files) ClearTemp() {
	tmps, _ := filepath.Glob(filepath.Join(f.dir, "tmp", "*"))
	for _, t := range tmps {
		_ = os.Remove(t)
	}
}

// ReadFile opens the bytes of id (for exports).
func (f *Files) ReadFile(id string) (io.ReadCloser, error) { return f.Open(id) }

// InlineEdge and InlineBytes bound an image an HTML export embeds.
const (
	InlineEdge  = 1600
	InlineBytes = 2_000_000
)

// Inline is image a as an HTML export embeds it: the original when it is
// small enough, else scaled down.
func (f *Files) Inline(a store.Attachment) ([]byte, string, error) {
	if Kind(a.Kind) != KindImage {
		return nil, "", fmt.Errorf("%w: %s is not an image", ErrUnsupported, a.Name)
	}
	return f.ForModel(a.ID, a.MIME, a.Size, a.Width, a.Height, ImageLimit{MaxEdge: InlineEdge, MaxBytes: InlineBytes})
}

// Dir is the attachments folder.
func (f *Files) Dir() string { return f.dir }

// Path is where the bytes of id live. id must be valid (ValidID).
func (f *Files) Path(id string) string { return filepath.Join(f.dir, id[:2], id) }

// Received is an upload on disk, hashed and sniffed, not yet kept.
type Received struct {
	ID   string // SHA-256 of the bytes, hex
	Size int64
	Info Info
	Text string // the text kept for the model and search (text files, PDFs)
	tmp  string
}

// Receive streams r into a temporary file while hashing it, refusing more
// than MaxFileBytes, then sniffs what it is. The caller must Keep or
// Discard it.
func (f *Files) Receive(ctx context.Context, r io.Reader, name string) (*Received, error) {
	tmp, err := os.CreateTemp(filepath.Join(f.dir, "tmp"), "upload-*")
	if err != nil {
		return nil, fmt.Errorf("receive %q: %w", name, err)
	}
	rc := &Received{tmp: tmp.Name()}
	fail := func(err error) (*Received, error) {
		tmp.Close()
		os.Remove(rc.tmp)
		return nil, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), &ctxReader{ctx: ctx, r: io.LimitReader(r, MaxFileBytes+1)})
	if err != nil {
		return fail(fmt.Errorf("receive %q: %w", name, err))
	}
	if n > MaxFileBytes {
		return fail(fmt.Errorf("%w: %q is over the %s limit", ErrTooLarge, name, sizeText(MaxFileBytes)))
	}
	rc.ID, rc.Size = hex.EncodeToString(h.Sum(nil)), n
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("receive %q: %w", name, err))
	}
	if rc.Info, err = sniff(tmp, n, name); err != nil {
		return fail(err)
	}
	switch rc.Info.Kind {
	case KindText:
		buf := make([]byte, min(n, MaxTextBytes))
		if _, err := tmp.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
			return fail(fmt.Errorf("receive %q: %w", name, err))
		}
		rc.Text = strings.TrimPrefix(truncateUTF8(string(buf), MaxTextBytes), "\uFEFF")
	case KindPDF:
		// A PDF whose text cannot be read is still kept: Anthropic reads
		// the document itself; others are told there is no text.
		rc.Text, _ = pdfText(tmp, n, MaxTextBytes)
	}
	// Durable before anything refers to it.
	if err := tmp.Sync(); err != nil {
		return fail(fmt.Errorf("receive %q: sync: %w", name, err))
	}
	if err := tmp.Close(); err != nil {
		os.Remove(rc.tmp)
		return nil, fmt.Errorf("receive %q: %w", name, err)
	}
	return rc, nil
}

// Keep moves a received upload into place. Keeping bytes that are there
// already (the same file uploaded again) just drops the copy.
func (f *Files) Keep(rc *Received) error {
	dst := f.Path(rc.ID)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		f.Discard(rc)
		return fmt.Errorf("keep attachment %s: %w", rc.ID, err)
	}
	if st, err := os.Stat(dst); err == nil && st.Size() == rc.Size {
		f.Discard(rc)
		return nil
	}
	if err := os.Rename(rc.tmp, dst); err != nil {
		f.Discard(rc)
		return fmt.Errorf("keep attachment %s: %w", rc.ID, err)
	}
	f.mu.Lock()
	delete(f.removed, rc.ID)
	f.mu.Unlock()
	syncDir(filepath.Dir(dst))
	return nil
}

// Discard deletes a received upload that is not kept.
func (f *Files) Discard(rc *Received) { _ = os.Remove(rc.tmp) }

// Open opens the bytes of id.
func (f *Files) Open(id string) (*os.File, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	file, err := os.Open(f.Path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: the file of %s is missing from %s", ErrNotFound, id, f.dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open attachment %s: %w", id, err)
	}
	return file, nil
}

// Remove deletes the files of ids (bytes and derived files). Call it only
// after the rows that named them are gone for good.
func (f *Files) Remove(ids ...string) {
	for _, id := range ids {
		if !ValidID(id) {
			continue
		}
		f.mu.Lock()
		f.removed[id] = true
		f.mu.Unlock()
		matches, _ := filepath.Glob(f.Path(id) + "*")
		for _, m := range matches {
			_ = os.Remove(m)
		}
	}
}

// IDs lists the ids that have bytes on disk.
func (f *Files) IDs() ([]string, error) {
	var out []string
	dirs, err := os.ReadDir(f.dir)
	if err != nil {
		return nil, fmt.Errorf("list attachments: %w", err)
	}
	for _, d := range dirs {
		if !d.IsDir() || len(d.Name()) != 2 {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(f.dir, d.Name()))
		if err != nil {
			return nil, fmt.Errorf("list attachments: %w", err)
		}
		for _, e := range entries {
			if ValidID(e.Name()) {
				out = append(out, e.Name())
			}
		}
	}
	return out, nil
}

// derived returns the file at path, making it with build if it is not
// there yet (one maker per path at a time; written whole, then renamed).
func (f *Files) derived(id, path string, build func() ([]byte, error)) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		return b, nil
	}
	f.mu.Lock()
	m := f.making[path]
	if m == nil {
		m = &sync.Mutex{}
		f.making[path] = m
	}
	f.mu.Unlock()
	m.Lock()
	defer m.Unlock()
	if b, err := os.ReadFile(path); err == nil {
		return b, nil
	}
	b, err := build()
	if err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err == nil {
		f.mu.Lock()
		gone := f.removed[id]
		f.mu.Unlock()
		if gone {
			os.Remove(tmp)
		} else if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
		}
	}
	return b, nil
}

// Thumbnail returns a small version of image id (of type mime) for the
// chat: at most ThumbEdge pixels on its longest side, JPEG unless it has
// transparency. It is made on first use and kept.
func (f *Files) Thumbnail(id, mime string) ([]byte, string, error) {
	if !ValidID(id) {
		return nil, "", fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	var outMime string
	data, err := f.derived(id, f.Path(id)+".thumb", func() ([]byte, error) {
		img, err := f.decode(id, mime)
		if err != nil {
			return nil, err
		}
		b, _, err := resize(img, ThumbEdge, 0)
		return b, err
	})
	if err != nil {
		return nil, "", err
	}
	outMime = sniffEncoded(data)
	return data, outMime, nil
}

// ForModel returns image id (of type mime) as a provider with limit lim
// takes it: the original when it already fits (and is not a GIF, whose
// animation some providers refuse), else scaled down and kept for next
// time.
func (f *Files) ForModel(id, mime string, size int64, w, h int, lim ImageLimit) ([]byte, string, error) {
	if !ValidID(id) {
		return nil, "", fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	fits := (lim.MaxEdge <= 0 || (w <= lim.MaxEdge && h <= lim.MaxEdge)) && (lim.MaxBytes <= 0 || size <= lim.MaxBytes)
	if fits && mime != "image/gif" {
		b, err := os.ReadFile(f.Path(id))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("%w: the file of %s is missing", ErrNotFound, id)
		}
		if err != nil {
			return nil, "", fmt.Errorf("read attachment %s: %w", id, err)
		}
		return b, mime, nil
	}
	path := fmt.Sprintf("%s.e%d-%d", f.Path(id), lim.MaxEdge, lim.MaxBytes)
	data, err := f.derived(id, path, func() ([]byte, error) {
		img, err := f.decode(id, mime)
		if err != nil {
			return nil, err
		}
		b, _, err := resize(img, lim.MaxEdge, lim.MaxBytes)
		return b, err
	})
	if err != nil {
		return nil, "", err
	}
	return data, sniffEncoded(data), nil
}

func (f *Files) decode(id, mime string) (image.Image, error) {
	file, err := f.Open(id)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return decodeImage(file, mime)
}

// sniffEncoded tells the JPEG and PNG this package writes apart.
func sniffEncoded(b []byte) string {
	if len(b) > 3 && b[0] == 0xff && b[1] == 0xd8 {
		return "image/jpeg"
	}
	return "image/png"
}

// ctxReader stops a copy when ctx ends (a client that went away).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

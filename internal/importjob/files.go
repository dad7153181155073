package importjob

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/holdfast-chat/holdfast/internal/export"
	"github.com/holdfast-chat/holdfast/internal/importer"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// Uploader stores an attached file the way an upload is stored (size
// limit, type sniffed from the bytes, kept once by its hash) and records
// it with a lease until a message takes it. attach.Service is one.
type Uploader interface {
	Upload(ctx context.Context, name string, body io.Reader) (store.Attachment, error)
}

// errMissing: the export names a file that is not there.
var errMissing = errors.New("file not found")

// errRefused: the export names a file by a path that is not allowed.
var errRefused = errors.New("path refused")

// exportFiles is where a Holdfast export's attached files are: the
// folder beside the export, or the zip it came in.
type exportFiles interface {
	// open opens the file at p, a path as the export wrote it.
	open(p string) (io.ReadCloser, error)
	close() error
}

// checkExportPath accepts only what Holdfast's exporter writes: a clean
// relative path with forward slashes, inside a files folder ("<name>
// files/…" or "attachments/…") beside the export. Anything else (an
// absolute path, "..", a backslash, a file outside a files folder) could
// make an export read files it did not ship with, so it is refused.
func checkExportPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: the export gives no path", errMissing)
	case strings.ContainsAny(p, "\\\x00") || strings.Contains(p, ":"):
		return fmt.Errorf("%w: %q is not a relative path with forward slashes", errRefused, p)
	case path.IsAbs(p) || filepath.IsAbs(p):
		return fmt.Errorf("%w: %q is absolute", errRefused, p)
	}
	parts := strings.Split(p, "/")
	for _, s := range parts {
		if s == ".." || s == "." || s == "" {
			return fmt.Errorf("%w: %q leaves or wanders inside its folder", errRefused, p)
		}
	}
	if len(parts) < 2 || !(parts[0] == export.DefaultFilesDir || strings.HasSuffix(parts[0], " files")) {
		return fmt.Errorf("%w: %q is not inside a files folder (\"… files/\" or %q)", errRefused, p, export.DefaultFilesDir+"/")
	}
	return nil
}

// dirFiles reads files from the folder that holds the export, through an
// os.Root so nothing outside it can be reached, and refuses symbolic
// links anywhere on the way.
type dirFiles struct {
	dir  string
	root *os.Root
	err  error // why the folder cannot be read
}

func newDirFiles(dir string) *dirFiles {
	r, err := os.OpenRoot(dir)
	return &dirFiles{dir: dir, root: r, err: err}
}

func (d *dirFiles) open(p string) (io.ReadCloser, error) {
	if err := checkExportPath(p); err != nil {
		return nil, err
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: %v", errMissing, d.err)
	}
	parts := strings.Split(p, "/")
	for i := range parts {
		sub := strings.Join(parts[:i+1], "/")
		fi, err := d.root.Lstat(sub)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", errMissing, p)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errRefused, p, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%w: %s is a symbolic link", errRefused, sub)
		}
		if i == len(parts)-1 && !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%w: %s is not a regular file", errRefused, p)
		}
	}
	f, err := d.root.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errRefused, p, err)
	}
	return f, nil
}

func (d *dirFiles) close() error {
	if d.root == nil {
		return nil
	}
	return d.root.Close()
}

// zipFiles reads files from the zip that holds the export; paths are
// relative to the export's own folder inside the zip. Member names are
// only looked up.
type zipFiles struct {
	base   string // the export's folder in the zip ("" at the top)
	byName map[string]*zip.File
}

func newZipFiles(r *zip.Reader, exportMember string) *zipFiles {
	z := &zipFiles{byName: make(map[string]*zip.File, len(r.File))}
	if b := path.Dir(importer.CleanMemberName(exportMember)); b != "." {
		z.base = b
	}
	for _, f := range r.File {
		n := importer.CleanMemberName(f.Name)
		if _, dup := z.byName[n]; !dup {
			z.byName[n] = f
		}
	}
	return z
}

func (z *zipFiles) open(p string) (io.ReadCloser, error) {
	if err := checkExportPath(p); err != nil {
		return nil, err
	}
	name := path.Join(z.base, p)
	f, ok := z.byName[name]
	if !ok || f.FileInfo().IsDir() {
		return nil, fmt.Errorf("%w: %s in the zip", errMissing, p)
	}
	if f.Mode()&fs.ModeSymlink != 0 || !f.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s in the zip is not a regular file", errRefused, p)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %s in the zip: %v", errRefused, p, err)
	}
	return rc, nil
}

func (z *zipFiles) close() error { return nil }

// chatFiles is what prepareFiles found for one chat: the files to link to
// each message, the attachments left as names, and notes for the summary.
type chatFiles struct {
	links   map[string][]store.AttachmentRef // message id → files, in order
	missing map[string][]store.Attachment    // message id → attachments not found
	stored  int
	lost    int
	notes   []string
}

// prepareFiles stores the attached files of a Holdfast chat before its
// rows are written: each file is checked and kept like an upload (a lease
// holds it until the chat's transaction links it), so the transaction
// only writes rows. A file that cannot be found or is refused leaves its
// attachment as a name in the message's text.
func prepareFiles(ctx context.Context, c *export.Chat, files exportFiles, up Uploader, dryRun bool) chatFiles {
	var out chatFiles
	done := map[string]store.Attachment{} // path → stored file
	failed := map[string]error{}
	for _, m := range c.Messages {
		if m.Role != store.RoleUser {
			continue // only questions carry files (the exporter writes none elsewhere)
		}
		for _, a := range m.Attachments {
			p := c.FilePaths[a.ID]
			got, ok := done[p]
			err := failed[p]
			if !ok && err == nil {
				got, err = storeFile(ctx, files, up, p, a.Name, dryRun)
				if err != nil {
					failed[p] = err
				} else {
					done[p] = got
				}
			}
			if err != nil {
				out.lost++
				if out.missing == nil {
					out.missing = map[string][]store.Attachment{}
				}
				out.missing[m.ID] = append(out.missing[m.ID], a)
				if len(out.notes) < 20 {
					out.notes = append(out.notes, fmt.Sprintf("file %q of message %s not imported (%v); the message names it", a.Name, m.ID, err))
				}
				continue
			}
			if dryRun {
				out.stored++
				continue
			}
			if got.ID != a.ID && len(out.notes) < 20 {
				out.notes = append(out.notes, fmt.Sprintf("file %q of message %s differs from the one exported (it was changed since)", a.Name, m.ID))
			}
			if out.links == nil {
				out.links = map[string][]store.AttachmentRef{}
			}
			out.links[m.ID] = append(out.links[m.ID], store.AttachmentRef{ID: got.ID, Name: a.Name})
			out.stored++
		}
	}
	return out
}

// storeFile reads the file at p and stores it through up (dryRun: only
// checks that it can be opened).
func storeFile(ctx context.Context, files exportFiles, up Uploader, p, name string, dryRun bool) (store.Attachment, error) {
	if files == nil {
		return store.Attachment{}, fmt.Errorf("%w: the export's files folder was not given", errMissing)
	}
	if up == nil && !dryRun {
		return store.Attachment{}, errors.New("this import cannot store files")
	}
	rc, err := files.open(p)
	if err != nil {
		return store.Attachment{}, err
	}
	defer rc.Close()
	if dryRun {
		return store.Attachment{}, nil
	}
	a, err := up.Upload(ctx, name, rc)
	if err != nil {
		return store.Attachment{}, fmt.Errorf("store %s: %w", p, err)
	}
	return a, nil
}

// missingLabel is an attachment whose file was not imported, as the
// message's text names it (the same words other apps' files get).
func missingLabel(a store.Attachment) string {
	return "📎 Attachment: " + attachmentLabel(importer.AttachmentRef{Name: a.Name, MIME: a.MIME, Size: a.Size})
}

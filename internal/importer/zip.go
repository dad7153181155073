package importer

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"
)

// zipArchive is an export zip that passed the size checks. Member names are
// only ever used to look members up, never as paths on this machine.
type zipArchive struct {
	r      *zip.Reader
	byName map[string]*zip.File // cleaned name -> member
	// byFileID maps a ChatGPT file id (file-XXXX, file_XXXX) to the member
	// holding that file, found by its name.
	byFileID map[string]*zip.File
}

func isZip(r io.ReaderAt, size int64) bool {
	if size < 4 {
		return false
	}
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return false
	}
	return bytes.Equal(magic[:], []byte("PK\x03\x04")) || bytes.Equal(magic[:], []byte("PK\x05\x06"))
}

const bombCheckMin = 1 << 20

func openZip(ra io.ReaderAt, size int64, lim Limits) (*zipArchive, error) {
	r, err := zip.NewReader(ra, size)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && r != nil) {
		return nil, fmt.Errorf("read the zip: it is not a complete zip archive (truncated or damaged?): %w", err)
	}
	if len(r.File) > lim.MaxEntries {
		return nil, fmt.Errorf("read the zip: it has %d members, more than the %d allowed", len(r.File), lim.MaxEntries)
	}
	type span struct {
		start, end int64
		name       string
	}
	var total uint64
	spans := make([]span, 0, len(r.File))
	for _, f := range r.File {
		if f.UncompressedSize64 > uint64(lim.MaxUncompressed) {
			total = f.UncompressedSize64 // over the limit on its own; avoids overflowing the sum
		} else {
			total += f.UncompressedSize64
		}
		if total > uint64(lim.MaxUncompressed) {
			return nil, fmt.Errorf("read the zip: it would expand to more than %d bytes; refusing it (zip bomb?)", lim.MaxUncompressed)
		}
		if f.UncompressedSize64 > bombCheckMin &&
			(f.CompressedSize64 == 0 || f.UncompressedSize64/f.CompressedSize64 > uint64(lim.MaxRatio)) {
			return nil, fmt.Errorf("read the zip: member %q expands %d bytes to %d; refusing it (zip bomb?)",
				f.Name, f.CompressedSize64, f.UncompressedSize64)
		}
		if f.CompressedSize64 == 0 {
			continue
		}
		off, err := f.DataOffset()
		if err != nil {
			return nil, fmt.Errorf("read the zip: member %q: %w (truncated or damaged?)", f.Name, err)
		}
		if off < 0 || off+int64(f.CompressedSize64) > size || int64(f.CompressedSize64) < 0 {
			return nil, fmt.Errorf("read the zip: member %q lies outside the file (truncated or damaged?)", f.Name)
		}
		spans = append(spans, span{off, off + int64(f.CompressedSize64), f.Name})
	}
	// Members that share their compressed bytes are how the worst zip
	// bombs multiply a small file; a real export never does it.
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return nil, fmt.Errorf("read the zip: members %q and %q overlap; refusing it (zip bomb?)", spans[i-1].name, spans[i].name)
		}
	}

	z := &zipArchive{r: r, byName: make(map[string]*zip.File, len(r.File)), byFileID: make(map[string]*zip.File)}
	for _, f := range r.File {
		if f.FileInfo().IsDir() {
			continue
		}
		name := cleanMemberName(f.Name)
		if _, dup := z.byName[name]; !dup {
			z.byName[name] = f
		}
		if m := chatGPTFileName.FindStringSubmatch(path.Base(name)); m != nil {
			if _, dup := z.byFileID[m[1]]; !dup {
				z.byFileID[m[1]] = f
			}
		}
	}
	return z, nil
}

// chatGPTFileName matches the names ChatGPT gives attachment files in its
// export: the file id, then "-" and the original name or an extension
// ("file-AbC123-photo.jpg", "file_00000000abc-uuid.png").
var chatGPTFileName = regexp.MustCompile(`^(file[-_][A-Za-z0-9]+)(?:[-.]|$)`)

// cleanMemberName normalises a member name for lookups: forward slashes,
// no leading slash, no "." or ".." parts.
func cleanMemberName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Clean("/" + name)
	return strings.TrimPrefix(name, "/")
}

func (z *zipArchive) opener(f *zip.File) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("open %s in the zip: %w", f.Name, err)
		}
		return rc, nil
	}
}

// member finds a member by name.
func (z *zipArchive) member(name string) (*zip.File, bool) {
	f, ok := z.byName[cleanMemberName(name)]
	return f, ok
}

// conversationsMember picks the member that holds the conversations:
// conversations.json (ChatGPT and Claude exports), data.json (a Cherry
// Studio backup), or the only JSON file in the zip.
func (z *zipArchive) conversationsMember(want Format) (*zip.File, error) {
	pick := func(base string) *zip.File {
		var best *zip.File
		for _, f := range z.r.File {
			n := cleanMemberName(f.Name)
			if strings.HasPrefix(n, "__MACOSX/") || path.Base(n) != base || f.FileInfo().IsDir() {
				continue
			}
			if best == nil || strings.Count(n, "/") < strings.Count(cleanMemberName(best.Name), "/") {
				best = f
			}
		}
		return best
	}
	order := []string{"conversations.json", "data.json"}
	if want == FormatCherryStudio {
		order = []string{"data.json", "conversations.json"}
	}
	for _, base := range order {
		if f := pick(base); f != nil {
			return f, nil
		}
	}
	var jsons []string
	var only *zip.File
	for _, f := range z.r.File {
		n := cleanMemberName(f.Name)
		if strings.HasSuffix(strings.ToLower(n), ".json") && !strings.HasPrefix(n, "__MACOSX/") {
			jsons = append(jsons, n)
			only = f
		}
	}
	if len(jsons) == 1 {
		return only, nil
	}
	if len(jsons) == 0 {
		return nil, errors.New("the zip holds no conversations.json, data.json or other JSON file; is it a chat export?")
	}
	if len(jsons) > 5 {
		jsons = append(jsons[:5], "…")
	}
	return nil, fmt.Errorf("the zip holds no conversations.json or data.json, and several JSON files (%s); extract the one to import", strings.Join(jsons, ", "))
}

// IsZip reports whether r (size bytes) starts like a zip archive.
func IsZip(r io.ReaderAt, size int64) bool { return isZip(r, size) }

// OpenZip opens a zip after the same checks Open makes (member count,
// declared sizes, inflation ratio, overlapping members, members outside
// the file), for callers that read a zip of their own: Holdfast's export
// zips are read by importjob. Member names must only be looked up, never
// used as paths.
func OpenZip(r io.ReaderAt, size int64, lim Limits) (*zip.Reader, error) {
	z, err := openZip(r, size, lim.withDefaults())
	if err != nil {
		return nil, err
	}
	return z.r, nil
}

// CleanMemberName is a member name normalised for lookups (forward
// slashes, no leading slash, no "." or ".." parts).
func CleanMemberName(name string) string { return cleanMemberName(name) }

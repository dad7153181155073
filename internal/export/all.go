package export

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// WriteAllJSONL writes every chat in src as JSON Lines: one chat per line,
// each line the same document Write(…, JSON, …) produces, so DecodeLines
// reads it back. Only one chat is held in memory at a time. appVersion
// is the running Holdfast's version, written into every line.
func WriteAllJSONL(ctx context.Context, w io.Writer, src Source, appVersion string) (int, error) {
	return WriteAllJSONLFiles(ctx, w, src, nil, "", "", appVersion)
}

// WriteAllJSONLFiles is WriteAllJSONL that also copies every chat's
// attachments from files into the folder filesDir inside dir (the folder
// that holds the JSON Lines file), where the lines' paths point, so the
// export can be imported back with its files. files may be nil; filesDir
// "" means DefaultFilesDir.
func WriteAllJSONLFiles(ctx context.Context, w io.Writer, src Source, files Files, dir, filesDir, appVersion string) (int, error) {
	n := 0
	err := eachChat(ctx, src, appVersion, func(c Chat) error {
		n++
		c.Files, c.FilesDir = files, filesDir
		if _, err := WriteFiles(dir, c); err != nil {
			return err
		}
		return writeJSON(w, c, false)
	})
	return n, err
}

// WriteMarkdownDir writes every chat in src as a Markdown file in the
// folder dir, which must not exist yet or be empty. Files are named
// "YYYY-MM-DD title.md", made safe for every desktop file system and
// unique ignoring case. The folder appears complete or not at all: the
// files are written into a temporary sibling folder that is renamed into
// place at the end. It returns the number of chats written. appVersion
// is the running Holdfast's version, written into every file.
func WriteMarkdownDir(ctx context.Context, dir string, src Source, appVersion string) (n int, err error) {
	return WriteMarkdownDirFiles(ctx, dir, src, nil, appVersion)
}

// WriteMarkdownDirFiles is WriteMarkdownDir that also copies each chat's
// attachments from files into a folder beside its Markdown file
// ("… files"), where its links point. files may be nil.
func WriteMarkdownDirFiles(ctx context.Context, dir string, src Source, files Files, appVersion string) (n int, err error) {
	dir = filepath.Clean(dir)
	if entries, err := os.ReadDir(dir); err == nil {
		if len(entries) > 0 {
			return 0, fmt.Errorf("export to %s: the folder is not empty", dir)
		}
	} else if !os.IsNotExist(err) {
		return 0, fmt.Errorf("export to %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("export to %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	used := map[string]bool{}
	err = eachChat(ctx, src, appVersion, func(c Chat) error {
		name := uniqueName(FileName(c.Session.Title, c.Session.CreatedAt, Markdown), used)
		n++
		c.Files, c.FilesDir = files, FilesDirFor(name)
		if _, err := WriteFiles(tmp, c); err != nil {
			return err
		}
		return WriteFileAtomic(filepath.Join(tmp, name), func(w io.Writer) error {
			return writeMarkdown(w, c)
		})
	})
	if err != nil {
		return 0, fmt.Errorf("export to %s: %w", dir, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return 0, fmt.Errorf("export to %s: %w", dir, err)
	}
	// An empty folder the user picked or made is in the way of the rename
	// on some systems; it was checked empty above.
	if err := os.Remove(dir); err != nil && !os.IsNotExist(err) {
		return 0, fmt.Errorf("export to %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return 0, fmt.Errorf("export to %s: %w", dir, err)
	}
	syncDir(filepath.Dir(dir))
	return n, nil
}

// maxNameBytes keeps names well under the 255-byte limit of common file
// systems, leaving room for " (NN)" and the extension.
const maxNameBytes = 120

// FileName suggests a file name for a chat: "YYYY-MM-DD title.ext", with
// characters that are not allowed (or are awkward) in file names on
// Windows, macOS or Linux replaced, Windows' reserved device names avoided
// and the length bounded. created may be zero.
func FileName(title string, created time.Time, f Format) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(title) {
		switch {
		case r == '/' || r == '\\' || r == ':' || r == '*' || r == '?' || r == '"' ||
			r == '<' || r == '>' || r == '|' || r == utf8.RuneError:
			r = '_'
		case unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if b.Len()+utf8.RuneLen(r) > maxNameBytes {
			break
		}
		b.WriteRune(r)
	}
	// Windows drops trailing dots and spaces; a leading dot hides the file.
	name := strings.Trim(b.String(), ". ")
	if name == "" {
		name = "chat"
	}
	if isReservedName(name) {
		name = "_" + name
	}
	if !created.IsZero() {
		name = created.UTC().Format("2006-01-02") + " " + name
	}
	return name + f.Ext()
}

// isReservedName reports Windows device names, which are reserved with any
// extension ("con.md" cannot be created either).
func isReservedName(name string) bool {
	base := strings.ToUpper(name)
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	base = strings.TrimRight(base, " ")
	switch base {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	if len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) {
		return base[3] >= '0' && base[3] <= '9'
	}
	return false
}

// uniqueName returns name, or name with " (2)", " (3)", … before the
// extension, so that no two names in used are equal ignoring case (macOS
// and Windows folders are case-insensitive). It records the result in used.
func uniqueName(name string, used map[string]bool) string {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	cand := name
	for i := 2; used[strings.ToLower(cand)]; i++ {
		cand = stem + " (" + strconv.Itoa(i) + ")" + ext
	}
	used[strings.ToLower(cand)] = true
	return cand
}

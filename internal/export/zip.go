package export

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// A zip export is the JSON (one chat) or JSON Lines (every chat) export
// and its folder of files in one file, laid out as they are on disk
// ("chat.json" and "chat files/…"), so it can be moved as one file and
// imported back whole (docs/import.md).

// WriteChatZip writes chat c as a zip holding the JSON document name
// ("… .json") and the files folder beside it.
func WriteChatZip(w io.Writer, name string, c Chat) error {
	zw := zip.NewWriter(w)
	c.FilesDir = FilesDirFor(name)
	if err := zipMember(zw, name, c.Session.UpdatedAt, func(w io.Writer) error { return writeJSON(w, c, true) }); err != nil {
		return err
	}
	if err := zipFiles(zw, c.Files, c.FilesDir, map[string]bool{}, c.Messages); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("export zip: %w", err)
	}
	return nil
}

// WriteAllZip writes every chat in src as a zip holding the JSON Lines
// file name ("… .jsonl") and one files folder beside it for them all. It
// returns the number of chats written.
func WriteAllZip(ctx context.Context, w io.Writer, name string, src Source, files Files, appVersion string) (int, error) {
	zw := zip.NewWriter(w)
	filesDir := FilesDirFor(name)
	// The lines go first, in one member; the files they name are
	// gathered meanwhile (id → a message that carries it) and follow.
	var carriers []store.Message
	seen := map[string]bool{}
	n := 0
	err := zipMember(zw, name, time.Now(), func(w io.Writer) error {
		return eachChat(ctx, src, appVersion, func(c Chat) error {
			n++
			c.FilesDir = filesDir
			for _, m := range c.Messages {
				for _, a := range m.Attachments {
					if !seen[a.ID+"\x00"+a.Name] {
						seen[a.ID+"\x00"+a.Name] = true
						carriers = append(carriers, store.Message{Attachments: []store.Attachment{a}})
					}
				}
			}
			return writeJSON(w, c, false)
		})
	})
	if err != nil {
		return 0, err
	}
	if err := zipFiles(zw, files, filesDir, map[string]bool{}, carriers); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, fmt.Errorf("export zip: %w", err)
	}
	return n, nil
}

func zipMember(zw *zip.Writer, name string, modified time.Time, write func(io.Writer) error) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified.UTC()})
	if err != nil {
		return fmt.Errorf("export zip: %s: %w", name, err)
	}
	if err := write(w); err != nil {
		return fmt.Errorf("export zip: %s: %w", name, err)
	}
	return nil
}

// zipFiles adds the files of msgs under dir, each once, where the
// export's paths point. Images and PDFs are compressed already, so
// they are stored as they are.
func zipFiles(zw *zip.Writer, files Files, dir string, done map[string]bool, msgs []store.Message) error {
	if files == nil {
		return nil
	}
	for _, m := range msgs {
		for _, a := range m.Attachments {
			name := path.Join(dir, attachmentFile(a))
			if done[name] {
				continue
			}
			done[name] = true
			method := zip.Deflate
			if a.Kind == "image" || a.Kind == "pdf" {
				method = zip.Store
			}
			src, err := files.ReadFile(a.ID)
			if err != nil {
				return fmt.Errorf("export attachment %q: %w", a.Name, err)
			}
			w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: time.Now().UTC()})
			if err == nil {
				_, err = io.Copy(w, src)
			}
			src.Close()
			if err != nil {
				return fmt.Errorf("export attachment %q: %w", a.Name, err)
			}
		}
	}
	return nil
}

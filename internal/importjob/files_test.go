package importjob

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/attach"
	"github.com/holdfast-chat/holdfast/internal/attach/attachtest"
	"github.com/holdfast-chat/holdfast/internal/export"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// home is a database with its attachments folder, as the app has them.
type home struct {
	st    *store.Store
	files *attach.Files
	svc   *attach.Service
}

func openHome(t testing.TB) home {
	t.Helper()
	st := openStore(t)
	files, err := attach.OpenFiles(filepath.Join(t.TempDir(), "attachments"))
	if err != nil {
		t.Fatal(err)
	}
	return home{st: st, files: files, svc: attach.NewService(files, attach.StoreLog{Store: st}, st, 0, nil)}
}

// seedFiles writes a chat with files on two branches: a PNG and a text
// file on the first question, a PDF on the edited question, the same PNG
// again on a later question of the other branch. It returns the chat's id.
func seedFiles(t testing.TB, h home) string {
	t.Helper()
	ctx := context.Background()
	up := func(name string, data []byte) store.AttachmentRef {
		a, err := h.svc.Upload(ctx, name, bytes.NewReader(data))
		if err != nil {
			t.Fatalf("upload %s: %v", name, err)
		}
		return store.AttachmentRef{ID: a.ID, Name: a.Name}
	}
	png := up("photo one.png", attachtest.PNG(40, 30))
	notes := up("notes.txt", []byte("line one\nline two\n"))
	pdf := up("report.pdf", attachtest.PDF("Quarterly report"))
	at := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	err := h.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertSession(store.Session{ID: "s_files", Title: "Files on branches", TitleSource: store.TitleUser, Model: "demo/demo",
			CreatedAt: at, UpdatedAt: at, LastActivityAt: at}); err != nil {
			return err
		}
		add := func(id, parent string, role store.Role, text string, refs ...store.AttachmentRef) error {
			at = at.Add(time.Second)
			m := store.Message{ID: id, SessionID: "s_files", ParentID: store.Ref(parent), Role: role, Content: text, Status: store.StatusComplete,
				CreatedAt: at, UpdatedAt: at}
			if role == store.RoleAssistant {
				m.Model = "demo/demo"
			}
			if _, err := tx.InsertMessage(m); err != nil {
				return err
			}
			if len(refs) > 0 {
				_, err := tx.LinkAttachments(id, refs)
				return err
			}
			return nil
		}
		for _, err := range []error{
			add("m_f1", "", store.RoleUser, "What is in these?", png, notes),
			add("m_f2", "m_f1", store.RoleAssistant, "A picture and two lines."),
			add("m_f3", "", store.RoleUser, "And this report?", pdf),
			add("m_f4", "m_f3", store.RoleAssistant, "A report."),
			add("m_f5", "m_f4", store.RoleUser, "Here is the picture again.", png),
		} {
			if err != nil {
				return err
			}
		}
		return tx.SetPath("s_files", "m_f2")
	})
	if err != nil {
		t.Fatal(err)
	}
	return "s_files"
}

// exportJSONFiles exports chat id as `holdfast export -o dir/name` does:
// the JSON file and its files folder beside it. It returns the file.
func exportJSONFiles(t testing.TB, h home, id, dir, name string) string {
	t.Helper()
	c, err := export.Load(context.Background(), h.st, id)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	c.AppVersion, c.Files, c.FilesDir = "test", h.files, export.FilesDirFor(p)
	if _, err := export.WriteFiles(dir, c); err != nil {
		t.Fatal(err)
	}
	if err := export.WriteFileAtomic(p, func(w io.Writer) error { return export.Write(w, export.JSON, c) }); err != nil {
		t.Fatal(err)
	}
	return p
}

// exportJSONLFiles exports every chat as `holdfast export --all -o
// dir/name` does.
func exportJSONLFiles(t testing.TB, h home, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	err := export.WriteFileAtomic(p, func(w io.Writer) error {
		_, err := export.WriteAllJSONLFiles(context.Background(), w, h.st, h.files, dir, export.FilesDirFor(p), "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tree reads every file under dir: relative path → bytes.
func tree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("files %v, want %v", keys(got), keys(want))
	}
	for name, data := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s missing after the round trip", name)
		} else if g != data {
			t.Errorf("%s differs after the round trip:\n got %.300q\nwant %.300q", name, g, data)
		}
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// zipDir zips every file under dir, under prefix inside the zip.
func zipDir(t testing.TB, dir, prefix, dst string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range tree(t, dir) {
		w, err := zw.Create(prefix + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dst, buf.Bytes())
}

func storedIDs(t testing.TB, h home) []string {
	t.Helper()
	ids, err := h.files.IDs()
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(ids)
	return ids
}

// TestRoundTripWithFiles: a Holdfast JSON / JSON Lines export with files
// on two branches, imported into a fresh database (as a file with its
// folder, or as a zip of both), exports again to the same bytes and the
// same files; importing it again adds nothing.
func TestRoundTripWithFiles(t *testing.T) {
	src := openHome(t)
	id := seedFiles(t, src)
	jsonDir, jsonlDir := t.TempDir(), t.TempDir()
	jsonPath := exportJSONFiles(t, src, id, jsonDir, "2025-06-07 Files on branches.json")
	jsonlPath := exportJSONLFiles(t, src, jsonlDir, "Holdfast chats.jsonl")
	if n := len(tree(t, jsonDir)); n != 4 { // the JSON and three distinct files
		t.Fatalf("the export wrote %d files, want 4: %v", n, keys(tree(t, jsonDir)))
	}
	tests := []struct {
		name    string
		dir     string // the export as written
		import_ func(t *testing.T) string
		again   func(t *testing.T, dst home, dir string)
	}{
		{"JSON beside its folder", jsonDir, func(t *testing.T) string { return jsonPath },
			func(t *testing.T, dst home, dir string) { exportJSONFiles(t, dst, id, dir, filepath.Base(jsonPath)) }},
		{"JSON Lines beside its folder", jsonlDir, func(t *testing.T) string { return jsonlPath },
			func(t *testing.T, dst home, dir string) { exportJSONLFiles(t, dst, dir, filepath.Base(jsonlPath)) }},
		{"zip of the JSON and its folder", jsonDir, func(t *testing.T) string { return zipDir(t, jsonDir, "", "chat.zip") },
			func(t *testing.T, dst home, dir string) { exportJSONFiles(t, dst, id, dir, filepath.Base(jsonPath)) }},
		{"zip of a folder holding the JSON Lines and its folder", jsonlDir, func(t *testing.T) string { return zipDir(t, jsonlDir, "export/", "all.zip") },
			func(t *testing.T, dst home, dir string) { exportJSONLFiles(t, dst, dir, filepath.Base(jsonlPath)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := openHome(t)
			path := tt.import_(t)
			sum := run(t, dst.st, path, Options{Files: dst.svc})
			if sum.Format != FormatHoldfast || sum.Imported != 1 || sum.Files != 4 || sum.MissingFiles != 0 || len(sum.Skipped) != 0 {
				t.Fatalf("summary %+v", sum)
			}
			if got, want := storedIDs(t, dst), storedIDs(t, src); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("stored files %v, want the source's %v", got, want)
			}
			out := t.TempDir()
			tt.again(t, dst, out)
			sameTree(t, tree(t, out), tree(t, tt.dir))

			// Idempotent: the second import adds no chat and no file.
			sum = run(t, dst.st, path, Options{Files: dst.svc})
			if sum.Imported != 0 || sum.Duplicates != 1 || sum.Files != 0 {
				t.Fatalf("second import: %+v", sum)
			}
			if got, want := storedIDs(t, dst), storedIDs(t, src); len(got) != len(want) {
				t.Fatalf("second import stored files %v, want %v", got, want)
			}
			again := t.TempDir()
			tt.again(t, dst, again)
			sameTree(t, tree(t, again), tree(t, tt.dir))
		})
	}
}

// The imported files are the app's own: the store links them, the sweep
// keeps them, and deleting the chat would free them.
func TestImportedFilesAreLinked(t *testing.T) {
	src := openHome(t)
	id := seedFiles(t, src)
	p := exportJSONFiles(t, src, id, t.TempDir(), "chat.json")
	dst := openHome(t)
	run(t, dst.st, p, Options{Files: dst.svc})
	msgs, err := dst.st.ListAllMessages(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, m := range msgs {
		for _, a := range m.Attachments {
			got[m.ID] = append(got[m.ID], a.Name+" "+a.Kind)
		}
	}
	want := map[string][]string{"m_f1": {"photo one.png image", "notes.txt text"}, "m_f3": {"report.pdf pdf"}, "m_f5": {"photo one.png image"}}
	for mid, w := range want {
		if strings.Join(got[mid], ",") != strings.Join(w, ",") {
			t.Errorf("message %s carries %v, want %v", mid, got[mid], w)
		}
	}
	// Far in the future every upload lease has run out: linked files stay.
	sweeper := attach.NewService(dst.files, attach.StoreLog{Store: dst.st}, dst.st, time.Hour, nil)
	if n, err := sweeper.Sweep(context.Background()); err != nil || n != 0 {
		t.Fatalf("sweep removed %d files (%v); imported files are linked and must stay", n, err)
	}
}

// rewrite changes the attachment paths of a JSON export through fn,
// leaving every other byte as the exporter wrote it.
func rewrite(t testing.TB, p string, fn func(i int, path string) string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	out := pathKey.ReplaceAllFunc(b, func(m []byte) []byte {
		var orig string
		if err := json.Unmarshal(pathKey.FindSubmatch(m)[1], &orig); err != nil {
			t.Fatal(err)
		}
		q, _ := json.Marshal(fn(i, orig))
		i++
		return append([]byte(`"path": `), q...)
	})
	if i == 0 {
		t.Fatal("no attachment paths in the export")
	}
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

var pathKey = regexp.MustCompile(`"path": ("(?:[^"\\]|\\.)*")`)

// messageTexts is every message's text of chat id.
func messageTexts(t testing.TB, st *store.Store, id string) string {
	t.Helper()
	msgs, err := st.ListAllMessages(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, m := range msgs {
		sb.WriteString(m.Content + "\n")
		if len(m.Attachments) > 0 {
			t.Errorf("message %s carries %d files; none should have been imported", m.ID, len(m.Attachments))
		}
	}
	return sb.String()
}

// A path in an export never reaches outside the files folder beside it:
// "..", absolute paths, loose files beside the export, symbolic links
// (to a file or to a folder) are all refused; the messages name the files.
func TestPathEscapeRefused(t *testing.T) {
	src := openHome(t)
	id := seedFiles(t, src)
	secretDir := t.TempDir()
	secret := filepath.Join(secretDir, "secret.txt")
	if err := os.WriteFile(secret, []byte("the secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path func(dir, orig string) string
	}{
		{"parent", func(dir, orig string) string {
			rel, _ := filepath.Rel(dir, secret)
			return filepath.ToSlash(rel)
		}},
		{"parent inside the files folder", func(dir, orig string) string {
			rel, _ := filepath.Rel(dir, secret)
			return strings.Split(orig, "/")[0] + "/../" + filepath.ToSlash(rel)
		}},
		{"absolute", func(dir, orig string) string { return secret }},
		{"backslashes", func(dir, orig string) string { return `chat files\..\..\secret.txt` }},
		{"beside the export, not in a files folder", func(dir, orig string) string {
			os.WriteFile(filepath.Join(dir, "beside.txt"), []byte("not shipped with the export"), 0o600)
			return "beside.txt"
		}},
		{"symlink to a file", func(dir, orig string) string {
			link := filepath.Join(dir, filepath.FromSlash(orig))
			os.Remove(link)
			if err := os.Symlink(secret, link); err != nil {
				t.Fatal(err)
			}
			return orig
		}},
		{"symlinked folder", func(dir, orig string) string {
			folder := filepath.Join(dir, strings.Split(orig, "/")[0])
			os.RemoveAll(folder)
			if err := os.Symlink(secretDir, folder); err != nil {
				t.Fatal(err)
			}
			return strings.Split(orig, "/")[0] + "/secret.txt"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := exportJSONFiles(t, src, id, dir, "chat.json")
			rewrite(t, p, func(i int, orig string) string { return tt.path(dir, orig) })
			dst := openHome(t)
			sum := run(t, dst.st, p, Options{Files: dst.svc})
			if sum.Imported != 1 || sum.Files != 0 || sum.MissingFiles != 4 {
				t.Fatalf("summary %+v", sum)
			}
			if ids := storedIDs(t, dst); len(ids) != 0 {
				t.Fatalf("stored %d files from refused paths", len(ids))
			}
			if texts := messageTexts(t, dst.st, id); strings.Contains(texts, "the secret") || !strings.Contains(texts, "📎 Attachment: `report.pdf`") {
				t.Fatalf("messages should name the files and hold nothing else:\n%s", texts)
			}
		})
	}
}

func TestZipPathEscapeRefused(t *testing.T) {
	src := openHome(t)
	id := seedFiles(t, src)
	dir := t.TempDir()
	p := exportJSONFiles(t, src, id, dir, "chat.json")
	files := tree(t, dir)
	rewrite(t, p, func(i int, orig string) string {
		if strings.HasSuffix(orig, "photo one.png") {
			return "chat files/../../outside.png" // a member with that name is in the zip
		}
		return orig
	})
	doc, _ := os.ReadFile(p)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, data string, mode fs.FileMode) {
		hdr := &zip.FileHeader{Name: name, Method: zip.Deflate}
		hdr.SetMode(mode)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	add("bundle/chat.json", string(doc), 0o644)
	add("outside.png", files[keys(files)[0]], 0o644)
	for name, data := range files {
		if name == "chat.json" {
			continue
		}
		if strings.HasSuffix(name, ".txt") {
			// A symbolic link member in place of the text file.
			add("bundle/"+name, "/etc/passwd", fs.ModeSymlink|0o777)
			continue
		}
		add("bundle/"+name, data, 0o644)
	}
	zw.Close()
	dst := openHome(t)
	sum := run(t, dst.st, writeFile(t, "chat.zip", buf.Bytes()), Options{Files: dst.svc})
	// The PDF comes in; the escaping path (the PNG, on both branches) and
	// the symlink (text file) do not.
	if sum.Imported != 1 || sum.Files != 1 || sum.MissingFiles != 3 {
		t.Fatalf("summary %+v", sum)
	}
	if n := len(storedIDs(t, dst)); n != 1 {
		t.Fatalf("stored %d files, want the PDF alone", n)
	}
}

// Without its files folder an export still imports: every message, the
// attachments named in their text, the summary counting them.
func TestMissingFolder(t *testing.T) {
	src := openHome(t)
	id := seedFiles(t, src)
	dir := t.TempDir()
	p := exportJSONFiles(t, src, id, dir, "chat.json")
	if err := os.RemoveAll(filepath.Join(dir, export.FilesDirFor(p))); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		opts func(h home) Options
	}{
		{"folder gone", func(h home) Options { return Options{Files: h.svc} }},
		{"an upload (no folder looked for)", func(h home) Options { return Options{Files: h.svc, NoFolder: true} }},
		{"dry run", func(h home) Options { return Options{Files: h.svc, DryRun: true} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dst := openHome(t)
			opts := tt.opts(dst)
			sum := run(t, dst.st, p, opts)
			if sum.Imported != 1 || sum.Messages != 5 || sum.Files != 0 || sum.MissingFiles != 4 {
				t.Fatalf("summary %+v", sum)
			}
			if opts.DryRun {
				if s, _ := counts(t, dst.st); s != 0 {
					t.Fatal("a dry run stored a chat")
				}
				return
			}
			texts := messageTexts(t, dst.st, id)
			for _, want := range []string{"What is in these?\n\n📎 Attachment: `photo one.png` (image/png, ", "📎 Attachment: `notes.txt` (text/plain",
				"And this report?\n\n📎 Attachment: `report.pdf` (application/pdf", "Here is the picture again.\n\n📎 Attachment: `photo one.png`"} {
				if !strings.Contains(texts, want) {
					t.Errorf("messages lack %q:\n%s", want, texts)
				}
			}
			var noted bool
			for _, n := range sum.Notes {
				noted = noted || strings.Contains(n.Text, "4 of 4 attached files were not imported")
			}
			if !noted {
				t.Errorf("no note counts the missing files: %+v", sum.Notes)
			}
		})
	}
}

func TestCheckExportPath(t *testing.T) {
	for _, tt := range []struct {
		p  string
		ok bool
	}{
		{"chat files/abc-photo.png", true},
		{"attachments/abc-notes.txt", true},
		{"x files/sub/abc.txt", true},
		{"photo.png", false},
		{"other/photo.png", false},
		{"../chat files/photo.png", false},
		{"chat files/../../etc/passwd", false},
		{"chat files/./photo.png", false},
		{"chat files//photo.png", false},
		{"/chat files/photo.png", false},
		{`chat files\photo.png`, false},
		{"C:/chat files/photo.png", false},
		{"chat files/photo.png\x00", false},
		{"", false},
	} {
		if err := checkExportPath(tt.p); (err == nil) != tt.ok {
			t.Errorf("checkExportPath(%q) = %v, want ok %v", tt.p, err, tt.ok)
		}
	}
}

func TestHoldfastZipRefused(t *testing.T) {
	src := openHome(t)
	id := seedFiles(t, src)
	dir := t.TempDir()
	exportJSONFiles(t, src, id, dir, "one.json")
	exportJSONFiles(t, src, id, dir, "two.json")
	two := zipDir(t, dir, "", "two.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("notes.json")
	w.Write([]byte(`{"hello": "world"}`))
	zw.Close()
	other := writeFile(t, "other.zip", buf.Bytes())
	for _, tt := range []struct {
		name, path, format, want string
	}{
		{"two exports in one zip", two, "auto", "the zip holds several Holdfast exports"},
		{"no export in the zip, holdfast named", other, "holdfast", "the zip holds no Holdfast export"},
		{"no export in the zip, detected", other, "auto", "could not tell which app exported this file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dst := openHome(t)
			_, err := Run(context.Background(), dst.st, tt.path, Options{Format: tt.format, Files: dst.svc})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if s, _ := counts(t, dst.st); s != 0 || len(storedIDs(t, dst)) != 0 {
				t.Fatal("a refused zip stored something")
			}
		})
	}
}

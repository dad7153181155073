package export

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// threeChats has two chats with the same title (one differing in case)
// and the hostile one.
func threeChats() []Chat {
	a := sampleChat()
	b := sampleChat()
	b.Session.ID, b.Session.Title, b.Session.CreatedAt = "s_02", "SORTING IN GO", at(100)
	for i := range b.Messages {
		b.Messages[i].SessionID = "s_02"
	}
	return []Chat{a, b, hostileChat()}
}

func TestLoad(t *testing.T) {
	src := &memSource{chats: threeChats()}
	c, err := Load(context.Background(), src, "s_02")
	if err != nil || c.Session.ID != "s_02" || len(c.Messages) != 4 {
		t.Fatalf("Load = %+v, %v", c.Session, err)
	}
	if _, err := Load(context.Background(), src, "s_missing"); !errors.Is(err, errNotFound) || !strings.Contains(err.Error(), "s_missing") {
		t.Fatalf("Load(missing) error = %v, want not-found naming the id", err)
	}
}

func TestWriteAllJSONL(t *testing.T) {
	chats := threeChats()
	src := &memSource{chats: chats}
	var buf bytes.Buffer
	n, err := WriteAllJSONL(context.Background(), &buf, src, testAppVersion)
	if err != nil || n != 3 {
		t.Fatalf("WriteAllJSONL = %d, %v", n, err)
	}
	byID := map[string]Chat{}
	if err := DecodeLines(&buf, func(c Chat) error { byID[c.Session.ID] = c; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, c := range chats {
		got, ok := byID[c.Session.ID]
		if !ok {
			t.Fatalf("chat %s missing", c.Session.ID)
		}
		sameChat(t, got, c)
	}

	t.Run("source fails", func(t *testing.T) {
		_, err := WriteAllJSONL(context.Background(), &bytes.Buffer{}, &memSource{chats: chats, failOn: "s_02"}, testAppVersion)
		if !errors.Is(err, errDiskGone) || !strings.Contains(err.Error(), "s_02") {
			t.Fatalf("error = %v, want the source's error naming the session", err)
		}
		_, err = WriteAllJSONL(context.Background(), &bytes.Buffer{}, &memSource{listErr: errDiskGone}, testAppVersion)
		if !errors.Is(err, errDiskGone) || !strings.Contains(err.Error(), "list sessions") {
			t.Fatalf("error = %v, want the list error", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := WriteAllJSONL(ctx, &bytes.Buffer{}, src, testAppVersion); !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
	})
}

func TestWriteMarkdownDir(t *testing.T) {
	chats := threeChats()
	parent := t.TempDir()
	dir := filepath.Join(parent, "export")
	n, err := WriteMarkdownDir(context.Background(), dir, &memSource{chats: chats}, testAppVersion)
	if err != nil || n != 3 {
		t.Fatalf("WriteMarkdownDir = %d, %v", n, err)
	}
	names := dirNames(t, dir)
	sort.Strings(names)
	want := []string{
		"2026-11-22 SORTING IN GO.md",
		"2026-11-22 Sorting in Go (2).md",
		"2026-11-22 __title__script_alert('t')__script_ # Notes _ _bold_ [x](javascript_alert(1)) line two.md",
	}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Fatalf("files:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	// Each file is exactly the single-chat Markdown export; the newest chat
	// (listed first) kept the plain name.
	files := map[string]Chat{want[0]: chats[1], want[1]: chats[0], want[2]: chats[2]}
	for name, c := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var exp bytes.Buffer
		c.FilesDir = FilesDirFor(name) // links point into the folder beside the file
		Write(&exp, Markdown, c)
		if !bytes.Equal(got, exp.Bytes()) {
			t.Errorf("%s is not the Markdown export of %s", name, c.Session.ID)
		}
	}
	if parentNames := dirNames(t, parent); len(parentNames) != 1 {
		t.Errorf("parent holds %q, want only the export folder", parentNames)
	}

	t.Run("into an existing empty folder", func(t *testing.T) {
		dir := t.TempDir()
		if n, err := WriteMarkdownDir(context.Background(), dir, &memSource{chats: chats[:1]}, testAppVersion); err != nil || n != 1 {
			t.Fatalf("WriteMarkdownDir = %d, %v", n, err)
		}
		if len(dirNames(t, dir)) != 1 {
			t.Fatal("file missing")
		}
	})
	t.Run("non-empty folder is refused and untouched", func(t *testing.T) {
		_, err := WriteMarkdownDir(context.Background(), dir, &memSource{chats: chats}, testAppVersion)
		if err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("error = %v, want 'not empty'", err)
		}
		if len(dirNames(t, dir)) != 3 {
			t.Error("the existing folder changed")
		}
	})
	t.Run("source fails midway: nothing left", func(t *testing.T) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "export")
		_, err := WriteMarkdownDir(context.Background(), dir, &memSource{chats: chats, failOn: chats[0].Session.ID}, testAppVersion)
		if !errors.Is(err, errDiskGone) || !strings.Contains(err.Error(), dir) {
			t.Fatalf("error = %v, want the source error naming the folder", err)
		}
		if names := dirNames(t, parent); len(names) != 0 {
			t.Errorf("failed export left %q behind", names)
		}
	})
	t.Run("unwritable parent", func(t *testing.T) {
		parent := t.TempDir()
		os.WriteFile(filepath.Join(parent, "file"), nil, 0o644)
		dir := filepath.Join(parent, "file", "export")
		if _, err := WriteMarkdownDir(context.Background(), dir, &memSource{chats: chats}, testAppVersion); err == nil || !strings.Contains(err.Error(), dir) {
			t.Fatalf("error = %v, want one naming %s", err, dir)
		}
	})
	t.Run("no chats gives an empty folder", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "export")
		if n, err := WriteMarkdownDir(context.Background(), dir, &memSource{}, testAppVersion); err != nil || n != 0 {
			t.Fatalf("WriteMarkdownDir = %d, %v", n, err)
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			t.Fatalf("folder not created: %v", err)
		}
	})
}

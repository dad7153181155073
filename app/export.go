package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/holdfast-chat/holdfast/internal/export"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// exportChat exports the chat open in the page in format f, asking where
// with a save dialog. Cancelling writes nothing. It returns the file
// written ("" if none).
func (c *Core) exportChat(ctx context.Context, f export.Format) (string, error) {
	id := c.Active()
	if id == "" {
		return "", c.ui.Message(ctx, InfoMessage, "Export Chat", "Open a chat first, then export it.")
	}
	be, err := c.backend(ctx)
	if err != nil {
		return "", err
	}
	s, err := be.Store().GetSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("the open chat (%s) no longer exists", id)
	}
	if err != nil {
		return "", fmt.Errorf("read chat %s: %w", id, err)
	}
	path, err := c.ui.SaveFile(ctx, SaveDialog{
		Title:    "Export Chat as " + f.Label(),
		Dir:      c.exportDir(),
		Filename: export.FileName(s.Title, s.CreatedAt, f),
		Filters:  []FileFilter{filterFor(f)},
	})
	if err != nil {
		return "", fmt.Errorf("save dialog: %w", err)
	}
	if path == "" {
		return "", nil
	}
	f, path = formatForPath(path, f)
	// Read the chat after the dialog: an answer may have grown meanwhile.
	chat, err := export.Load(ctx, be.Store(), id)
	if err != nil {
		return "", err
	}
	chat.AppVersion = c.version
	chat.Files, chat.FilesDir = be.Files(), export.FilesDirFor(path)
	// Markdown and JSON link the chat's files in a folder beside the
	// file; HTML embeds its images.
	if f == export.Markdown || f == export.JSON {
		if _, err := export.WriteFiles(filepath.Dir(path), chat); err != nil {
			return "", err
		}
	}
	if err := export.WriteFileAtomic(path, func(w io.Writer) error { return export.Write(w, f, chat) }); err != nil {
		return "", err
	}
	c.rememberDir(filepath.Dir(path))
	c.log.Info("exported chat", "session", id, "format", f, "path", path)
	return path, nil
}

// exportAllJSONL writes every chat to one JSON Lines file.
func (c *Core) exportAllJSONL(ctx context.Context) (string, error) {
	be, err := c.backend(ctx)
	if err != nil {
		return "", err
	}
	path, err := c.ui.SaveFile(ctx, SaveDialog{
		Title:    "Export All Chats as JSON Lines",
		Dir:      c.exportDir(),
		Filename: "Holdfast chats " + c.now().Format("2006-01-02") + export.JSONLines.Ext(),
		Filters:  []FileFilter{filterFor(export.JSONLines)},
	})
	if err != nil {
		return "", fmt.Errorf("save dialog: %w", err)
	}
	if path == "" {
		return "", nil
	}
	if filepath.Ext(path) == "" {
		path += export.JSONLines.Ext()
	}
	var n int
	err = export.WriteFileAtomic(path, func(w io.Writer) error {
		var err error
		// The chats' files go in a folder beside the file, where the
		// lines link them, so the export imports back whole.
		n, err = export.WriteAllJSONLFiles(ctx, w, be.Store(), be.Files(), filepath.Dir(path), export.FilesDirFor(path), c.version)
		return err
	})
	if err != nil {
		return "", err
	}
	c.rememberDir(filepath.Dir(path))
	c.log.Info("exported all chats", "format", export.JSONLines, "chats", n, "path", path)
	return path, c.ui.Message(ctx, InfoMessage, "Export All Chats", fmt.Sprintf("Exported %s to\n%s", chats(n), path))
}

// exportAllMarkdown writes every chat as a Markdown file into a new folder
// inside the folder the user picks.
func (c *Core) exportAllMarkdown(ctx context.Context) (string, error) {
	be, err := c.backend(ctx)
	if err != nil {
		return "", err
	}
	parent, err := c.ui.ChooseFolder(ctx, "Export All Chats as Markdown: choose a folder", c.exportDir())
	if err != nil {
		return "", fmt.Errorf("folder dialog: %w", err)
	}
	if parent == "" {
		return "", nil
	}
	dir := freePath(filepath.Join(parent, "Holdfast chats "+c.now().Format("2006-01-02 150405")))
	n, err := export.WriteMarkdownDirFiles(ctx, dir, be.Store(), be.Files(), c.version)
	if err != nil {
		return "", err
	}
	c.rememberDir(parent)
	c.log.Info("exported all chats", "format", "markdown folder", "chats", n, "path", dir)
	return dir, c.ui.Message(ctx, InfoMessage, "Export All Chats", fmt.Sprintf("Exported %s to\n%s", chats(n), dir))
}

func chats(n int) string {
	if n == 1 {
		return "1 chat"
	}
	return strconv.Itoa(n) + " chats"
}

// formatForPath settles the format from the name the user typed: a known
// export extension wins over the menu choice (asking for chat.html gives
// HTML), and a name without one gets the chosen format's.
func formatForPath(path string, chosen export.Format) (export.Format, string) {
	ext := filepath.Ext(path)
	if ext == "" {
		return chosen, path + chosen.Ext()
	}
	if f, err := export.ParseFormat(ext); err == nil {
		return f, path
	}
	// Some other extension ("notes.txt"): keep the name, write the format
	// asked for.
	return chosen, path
}

func filterFor(f export.Format) FileFilter {
	return FileFilter{Name: f.Label() + " (*" + f.Ext() + ")", Pattern: "*" + f.Ext()}
}

// freePath returns path, or path with " (2)", " (3)", … if taken.
func freePath(path string) string {
	cand := path
	for i := 2; ; i++ {
		if _, err := os.Lstat(cand); os.IsNotExist(err) {
			return cand
		}
		cand = path + " (" + strconv.Itoa(i) + ")"
	}
}

func (c *Core) exportDir() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastDir
}

func (c *Core) rememberDir(dir string) {
	c.mu.Lock()
	c.lastDir = dir
	c.mu.Unlock()
}

package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/holdfast-chat/holdfast/internal/importjob"
)

// importFile asks for an export file with the native open dialog and
// starts importing it in the backend; the page shows the progress, the
// Cancel button and the summary (it is told the import's id). It returns
// the id ("" when the user cancelled the dialog).
func (c *Core) importFile(ctx context.Context) (string, error) {
	be, err := c.backend(ctx)
	if err != nil {
		return "", err
	}
	path, err := c.ui.OpenFile(ctx, OpenDialog{
		Title: "Import Chats",
		Dir:   c.exportDir(),
		Filters: []FileFilter{
			{Name: "Chat exports (*.json, *.jsonl, *.zip)", Pattern: "*.json;*.jsonl;*.ndjson;*.zip"},
			{Name: "All files", Pattern: "*"},
		},
	})
	if err != nil {
		return "", fmt.Errorf("open dialog: %w", err)
	}
	if path == "" {
		return "", nil
	}
	st, err := be.Imports().Start(path, filepath.Base(path), "auto", false)
	if errors.Is(err, importjob.ErrBusy) {
		return "", c.ui.Message(ctx, InfoMessage, "Import Chats", "An import is already running. Wait for it to finish, or cancel it, then import this file.")
	}
	if err != nil {
		return "", err
	}
	c.rememberDir(filepath.Dir(path))
	c.log.Info("import started", "id", st.ID, "path", path)
	c.ui.Emit(ctx, EventImportStarted, st.ID)
	return st.ID, nil
}

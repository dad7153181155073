package backend

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/holdfast-chat/holdfast/internal/chat"
	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/importjob"
)

// newImports makes the import runner. Uploads live in <home>/imports
// while they are read; any left there by a crash are removed now.
func (b *Backend) newImports() *importjob.Manager {
	dir := filepath.Join(b.opts.Home, "imports")
	if err := os.RemoveAll(dir); err != nil {
		b.log.Warn("remove old import uploads", "dir", dir, "err", err)
	}
	return importjob.NewManager(importjob.ManagerConfig{
		Store:     b.store,
		UploadDir: dir,
		Model:     b.providers.DefaultModel,
		Committed: b.announceImported,
		Files:     b.attachments,
		Logger:    b.log,
	})
}

// announceImported appends session.created for chats an import stored,
// so every window's chat list learns of them (after the rows are
// committed: a client that misses the events finds the chats on its next
// snapshot).
func (b *Backend) announceImported(ctx context.Context, ids []string) {
	evs := make([]eventlog.Event, 0, len(ids))
	for _, id := range ids {
		s, err := b.store.GetSession(ctx, id)
		if err != nil {
			b.log.Warn("read imported chat", "session", id, "err", err)
			continue
		}
		data, err := json.Marshal(s)
		if err != nil {
			continue
		}
		evs = append(evs, eventlog.Event{SessionID: id, Type: chat.EventSessionCreated, Data: data})
	}
	if len(evs) == 0 {
		return
	}
	if _, err := b.events.Append(ctx, evs...); err != nil {
		b.log.Warn("announce imported chats", "count", len(evs), "err", err)
	}
}

// Imports runs imports in the background (the desktop menu starts them).
func (b *Backend) Imports() *importjob.Manager { return b.imports }

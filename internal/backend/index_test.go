package backend

import (
	"context"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// Messages an earlier process queued for the search index (an import the
// app was closed during, or `holdfast import` on the command line) are
// indexed when the app starts.
func TestOpenIndexesWhatWasQueued(t *testing.T) {
	ctx := context.Background()
	home := t.TempDir()
	st, err := store.Open(ctx, DatabasePath(home), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Bulk(ctx, func(b *store.Bulk) error {
		b.DeferIndex()
		now := time.Now()
		sid := b.NewID("s_")
		if err := b.InsertSession(store.Session{ID: sid, Title: "imported", Model: "demo/demo", CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		parent := ""
		for range 1200 {
			m, err := b.InsertMessage(store.Message{ID: b.NewID("m_"), SessionID: sid, ParentID: store.Ref(parent), Role: store.RoleUser,
				Content: "imported text", Status: store.StatusComplete, CreatedAt: now, UpdatedAt: now})
			if err != nil {
				return err
			}
			parent = m.ID
		}
		return b.SetPath(sid, parent)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := st.PendingIndex(ctx); n != 1200 {
		t.Fatalf("%d queued; want 1200", n)
	}
	st.Close()

	b, err := Open(ctx, Options{Home: home})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	deadline := time.Now().Add(60 * time.Second) // the machine is shared
	for {
		n, err := b.Store().PendingIndex(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still queued a minute after start", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := b.Store().CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
}

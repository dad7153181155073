package search

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// queue loads a chat of n messages whose search indexing is deferred.
func queue(t *testing.T, st *store.Store, n int) {
	t.Helper()
	err := st.Bulk(context.Background(), func(b *store.Bulk) error {
		b.DeferIndex()
		now := time.Now()
		sid := b.NewID("s_")
		if err := b.InsertSession(store.Session{ID: sid, Title: "imported", Model: "demo/demo", CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		parent := ""
		for i := range n {
			m, err := b.InsertMessage(store.Message{ID: b.NewID("m_"), SessionID: sid, ParentID: store.Ref(parent), Role: store.RoleUser,
				Content: fmt.Sprintf("queued text %d", i), Status: store.StatusComplete, CreatedAt: now, UpdatedAt: now})
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
}

func waitPending(t *testing.T, st *store.Store, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // the machine is shared
	for {
		n, err := st.PendingIndex(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages wait for the index; want %d", n, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The indexer empties the queue it finds at start (left by an earlier
// run), sleeps, wakes for a new import, and stops with its context.
func TestIndexerRunsUntilCancelled(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "holdfast.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	queue(t, st, 700)
	x := NewIndexer(st, IndexerOptions{Batch: 64})
	rctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { x.Run(rctx); close(stopped) }()
	waitPending(t, st, 0)
	queue(t, st, 300)
	x.Wake()
	x.Wake() // never blocks
	waitPending(t, st, 0)
	cancel()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if err := st.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := Service{Store: st}.Search(ctx, `"queued text 299"`, "", 10)
	if err != nil || len(res.Groups) != 2 || res.Indexing != 0 {
		t.Fatalf("search after indexing: %+v, %v", res, err)
	}
}

// Drain stops between batches when its context ends; what it indexed
// stays indexed and the rest stays queued.
func TestDrainCancelled(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "holdfast.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	queue(t, st, 500)
	dctx, cancel := context.WithCancel(ctx)
	x := NewIndexer(&cancelAfter{st: st, n: 3, cancel: cancel}, IndexerOptions{Batch: 50})
	if err := x.Drain(dctx); err == nil {
		t.Fatal("a cancelled drain returned no error")
	}
	waitPending(t, st, 350)
	if err := st.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
}

// cancelAfter cancels after n batches.
type cancelAfter struct {
	st     *store.Store
	n      int
	calls  int
	cancel context.CancelFunc
}

func (c *cancelAfter) IndexPending(ctx context.Context, limit int) (int, error) {
	c.calls++
	if c.calls == c.n {
		defer c.cancel()
	}
	return c.st.IndexPending(ctx, limit)
}

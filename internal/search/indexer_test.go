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

// steppedQueue is a queue of n messages whose batches take the given
// times on a clock the test steps (the indexer's now).
type steppedQueue struct {
	left   int
	costs  []time.Duration
	clock  time.Time
	limits []int
}

func (q *steppedQueue) IndexPending(_ context.Context, limit int) (int, error) {
	n := min(limit, q.left)
	if n == 0 {
		return 0, nil
	}
	q.left -= n
	q.limits = append(q.limits, limit)
	q.clock = q.clock.Add(q.costs[min(len(q.limits), len(q.costs))-1])
	return n, nil
}

// A batch that keeps the writer past the hold halves the next one, down
// to MinBatch; quick batches double back up to the largest; a negative
// hold keeps every batch whole.
func TestDrainAdaptsBatchToHold(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name  string
		hold  time.Duration
		costs []time.Duration
		want  []int
	}{
		{"slow batches halve down to the floor", 25 * ms, []time.Duration{30 * ms}, []int{256, 128, 64, 32, 16, 16, 16}},
		{"quick batches stay whole", 25 * ms, []time.Duration{2 * ms}, []int{256, 256, 256}},
		{"between half and the hold keeps the size", 25 * ms, []time.Duration{40 * ms, 20 * ms}, []int{256, 128, 128, 128}},
		{"a slow moment passes, the size grows back", 25 * ms, []time.Duration{90 * ms, 90 * ms, 1 * ms}, []int{256, 128, 64, 128, 256, 256}},
		{"negative hold: always the whole batch", -1, []time.Duration{time.Second}, []int{256, 256, 256}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			total := 0
			for _, n := range c.want {
				total += n
			}
			q := &steppedQueue{left: total, costs: c.costs, clock: time.Unix(0, 0)}
			x := NewIndexer(q, IndexerOptions{Batch: 256, Hold: c.hold, Pause: time.Microsecond})
			x.now = func() time.Time { return q.clock }
			if err := x.Drain(context.Background()); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(q.limits) != fmt.Sprint(c.want) {
				t.Fatalf("batches %v, want %v", q.limits, c.want)
			}
		})
	}
}

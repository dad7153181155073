package chat

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
	"github.com/holdfast-chat/holdfast/internal/store"
	"github.com/holdfast-chat/holdfast/internal/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.Main() // the lock-holding second process, when re-executed as one
	os.Exit(m.Run())
}

// firehose stands in for a provider that streams as fast as it is read:
// it emits n chunks of size bytes, all but the first once flood is
// closed, and counts those emit accepted.
type firehose struct {
	n, size  int
	flood    chan struct{}
	accepted atomic.Int64 // bytes emit returned nil for
	inEmit   atomic.Bool
}

func (f *firehose) Name() string                                { return "firehose" }
func (f *firehose) CanContinue() bool                           { return false }
func (f *firehose) Models(context.Context) ([]llm.Model, error) { return nil, nil }
func (f *firehose) Stream(ctx context.Context, req llm.Request, emit func(llm.Chunk) error) (llm.Result, error) {
	for i := range f.n {
		if i == 1 {
			select {
			case <-f.flood:
			case <-ctx.Done():
				return llm.Result{}, ctx.Err()
			}
		}
		text := fmt.Sprintf("%0*d", f.size, i)
		f.inEmit.Store(true)
		err := emit(llm.Chunk{Text: text})
		f.inEmit.Store(false)
		if err != nil {
			return llm.Result{}, err
		}
		f.accepted.Add(int64(len(text)))
	}
	return llm.Result{}, nil
}

func (f *firehose) want() string {
	var b strings.Builder
	for i := range f.n {
		fmt.Fprintf(&b, "%0*d", f.size, i)
	}
	return b.String()
}

// While another program holds the write lock, a generation keeps at most
// its chunk buffer in memory and then stops reading the provider
// (backpressure, nothing dropped); once the lock goes, every chunk is
// committed in order and the answer completes.
func TestCommitterBackpressureUnderARealLock(t *testing.T) {
	ctx := context.Background()
	const limit = 4 << 10
	path := filepath.Join(t.TempDir(), "holdfast.db")
	st, err := store.Open(ctx, path, store.Options{BusyTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	log, err := eventlog.Open(ctx, st, eventlog.Options{ProbeEvery: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	fh := &firehose{n: 600, size: 100, flood: make(chan struct{})} // 60 KB, far past the buffer
	prov := providers{"demo": &llm.Demo{TokensPerSecond: 1000}, "firehose": fh}
	svc := New(log, st, prov, nil, nil, WithChunkBuffer(limit), WithStorageWait(time.Minute))
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		svc.Close(cctx)
		log.Close()
		st.Close()
	})
	sess, err := svc.CreateSession(ctx, NewSession{Model: "firehose/x"})
	if err != nil {
		t.Fatal(err)
	}
	lock := storetest.StartLocker(t, path)
	sub := log.SubscribeLive()
	sent, err := svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "go"})
	if err != nil {
		t.Fatal(err)
	}
	// Lock as the answer streams: whatever committed before is kept.
	lock.Lock()
	committed, err := st.GetMessage(ctx, sent.Assistant.ID) // nothing commits past this while locked
	if err != nil {
		t.Fatal(err)
	}
	close(fh.flood)
	ssetest.Eventually(t, "the provider to block in emit", 30*time.Second, func() bool {
		return fh.inEmit.Load() && fh.accepted.Load() > int64(len(committed.Content))
	})
	// Give it every chance to run past the bound: it must stay blocked.
	time.Sleep(500 * time.Millisecond)
	held := fh.accepted.Load() - int64(len(committed.Content))
	if held > limit || !fh.inEmit.Load() || fh.accepted.Load() >= int64(fh.n*fh.size) {
		t.Fatalf("while locked: %d bytes accepted past the %d committed (limit %d), blocked=%v",
			fh.accepted.Load(), len(committed.Content), limit, fh.inEmit.Load())
	}
	if !svc.Running(sent.Assistant.ID) {
		t.Fatal("the job ended while locked")
	}
	if now, _ := st.GetMessage(ctx, sent.Assistant.ID); now.Content != committed.Content {
		t.Fatalf("content changed while the database was locked: %d -> %d bytes", len(committed.Content), len(now.Content))
	}
	lock.Release()

	m, recs := (&env{}).waitEnd(t, sub, sent.Assistant.ID)
	if m.Status != store.StatusComplete || m.Content != fh.want() {
		t.Fatalf("ended %s with %d bytes; want complete with %d", m.Status, len(m.Content), len(fh.want()))
	}
	if got := deltasText(t, recs, 0); got != fh.want() {
		t.Fatalf("deltas carry %d bytes; want %d", len(got), len(fh.want()))
	}
}

package importjob

import (
	"context"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/search"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// BenchmarkImport5000 imports 5,000 ChatGPT conversations with 100,000
// messages into a new database: parse and store, until the chats are
// listed and the summary is shown. The target is at most 10 s.
// cpu-ms/op says what it costs whatever the load of the machine (ns/op is
// the wall time on this one). index-ms/op is the search indexing the
// app's background indexer does afterwards (not in ns/op).
func BenchmarkImport5000(b *testing.B) {
	path := generatedSpec(b, 5000, 20, 200, 900)
	var cpu, index time.Duration
	var holds []time.Duration
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "holdfast.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		before := cpuTime()
		sum, err := Run(context.Background(), st, path, Options{})
		cpu += cpuTime() - before
		b.StopTimer()
		if err != nil || sum.Imported != 5000 || sum.Messages != 100_000 {
			b.Fatalf("%+v %v", sum, err)
		}
		start := time.Now()
		timed := &timedIndex{st: st}
		if err := search.NewIndexer(timed, search.IndexerOptions{}).Drain(context.Background()); err != nil {
			b.Fatal(err)
		}
		index += time.Since(start)
		holds = append(holds, timed.holds...)
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(index.Milliseconds())/float64(b.N), "index-ms/op")
	// How long one indexing transaction holds the writer (what a streamed
	// token may wait behind it).
	slices.Sort(holds)
	b.ReportMetric(float64(holds[len(holds)/2].Microseconds())/1000, "batch-p50-ms")
	b.ReportMetric(float64(holds[len(holds)*99/100].Microseconds())/1000, "batch-p99-ms")
}

// timedIndex times each indexing transaction.
type timedIndex struct {
	st    *store.Store
	holds []time.Duration
}

func (t *timedIndex) IndexPending(ctx context.Context, limit int) (int, error) {
	start := time.Now()
	n, err := t.st.IndexPending(ctx, limit)
	if n > 0 {
		t.holds = append(t.holds, time.Since(start))
	}
	return n, err
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

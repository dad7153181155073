package bench

import (
	"context"
	"testing"
	"time"
)

func openEnv(tb testing.TB) *Env {
	tb.Helper()
	e, err := Open(context.Background(), tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	return e
}

// TestScenarios runs each scenario small, so `holdfast bench` cannot rot.
func TestScenarios(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t)
	for _, subs := range []int{1, 5} {
		r, err := Deliver(ctx, e, 3000, subs)
		if err != nil || r.Events != 3000 || r.PerSec <= 0 {
			t.Fatalf("deliver to %d: %+v, %v", subs, r, err)
		}
	}
	l, err := Latency(ctx, e, 50, 500)
	if err != nil || l.Samples != 50 || l.P50 <= 0 || l.P99 < l.P50 {
		t.Fatalf("latency: %+v, %v", l, err)
	}
	rr, err := Replay(ctx, t.TempDir(), 2000)
	if err != nil || rr.Missed != 2000 || rr.FirstEvent <= 0 || rr.All < rr.FirstEvent {
		t.Fatalf("replay: %+v, %v", rr, err)
	}
}

func BenchmarkDeliverOneSubscriber(b *testing.B) {
	e := openEnv(b)
	r, err := Deliver(context.Background(), e, max(b.N, 1000), 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(r.PerSec, "events/s")
}

func BenchmarkDeliverFiftySubscribers(b *testing.B) {
	e := openEnv(b)
	r, err := Deliver(context.Background(), e, max(b.N, 1000), 50)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(r.PerSec, "aggregate-events/s")
}

func BenchmarkAppendToReceiveLatency(b *testing.B) {
	e := openEnv(b)
	var p50, p99 time.Duration
	for i := 0; i < b.N; i++ {
		l, err := Latency(context.Background(), e, 1000, 1000)
		if err != nil {
			b.Fatal(err)
		}
		p50, p99 = l.P50, l.P99
	}
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}

func BenchmarkReplay100k(b *testing.B) {
	var r ReplayResult
	for i := 0; i < b.N; i++ {
		var err error
		if r, err = Replay(context.Background(), b.TempDir(), 100_000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.All.Microseconds())/1000, "all-ms")
	b.ReportMetric(float64(r.FirstEvent.Microseconds())/1000, "first-ms")
}

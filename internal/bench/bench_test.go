package bench

import (
	"context"
	"encoding/json"
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

// TestHistorySmall seeds a small history and runs every history scenario
// (each checks its answer), so `holdfast bench` cannot rot.
func TestHistorySmall(t *testing.T) {
	ctx := context.Background()
	h, err := SeedHistory(ctx, t.TempDir(), HistoryOptions{Chats: 120, Messages: 12_000, LongPath: 3_000, HitAt: 2_500, Branchy: 800, Branches: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.Measure(ctx, 2); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Sessions []struct {
			ID           string `json:"id"`
			MessageCount int    `json:"message_count"`
		} `json:"sessions"`
	}
	body, err := h.call(ctx, "GET", "/api/sessions?limit=500", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range list.Sessions {
		total += s.MessageCount
	}
	if len(list.Sessions) != 120 || total != 12_000 || list.Sessions[0].ID != h.LongChat {
		t.Fatalf("%d chats, %d messages, newest %s; want 120, 12000, the long chat", len(list.Sessions), total, list.Sessions[0].ID)
	}
	if err := h.st.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkHistory seeds issue 12's history once (10,000 chats, 1,000,000
// messages) and times each scenario end to end on loopback.
func BenchmarkHistory(b *testing.B) {
	ctx := context.Background()
	h, err := SeedHistory(ctx, b.TempDir(), HistoryOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	b.Logf("seeded %d messages in %v", h.Messages, h.Seeded.Round(time.Millisecond))
	run := func(name, method, path string, body any) {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := h.call(ctx, method, path, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	run("SessionsFirstPage", "GET", "/api/sessions?limit=50", nil)
	run("SearchTenHits", "GET", "/api/search?q="+Needle, nil)
	run("OpenHitAt500k", "POST", "/api/sessions/"+h.LongChat+"/switch", map[string]any{"message_id": h.HitID, "limit": 50})
	run("OpenBranchyChat", "GET", "/api/sessions/"+h.BranchyChat+"/messages?limit=50", nil)
}

// TestImportSmall runs the import scenario small, so `holdfast bench`
// cannot rot.
func TestImportSmall(t *testing.T) {
	spec := ImportSpec
	spec.Convs = 50
	dir := t.TempDir()
	path, err := WriteImportFile(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Import(context.Background(), t.TempDir(), path, spec); err != nil {
		t.Fatal(err)
	}
}

package eventlog

import (
	"context"
	"fmt"
	"testing"
)

var benchData = []byte(`{"message_id":"m_01JBENCHMARKMESSAGE0000000","session_id":"s_01JBENCH","index":1,"text":"token "}`)

// BenchmarkAppend: many concurrent single-event appends, group-committed.
func BenchmarkAppend(b *testing.B) {
	l, _ := openLog(b, tempPath(b), Options{})
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Append(context.Background(), Event{SessionID: "s", Type: "t", Data: benchData}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppendBatch: one appender, 64 events a call.
func BenchmarkAppendBatch(b *testing.B) {
	l, _ := openLog(b, tempPath(b), Options{})
	evs := make([]Event, 64)
	for i := range evs {
		evs[i] = Event{SessionID: "s", Type: "t", Data: benchData}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += len(evs) {
		if _, err := l.Append(context.Background(), evs[:min(len(evs), b.N-i)]...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSubscribeReplay: a cursor reading history from the database
// (a reopened log has nothing in memory).
func BenchmarkSubscribeReplay(b *testing.B) {
	for _, n := range []int{100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			path := tempPath(b)
			l, st := openLog(b, path, Options{})
			evs := make([]Event, 1000)
			for i := range evs {
				evs[i] = Event{SessionID: "s", Type: "t", Data: benchData}
			}
			for i := 0; i < n; i += len(evs) {
				l.Append(context.Background(), evs...)
			}
			l.Close()
			st.Close()
			l, _ = openLog(b, path, Options{})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sub, err := l.Subscribe(l.Epoch(), 0)
				if err != nil {
					b.Fatal(err)
				}
				for sub.Cursor() < int64(n) {
					if _, err := sub.Next(context.Background(), 1024); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

package importer

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// The target: 5,000 conversations with 100,000 messages imported in
// at most 10 s, store writes included. These measure the parsing share.
var benchSpec = genSpec{convs: 5000, msgs: 20, userLen: 200, answerLen: 900}

func writeBenchFile(b *testing.B, zipped bool) (string, int64) {
	b.Helper()
	dir := b.TempDir()
	path := filepath.Join(dir, "conversations.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if zipped {
		path = filepath.Join(dir, "export.zip")
		f.Close()
		if f, err = os.Create(path); err != nil {
			b.Fatal(err)
		}
		zw := zip.NewWriter(f)
		w, err := zw.Create("conversations.json")
		if err != nil {
			b.Fatal(err)
		}
		if err := writeChatGPTExport(w, benchSpec); err != nil {
			b.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			b.Fatal(err)
		}
	} else if err := writeChatGPTExport(f, benchSpec); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, st.Size()
}

// readAll parses the export at path and counts what it yields.
func readAll(b *testing.B, path string) (convs, msgs int, peakHeap uint64) {
	src, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	var ms runtime.MemStats
	for c, err := range src.Conversations(context.Background()) {
		if err != nil {
			b.Fatal(err)
		}
		convs++
		msgs += len(c.Messages)
		if convs%500 == 0 {
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse)
		}
	}
	return convs, msgs, peakHeap
}

func benchmarkImport(b *testing.B, zipped bool) {
	path, size := writeBenchFile(b, zipped)
	b.SetBytes(size)
	var peak uint64
	var cpu time.Duration
	for b.Loop() {
		before := cpuTime()
		convs, msgs, p := readAll(b, path)
		cpu += cpuTime() - before
		if convs != benchSpec.convs || msgs != benchSpec.convs*benchSpec.msgs {
			b.Fatalf("read %d conversations, %d messages", convs, msgs)
		}
		peak = max(peak, p)
	}
	// CPU time says what the parse costs regardless of how loaded the
	// machine is (the wall time per op says what it takes on this one).
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(size)/(1<<20), "file-MiB")
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkChatGPT5000 parses a generated conversations.json with 5,000
// conversations and 100,000 messages.
func BenchmarkChatGPT5000(b *testing.B) { benchmarkImport(b, false) }

// BenchmarkChatGPT5000Zip does the same from the export zip, inflating as
// it goes.
func BenchmarkChatGPT5000Zip(b *testing.B) { benchmarkImport(b, true) }

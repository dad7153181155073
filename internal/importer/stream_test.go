package importer

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// A large export is decoded one conversation at a time: the heap stays a
// small fraction of the file however big the file is.
func TestStreamingBoundsMemory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conversations.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	spec := genSpec{convs: 250, msgs: 40, userLen: 300, answerLen: 1500}
	if err := writeChatGPTExport(f, spec); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	src, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	convs, msgs := 0, 0
	for c, err := range src.Conversations(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		convs++
		msgs += len(c.Messages)
		if convs%25 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if convs != spec.convs || msgs != spec.convs*spec.msgs {
		t.Fatalf("read %d conversations and %d messages", convs, msgs)
	}
	grew := int64(peak) - int64(base)
	t.Logf("file %.1f MiB, heap grew by at most %.1f MiB", float64(st.Size())/(1<<20), float64(grew)/(1<<20))
	if grew > st.Size()/2 {
		t.Errorf("the heap grew by %d bytes while reading a %d-byte file: it is not streamed", grew, st.Size())
	}
}

package importjob

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// BenchmarkImport5000 imports 5,000 ChatGPT conversations with 100,000
// messages into a new database: parse, store, search index. The issue's
// target is at most 10 s.
func BenchmarkImport5000(b *testing.B) {
	path := generatedSpec(b, 5000, 20, 200, 900)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "holdfast.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := Run(context.Background(), st, path, Options{BatchMessages: benchBatch()})
		b.StopTimer()
		if err != nil || sum.Imported != 5000 || sum.Messages != 100_000 {
			b.Fatalf("%+v %v", sum, err)
		}
		st.Close()
		b.StartTimer()
	}
}

func benchBatch() int {
	n, _ := strconv.Atoi(os.Getenv("IMPORT_BATCH"))
	return n
}

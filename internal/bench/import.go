package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/holdfast-chat/holdfast/internal/importgen"
	"github.com/holdfast-chat/holdfast/internal/importjob"
	"github.com/holdfast-chat/holdfast/internal/search"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// ImportSpec is the import target: 5,000 conversations with
// 100,000 messages (a ChatGPT export, one edited question per chat).
var ImportSpec = importgen.Spec{Convs: 5000, Msgs: 20, UserLen: 200, AnswerLen: 900}

// WriteImportFile writes a generated ChatGPT conversations.json into dir.
func WriteImportFile(dir string, spec importgen.Spec) (string, error) {
	path := filepath.Join(dir, "conversations.json")
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("write import file: %w", err)
	}
	if err := importgen.WriteChatGPT(f, spec); err != nil {
		f.Close()
		return "", fmt.Errorf("write import file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write import file: %w", err)
	}
	return path, nil
}

// ImportTimes is how long an import took.
type ImportTimes struct {
	// Import is from opening the file to the last commit: the chats are
	// in the list and the summary is shown.
	Import time.Duration
	// Indexed is from opening the file until the background indexer has
	// indexed every imported message for search (search finds them
	// before, by their text, only more slowly).
	Indexed time.Duration
}

// Import times importing the file at path into a new database in dir,
// and then indexing it for search as the app does in the background.
func Import(ctx context.Context, dir, path string, spec importgen.Spec) (ImportTimes, error) {
	st, err := store.Open(ctx, filepath.Join(dir, "holdfast.db"), store.Options{})
	if err != nil {
		return ImportTimes{}, err
	}
	defer st.Close()
	start := time.Now()
	sum, err := importjob.Run(ctx, st, path, importjob.Options{})
	var t ImportTimes
	t.Import = time.Since(start)
	if err != nil {
		return t, fmt.Errorf("import: %w", err)
	}
	if sum.Imported != spec.Convs || sum.Messages != spec.Convs*spec.Msgs {
		return t, fmt.Errorf("import: %d conversations, %d messages; want %d, %d", sum.Imported, sum.Messages, spec.Convs, spec.Convs*spec.Msgs)
	}
	if err := search.NewIndexer(st, search.IndexerOptions{}).Drain(ctx); err != nil {
		return t, fmt.Errorf("index imported messages: %w", err)
	}
	t.Indexed = time.Since(start)
	if n, err := st.PendingIndex(ctx); err != nil || n != 0 {
		return t, fmt.Errorf("index imported messages: %d left (%v)", n, err)
	}
	return t, nil
}

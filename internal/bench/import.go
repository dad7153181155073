package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/holdfast-chat/holdfast/internal/importgen"
	"github.com/holdfast-chat/holdfast/internal/importjob"
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

// Import times importing the file at path into a new database in dir,
// from opening the file to the last commit (search index included).
func Import(ctx context.Context, dir, path string, spec importgen.Spec) (time.Duration, error) {
	st, err := store.Open(ctx, filepath.Join(dir, "holdfast.db"), store.Options{})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	start := time.Now()
	sum, err := importjob.Run(ctx, st, path, importjob.Options{})
	took := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("import: %w", err)
	}
	if sum.Imported != spec.Convs || sum.Messages != spec.Convs*spec.Msgs {
		return 0, fmt.Errorf("import: %d conversations, %d messages; want %d, %d", sum.Imported, sum.Messages, spec.Convs, spec.Convs*spec.Msgs)
	}
	return took, nil
}

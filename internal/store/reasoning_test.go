package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// TestMigrationToReasoningKeepsMessages opens a schema-1 database (before
// reasoning and finish reasons were kept): its messages survive the
// migration with empty reasoning, and the new fields round-trip.
func TestMigrationToReasoningKeepsMessages(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "holdfast.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		ms[0].sql,
		`INSERT INTO meta(key, value) VALUES ('epoch', 'abcdefabcdef'), ('trimmed_through', '0'), ('schema_version', '1')`,
		`INSERT INTO sessions(id, title, model, created_at, updated_at) VALUES ('s_1', 'Old', 'demo/demo', 1, 1)`,
		`INSERT INTO messages(id, session_id, role, content, status, chunks, input_tokens, output_tokens, created_at, updated_at)
		 VALUES ('m_1', 's_1', 'assistant', 'old answer', 'complete', 3, 5, 7, 1, 1)`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	if b, _ := filepath.Glob(filepath.Join(dir, "holdfast.db.v1-*.bak")); len(b) != 1 {
		t.Fatalf("backups %v; want one of schema 1", b)
	}
	m, err := s.GetMessage(ctx, "m_1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Content != "old answer" || m.Reasoning != "" || m.ReasoningChunks != 0 || m.ReasoningMS != nil || m.FinishReason != "" || m.Usage == nil || m.Usage.OutputTokens != 7 {
		t.Fatalf("migrated message %+v", m)
	}

	at := time.UnixMilli(1_700_000_000_000).UTC()
	err = s.Write(ctx, func(tx *Tx) error {
		for _, step := range []func() error{
			func() error { return tx.AppendReasoning("m_1", "Let me", 1, at) },
			func() error { return tx.AppendReasoning("m_1", " think.", 2, at.Add(time.Second)) },
			func() error { return tx.SetReasoningSignature("m_1", "") },
			func() error { return tx.AddReasoningTime("m_1", 1500*time.Millisecond) },
			func() error { return tx.AddReasoningTime("m_1", 500*time.Millisecond) },
			func() error { return tx.AddUsage("m_1", &Usage{InputTokens: 1, OutputTokens: 2}) },
			func() error { return tx.SetOutcome("m_1", "length", "") },
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m, _ = s.GetMessage(ctx, "m_1")
	if m.Reasoning != "Let me think." || m.ReasoningChunks != 2 || m.ReasoningStartedAt == nil || !m.ReasoningStartedAt.Equal(at) ||
		m.ReasoningMS == nil || *m.ReasoningMS != 2000 || !m.ReasoningSigned || m.FinishReason != "length" ||
		m.Usage.InputTokens != 6 || m.Usage.OutputTokens != 9 {
		t.Fatalf("after updates: %+v (usage %+v)", m, m.Usage)
	}
	if err := s.Write(ctx, func(tx *Tx) error { return tx.AppendReasoning("m_none", "x", 1, at) }); err == nil {
		t.Fatal("reasoning appended to a missing message")
	}
}

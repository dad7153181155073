package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// indexTexts are the messages of the search comparisons: ASCII in both
// cases, a phrase, CJK (no spaces), LIKE's wildcards, short words.
var indexTexts = []string{
	"The quick brown fox jumps", "ALPHA centauri is near", "alpha beta gamma", "a fox in a box",
	"漢字テキストの検索", "100% sure, under_score", "nothing to see", "ok go", "Brown bread and alpha",
	"fox ab cd", "last words here", "another quick one",
}

// bulkChats loads chats of the given texts with one Bulk, queued for the
// indexer (deferred) or indexed before the commit.
func bulkChats(t *testing.T, s *Store, deferred bool, chats, perChat int) []string {
	t.Helper()
	var ids []string
	err := s.Bulk(context.Background(), func(b *Bulk) error {
		if deferred {
			b.DeferIndex()
		}
		now := s.Now()
		k := 0
		for c := range chats {
			sid := b.NewID("s_")
			ids = append(ids, sid)
			if err := b.InsertSession(Session{ID: sid, Title: fmt.Sprintf("imported %d", c), Model: "demo/demo", CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			parent := ""
			for range perChat {
				m, err := b.InsertMessage(Message{ID: b.NewID("m_"), SessionID: sid, ParentID: Ref(parent), Role: RoleUser,
					Content: indexTexts[k%len(indexTexts)], Status: StatusComplete, CreatedAt: now, UpdatedAt: now})
				if err != nil {
					return err
				}
				k++
				parent = m.ID
			}
			if err := b.SetLoadedPath(sid, parent); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// searchAll walks every page of a search and describes what it found:
// message keys and texts, page by page, with the paging flags.
func searchAll(t *testing.T, s *Store, text string, limit int) string {
	t.Helper()
	q, err := ParseQuery(text)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var before int64
	for range 1000 {
		page, err := s.SearchMessages(context.Background(), SearchRequest{Query: q, Limit: limit, Before: before})
		if err != nil {
			t.Fatalf("search %q: %v", text, err)
		}
		for _, h := range page.Hits {
			out = append(out, fmt.Sprintf("%d:%s", h.Cursor, h.Content))
		}
		out = append(out, fmt.Sprintf("| partial=%v", page.Partial))
		if page.Next == 0 {
			return strings.Join(out, "\n")
		}
		before = page.Next
	}
	t.Fatalf("search %q never ended", text)
	return ""
}

func ftsRows(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.reader.QueryRow(`SELECT count(*) FROM messages_fts_docsize`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func drainIndex(t *testing.T, s *Store, batch int) int {
	t.Helper()
	total := 0
	for {
		n, err := s.IndexPending(context.Background(), batch)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

// Queued messages are found before they are indexed, and a search gives
// exactly what the same messages indexed at once give, before, half way
// through and after the indexing.
func TestQueuedSearchMatchesIndexed(t *testing.T) {
	ctx := context.Background()
	indexed, _ := openTemp(t)
	queued, _ := openTemp(t)
	for _, s := range []*Store{indexed, queued} {
		seedChats(t, s, []string{"a live alpha before", "live fox"})
	}
	bulkChats(t, indexed, false, 6, 25)
	bulkChats(t, queued, true, 6, 25)
	for _, s := range []*Store{indexed, queued} {
		seedChats(t, s, []string{"a live alpha after", "brown fox live"})
	}
	if n, _ := queued.PendingIndex(ctx); n != 150 {
		t.Fatalf("%d messages queued; want 150", n)
	}
	if n, _ := indexed.PendingIndex(ctx); n != 0 {
		t.Fatalf("a load without DeferIndex queued %d messages", n)
	}
	queries := []struct {
		text  string
		limit int
	}{
		{"alpha", 100},
		{"alpha", 7},
		{"ALPHA", 5},
		{`"quick brown"`, 3},
		{"fox", 4},
		{"fox ab", 2},  // a long and a short term
		{"ok", 5},      // short only: the bounded scan
		{"漢字テキ", 6},    // no spaces
		{"100%", 10},   // LIKE's wildcard is literal
		{"under_s", 3}, // and so is _
		{"zzzz", 10},
	}
	compare := func(stage string) {
		t.Helper()
		for _, q := range queries {
			want := searchAll(t, indexed, q.text, q.limit)
			if got := searchAll(t, queued, q.text, q.limit); got != want {
				t.Errorf("%s: search %q (limit %d):\n got %s\nwant %s", stage, q.text, q.limit, got, want)
			}
		}
		for _, q := range []string{"alpha", "quick brown", "ok", "漢字"} {
			want, err := indexed.ListSessions(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			got, err := queued.ListSessions(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("%s: chats matching %q: %d; want %d", stage, q, len(got), len(want))
			}
		}
		if err := queued.CheckSearchIndex(ctx); err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
	}
	compare("all queued")
	if n, err := queued.IndexPending(ctx, 40); err != nil || n != 40 {
		t.Fatalf("indexed %d, %v; want 40", n, err)
	}
	compare("40 indexed")
	if n := drainIndex(t, queued, 33); n != 110 {
		t.Fatalf("indexed %d more; want 110", n)
	}
	compare("all indexed")
	if n, _ := queued.PendingIndex(ctx); n != 0 {
		t.Fatalf("%d still queued", n)
	}
	if a, b := ftsRows(t, indexed), ftsRows(t, queued); a != b || a != 154 {
		t.Fatalf("index rows: %d queued, %d indexed at once; want 154 each", b, a)
	}
}

// Messages written by chats while the indexer works are indexed by their
// own transaction, never queued; the indexer's batches leave them alone.
func TestLiveWritesIndexedWhileIndexing(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	bulkChats(t, s, true, 40, 50)
	done := make(chan error, 1)
	go func() {
		for {
			n, err := s.IndexPending(ctx, 25)
			if err != nil || n == 0 {
				done <- err
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	for i := range 20 {
		text := fmt.Sprintf("live write number %03d", i)
		seedChats(t, s, []string{text})
		var inIndex, queued int
		if err := s.reader.QueryRow(`SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?`, `"`+text+`"`).Scan(&inIndex); err != nil {
			t.Fatal(err)
		}
		if err := s.reader.QueryRow(`SELECT count(*) FROM fts_pending p JOIN messages m ON m.n = p.n WHERE m.content = ?`, text).Scan(&queued); err != nil {
			t.Fatal(err)
		}
		if inIndex != 1 || queued != 0 {
			t.Fatalf("%q right after its write: %d in the index, %d queued; want 1, 0", text, inIndex, queued)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, _ := s.PendingIndex(ctx); n != 0 {
		t.Fatalf("%d still queued", n)
	}
	if got := ftsRows(t, s); got != 2000+20 {
		t.Fatalf("%d index rows; want 2020", got)
	}
	if err := s.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
}

// A queued message deleted or changed before the indexer gets to it: the
// index stays consistent, and indexes the text as it is then.
func TestQueuedMessagesChangeBeforeIndexing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(t *testing.T, s *Store, sessions []string)
		find   map[string]int // query -> hits after indexing
	}{
		{"chat deleted", func(t *testing.T, s *Store, sessions []string) {
			if err := s.Write(ctx, func(tx *Tx) error { return tx.DeleteSession(sessions[0]) }); err != nil {
				t.Fatal(err)
			}
		}, map[string]int{"quick brown": 1, "alpha": 3}},
		{"text changed", func(t *testing.T, s *Store, sessions []string) {
			if _, err := s.writer.Exec(`UPDATE messages SET content = 'rewritten zebra' WHERE session_id = ? AND content LIKE 'The quick%'`, sessions[0]); err != nil {
				t.Fatal(err)
			}
		}, map[string]int{"quick brown": 1, "zebra": 1, "alpha": 6}},
		{"status changed", func(t *testing.T, s *Store, sessions []string) {
			if _, err := s.writer.Exec(`UPDATE messages SET status = 'failed' WHERE session_id = ?`, sessions[0]); err != nil {
				t.Fatal(err)
			}
		}, map[string]int{"quick brown": 2, "alpha": 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTemp(t)
			sessions := bulkChats(t, s, true, 2, len(indexTexts))
			tc.change(t, s, sessions)
			if err := s.CheckSearchIndex(ctx); err != nil {
				t.Fatalf("before indexing: %v", err)
			}
			before := map[string]int{}
			for q := range tc.find {
				before[q] = len(hitTexts(t, s, q))
			}
			drainIndex(t, s, 5)
			if err := s.CheckSearchIndex(ctx); err != nil {
				t.Fatalf("after indexing: %v", err)
			}
			for q, want := range tc.find {
				if got := len(hitTexts(t, s, q)); got != want || before[q] != want {
					t.Errorf("%q: %d hits before indexing, %d after; want %d", q, before[q], got, want)
				}
			}
		})
	}
}

// Killed (kill -9) in the middle of indexing, the next process finds every
// message either indexed or still queued, never both, and finishes: each
// message in the index exactly once.
func TestIndexingSurvivesKill(t *testing.T) {
	if path := os.Getenv("HOLDFAST_INDEX_HELPER"); path != "" {
		indexHelper(path)
		return
	}
	ctx := context.Background()
	s, path := openTemp(t)
	bulkChats(t, s, true, 100, 40)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestIndexingSurvivesKill$")
	cmd.Env = append(os.Environ(), "HOLDFAST_INDEX_HELPER="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	batches := 0
	for lines.Scan() && batches < 5 {
		if strings.HasPrefix(lines.Text(), "indexed ") {
			batches++
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if batches < 5 {
		t.Fatalf("the helper indexed %d batches before it ended; the test needs it killed mid-way", batches)
	}

	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pending, _ := s.PendingIndex(ctx)
	rows := ftsRows(t, s)
	if pending == 0 || pending == 4000 || pending+rows != 4000 {
		t.Fatalf("after the kill: %d queued, %d indexed; want a split of 4000", pending, rows)
	}
	if err := s.CheckSearchIndex(ctx); err != nil {
		t.Fatalf("after the kill: %v", err)
	}
	drainIndex(t, s, 300)
	if got := ftsRows(t, s); got != 4000 {
		t.Fatalf("%d index rows after finishing; want 4000", got)
	}
	if err := s.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
	var dup int
	if err := s.reader.QueryRow(`SELECT count(*) FROM messages_fts f JOIN messages m ON m.n = f.rowid WHERE messages_fts MATCH '"quick brown"'`).Scan(&dup); err != nil {
		t.Fatal(err)
	}
	if want := 4000 / len(indexTexts); dup < want || dup > want+1 {
		t.Fatalf("%d index matches of one text; want each message once (%d or %d)", dup, want, want+1)
	}
}

// indexHelper indexes the database at path in small batches, saying so
// after each, until it is killed.
func indexHelper(path string) {
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for {
		n, err := s.IndexPending(context.Background(), 20)
		if err != nil {
			fmt.Println("index:", err)
			os.Exit(1)
		}
		fmt.Println("indexed " + strconv.Itoa(n))
		time.Sleep(20 * time.Millisecond)
	}
}

// The queue table and the triggers that respect it exist after the
// migration, and an index rebuild leaves queued messages out.
func TestRebuildLeavesQueuedOut(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	bulkChats(t, s, true, 3, 10)
	seedChats(t, s, []string{"live one", "live two"})
	if _, err := s.writer.Exec(`INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')`); err != nil {
		t.Fatal(err)
	}
	if got := ftsRows(t, s); got != 2 {
		t.Fatalf("%d rows after a rebuild; want the 2 live messages", got)
	}
	if err := s.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
	drainIndex(t, s, 7)
	if got := ftsRows(t, s); got != 32 {
		t.Fatalf("%d rows; want 32", got)
	}
	var names []string
	rows, err := s.reader.Query(`SELECT name FROM sqlite_master WHERE name IN ('fts_pending', 'messages_fts_delete', 'messages_fts_update', 'message_text') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	if !slices.Equal(names, []string{"fts_pending", "message_text", "messages_fts_delete", "messages_fts_update"}) {
		t.Fatalf("schema has %v", names)
	}
}

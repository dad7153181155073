package importjob

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/importer"
	"github.com/holdfast-chat/holdfast/internal/search"
	"github.com/holdfast-chat/holdfast/internal/store"
)

func TestHoldfastRoundTrip(t *testing.T) {
	src := openStore(t)
	seedBranchy(t, src)
	jsonl := exportAll(t, src)
	if !bytes.Contains(jsonl, []byte(`"selected_child_id":"m_06"`)) {
		t.Fatalf("the seeded chat should remember a branch off its path:\n%s", jsonl)
	}
	tests := []struct {
		name  string
		files map[string][]byte // file -> content imported in turn
		want  func(dst *store.Store) []byte
		check []byte
	}{
		{"JSON Lines", map[string][]byte{"all.jsonl": jsonl}, func(dst *store.Store) []byte { return exportAll(t, dst) }, jsonl},
		{"one JSON document", map[string][]byte{"tree.json": exportOne(t, src, "s_tree")},
			func(dst *store.Store) []byte { return exportOne(t, dst, "s_tree") }, exportOne(t, src, "s_tree")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := openStore(t)
			for name, data := range tt.files {
				sum := run(t, dst, writeFile(t, name, data), Options{})
				if sum.Format != FormatHoldfast || len(sum.Skipped) != 0 || sum.Imported != sum.Total {
					t.Fatalf("summary %+v", sum)
				}
			}
			if got := tt.want(dst); !bytes.Equal(got, tt.check) {
				t.Errorf("export after import differs from the input:\n got %s\nwant %s", got, tt.check)
			}
		})
	}
}

func TestIdempotent(t *testing.T) {
	src := openStore(t)
	seedBranchy(t, src)
	holdfast := writeFile(t, "all.jsonl", exportAll(t, src))
	chatgpt := fixturePath(t, "chatgpt/conversations.json")
	for _, path := range []string{holdfast, chatgpt} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			dst := openStore(t)
			first := run(t, dst, path, Options{})
			s1, m1 := counts(t, dst)
			if first.Imported == 0 || s1 != first.Imported || m1 != first.Messages {
				t.Fatalf("first import %+v; store has %d chats, %d messages", first, s1, m1)
			}
			second := run(t, dst, path, Options{})
			s2, m2 := counts(t, dst)
			if s2 != s1 || m2 != m1 || second.Imported != 0 || second.Duplicates != first.Imported {
				t.Fatalf("second import %+v; store has %d chats, %d messages (was %d, %d)", second, s2, m2, s1, m1)
			}
			if second.Failed != first.Failed || len(second.Skipped) != first.Failed {
				t.Errorf("failed %d, listed %d; want %d", second.Failed, len(second.Skipped), first.Failed)
			}
		})
	}
	t.Run("into the database it came from", func(t *testing.T) {
		s1, m1 := counts(t, src)
		sum := run(t, src, holdfast, Options{})
		s2, m2 := counts(t, src)
		if s2 != s1 || m2 != m1 || sum.Imported != 0 || sum.Duplicates != 3 {
			t.Fatalf("summary %+v; %d/%d chats, %d/%d messages", sum, s2, s1, m2, m1)
		}
	})
	t.Run("a deleted chat comes back", func(t *testing.T) {
		dst := openStore(t)
		run(t, dst, chatgpt, Options{})
		id, err := dst.Imported(context.Background(), "chatgpt", "c0000001-0000-4000-8000-000000000001")
		if err != nil || id == "" {
			t.Fatalf("imported as %q, %v", id, err)
		}
		if err := dst.Write(context.Background(), func(tx *store.Tx) error { return tx.DeleteSession(id) }); err != nil {
			t.Fatal(err)
		}
		if sum := run(t, dst, chatgpt, Options{}); sum.Imported != 1 {
			t.Fatalf("re-import after delete: %+v", sum)
		}
	})
}

func fixturePath(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join("..", "importer", "testdata", filepath.FromSlash(name))
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFixtures imports every format's fixture and checks each stored chat
// field by field against what the reader yields for it.
func TestFixtures(t *testing.T) {
	fixtures := []string{
		"chatgpt/conversations.json", "claude/conversations.json", "openwebui/chat-export-1710003000000.json",
		"librechat/flat-branches.json", "librechat/recursive-tree.json", "cherrystudio/data.json",
		"chatbox/chatbox-exported-data-2024-6-1.json",
	}
	ctx := context.Background()
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			path := fixturePath(t, name)
			st := openStore(t)
			sum := run(t, st, path, Options{Model: "demo/demo"})
			src, err := importer.Open(path, importer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var convs []importer.Conversation
			skipped := 0
			for c, err := range src.Conversations(ctx) {
				if importer.IsSkipped(err) {
					skipped++
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				convs = append(convs, c)
			}
			if sum.Imported != len(convs) || len(sum.Skipped) != skipped || sum.Failed != skipped || sum.Total != len(convs)+skipped {
				t.Fatalf("summary %+v; the reader yields %d conversations and %d skips", sum, len(convs), skipped)
			}
			for _, c := range convs {
				checkStored(t, st, c)
			}
			if err := st.CheckSearchIndex(ctx); err != nil {
				t.Errorf("search index: %v", err)
			}
		})
	}
}

func checkStored(t *testing.T, st *store.Store, c importer.Conversation) {
	t.Helper()
	ctx := context.Background()
	id := c.SourceID
	if id == "" {
		id = fallbackID(&c)
	}
	sid, err := st.Imported(ctx, string(c.Source), id)
	if err != nil || sid == "" {
		t.Fatalf("conversation %q not recorded: %q %v", c.Title, sid, err)
	}
	s, err := st.GetSession(ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.ListAllMessages(ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("%s %q", c.Source, c.Title)
	if c.Title != "" && s.Title != oneLine(c.Title, 200) {
		t.Errorf("%s: title %q", name, s.Title)
	}
	if s.Model != "demo/demo" || s.SystemPrompt != c.SystemPrompt || s.MessageCount != len(c.Messages) || len(msgs) != len(c.Messages) {
		t.Errorf("%s: model %q, system %q, %d/%d messages; want %d", name, s.Model, s.SystemPrompt, s.MessageCount, len(msgs), len(c.Messages))
	}
	if !c.CreatedAt.IsZero() && !s.CreatedAt.Equal(c.CreatedAt.Truncate(time.Millisecond)) {
		t.Errorf("%s: created %v, want %v", name, s.CreatedAt, c.CreatedAt)
	}
	if !c.UpdatedAt.IsZero() && s.LastActivityAt.Before(c.UpdatedAt.Truncate(time.Millisecond)) {
		t.Errorf("%s: last activity %v before the source's %v", name, s.LastActivityAt, c.UpdatedAt)
	}
	if len(msgs) != len(c.Messages) {
		return
	}
	// Messages are stored in the reader's order, parents first.
	byID := map[string]string{} // stored id -> source id
	for i, m := range c.Messages {
		got := msgs[i]
		byID[got.ID] = m.SourceID
		role, content := roleAndContent(m)
		if got.Role != role || got.Content != content || got.Model != m.Model || got.Error != m.Error {
			t.Errorf("%s message %s: %s %q model %q error %q; want %s %q %q %q", name, m.SourceID, got.Role, got.Content, got.Model, got.Error, role, content, m.Model, m.Error)
		}
		if !m.CreatedAt.IsZero() && !got.CreatedAt.Equal(m.CreatedAt.Truncate(time.Millisecond)) {
			t.Errorf("%s message %s: created %v, want %v", name, m.SourceID, got.CreatedAt, m.CreatedAt)
		}
		if byID[string(got.ParentID)] != m.ParentID {
			t.Errorf("%s message %s: parent %q, want %q", name, m.SourceID, byID[string(got.ParentID)], m.ParentID)
		}
	}
	path, err := st.PathTo(ctx, string(s.CurrentLeafID))
	if err != nil {
		t.Fatal(err)
	}
	want := c.CurrentPath()
	if len(path) != len(want) {
		t.Fatalf("%s: path of %d messages, want %d", name, len(path), len(want))
	}
	for i := range path {
		if byID[path[i].ID] != want[i].SourceID {
			t.Errorf("%s: path[%d] is %s, want %s", name, i, byID[path[i].ID], want[i].SourceID)
		}
	}
}

// TestChatGPTFieldByField spells out one conversation as stored.
func TestChatGPTFieldByField(t *testing.T) {
	st := openStore(t)
	sum := run(t, st, fixturePath(t, "chatgpt/conversations.json"), Options{})
	if sum.Format != "chatgpt" || sum.Imported != 3 || len(sum.Skipped) != 2 {
		t.Fatalf("summary %+v", sum)
	}
	for _, k := range sum.Skipped {
		if k.Duplicate || k.Reason == "" || k.SourceID == "" {
			t.Errorf("skip %+v", k)
		}
	}
	ctx := context.Background()
	sid, _ := st.Imported(ctx, "chatgpt", "c0000002-0000-4000-8000-000000000002")
	s, err := st.GetSession(ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	if s.Title != "Reasoning, tools and files" || s.TitleSource != store.TitleGenerated || s.Model != "o3" ||
		!s.CreatedAt.Equal(time.Unix(1700001000, 0)) || !s.LastActivityAt.Equal(time.Unix(1700001100, 0)) {
		t.Errorf("session %+v", s)
	}
	path, err := st.PathTo(ctx, string(s.CurrentLeafID))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		role store.Role
		has  []string
	}{
		{store.RoleUser, []string{"What is in this photo?", "📎 Attachment: `photo.png` (image/png, 12 bytes, not imported)", "`notes.pdf` (application/pdf, 2.0 KB"}},
		{store.RoleAssistant, []string{"> **Thinking**", "> The image is tiny.", "**Tool call: python**", "```\nprint(2*2)\n```"}},
		{store.RoleAssistant, []string{"**Tool output (python):**", "```\n4\n```"}},
		{store.RoleAssistant, []string{"**Tool output (dalle.text2im):**", "`file_00000000aaaa`"}},
		{store.RoleAssistant, []string{"It has 4 pixels"}},
	}
	if len(path) != len(want) {
		t.Fatalf("path has %d messages, want %d", len(path), len(want))
	}
	for i, w := range want {
		if path[i].Role != w.role || path[i].Status != store.StatusComplete {
			t.Errorf("message %d: %s %s", i, path[i].Role, path[i].Status)
		}
		for _, h := range w.has {
			if !strings.Contains(path[i].Content, h) {
				t.Errorf("message %d lacks %q:\n%s", i, h, path[i].Content)
			}
		}
	}
	// The first chat shows the branch ChatGPT showed, not the newest one.
	sid, _ = st.Imported(ctx, "chatgpt", "c0000001-0000-4000-8000-000000000001")
	s, _ = st.GetSession(ctx, sid)
	leaf, _ := st.GetMessage(ctx, string(s.CurrentLeafID))
	if leaf.Content != "Answer to the first version." {
		t.Errorf("current leaf %q", leaf.Content)
	}
	// Script in text is kept as text (the UI renders it inert; e2e checks).
	first, _ := st.PathTo(ctx, string(s.CurrentLeafID))
	if !strings.Contains(first[0].Content, "<script>alert(1)</script>") {
		t.Errorf("text changed: %q", first[0].Content)
	}
}

// TestCycleNoted: the fixture's third ChatGPT conversation has a loop; it
// is cut, imported, and the summary says so.
func TestCycleNoted(t *testing.T) {
	st := openStore(t)
	sum := run(t, st, fixturePath(t, "chatgpt/conversations.json"), Options{})
	found := false
	for _, n := range sum.Notes {
		if strings.Contains(n.Text, "point to each other as parents") && n.Title == "Loop, dangling parent, no times" && n.SessionID != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("notes %+v lack the cut loop", sum.Notes)
	}
}

func TestBadFiles(t *testing.T) {
	chatgpt, err := os.ReadFile(fixturePath(t, "chatgpt/conversations.json"))
	if err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, _ := zw.Create("conversations.json")
	w.Write(chatgpt)
	zw.Close()
	tests := []struct {
		name, file string
		data       []byte
		format     string
		wantErr    string
	}{
		{"unknown format", "x.json", []byte(`{"hello": "world"}`), "", "nor is it a Holdfast export"},
		{"not JSON at all", "x.json", []byte("\x00\x01binary junk"), "", "could not tell"},
		{"truncated zip", "x.zip", zbuf.Bytes()[:zbuf.Len()/2], "", "zip"},
		{"empty file", "x.json", nil, "", ""},
		{"holdfast asked, chatgpt given", "x.json", chatgpt, "holdfast", "not a Holdfast export"},
		{"unknown format name", "x.json", chatgpt, "myspace", "unknown import format"},
		{"a folder", "", nil, "", "folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			path := t.TempDir()
			if tt.file != "" {
				path = writeFile(t, tt.file, tt.data)
			}
			_, err := Run(context.Background(), st, path, Options{Format: tt.format})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v; want one saying %q", err, tt.wantErr)
			}
			if s, m := counts(t, st); s != 0 || m != 0 {
				t.Errorf("%d chats, %d messages written", s, m)
			}
		})
	}
}

// TestCorruptHoldfastLines: a bad line is skipped with its line number;
// a chat that fails in the store half way leaves nothing behind; the
// others are imported.
func TestCorruptHoldfastLines(t *testing.T) {
	src := openStore(t)
	seedBranchy(t, src)
	lines := strings.Split(strings.TrimSpace(string(exportAll(t, src))), "\n")
	// A chat whose fifth message repeats a client id: the store refuses
	// it after four messages are written.
	bad := strings.Replace(lines[0], `"client_id":"c-m_07"`, `"client_id":"c-m_01"`, 1)
	if bad == lines[0] {
		t.Fatalf("no client id to repeat in %s", lines[0])
	}
	file := strings.Join([]string{bad, "{not json", lines[1][:len(lines[1])/2], lines[2]}, "\n")
	dst := openStore(t)
	sum := run(t, dst, writeFile(t, "x.jsonl", []byte(file)), Options{})
	if sum.Imported != 1 || len(sum.Skipped) != 3 || sum.Failed != 3 || sum.Total != 4 {
		t.Fatalf("summary %+v", sum)
	}
	if !strings.Contains(sum.Skipped[0].Reason, "line 2") || !strings.Contains(sum.Skipped[1].Reason, "line 3") ||
		!strings.Contains(sum.Skipped[2].Reason, "could not be stored") {
		t.Errorf("reasons %+v", sum.Skipped)
	}
	if s, m := counts(t, dst); s != 1 {
		t.Errorf("%d chats, %d messages stored; want only the good one", s, m)
	}
	if id, _ := dst.Imported(context.Background(), FormatHoldfast, "s_tree"); id != "" {
		t.Errorf("the refused chat is recorded as imported")
	}
	if err := dst.CheckSearchIndex(context.Background()); err != nil {
		t.Errorf("search index after a rolled-back chat: %v", err)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	st := openStore(t)
	sum := run(t, st, fixturePath(t, "chatgpt/conversations.json"), Options{DryRun: true})
	if !sum.DryRun || sum.Imported != 3 || len(sum.Skipped) != 2 {
		t.Fatalf("summary %+v", sum)
	}
	if s, m := counts(t, st); s != 0 || m != 0 {
		t.Errorf("dry run wrote %d chats, %d messages", s, m)
	}
}

func TestCancelKeepsWholeChats(t *testing.T) {
	path := generated(t, 300, 10)
	st := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last Progress
	sum, err := Run(ctx, st, path, Options{BatchMessages: 200, Progress: func(p Progress) {
		last = p
		if p.Done == 100 {
			cancel()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	s, m := counts(t, st)
	if !sum.Cancelled || sum.Imported < 100 || sum.Imported >= 300 || s != sum.Imported || m != 10*s || last.Total != 300 {
		t.Fatalf("summary %+v (last progress %+v); store has %d chats, %d messages", sum, last, s, m)
	}
	// The rest comes in on the next run.
	if sum := run(t, st, path, Options{}); sum.Imported != 300-s || sum.Duplicates != s {
		t.Fatalf("second run %+v", sum)
	}
}

// TestLargeFile imports a 200 MB ChatGPT export (generated here, never
// committed). Like real exports, most of its bytes are metadata the
// import reads past (search results, citations), so the test measures the
// streaming read, not the search index.
func TestLargeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conversations.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	filler := strconv.Quote(strings.Repeat("lorem ipsum dolor sit amet ", 4000)) // ~108 KB
	const convs = 2000
	bw.WriteString("[")
	for c := 0; c < convs; c++ {
		if c > 0 {
			bw.WriteString(",\n")
		}
		fmt.Fprintf(bw, `{"id":"big-%d","title":"Big %d","create_time":%d,"update_time":%d,"current_node":"a%d","mapping":{`+
			`"r%d":{"id":"r%d","message":null,"parent":null,"children":["u%d"]},`+
			`"u%d":{"id":"u%d","parent":"r%d","children":["a%d"],"message":{"id":"u%d","author":{"role":"user"},"create_time":%d,"content":{"content_type":"text","parts":["question %d"]},"metadata":{}}},`+
			`"a%d":{"id":"a%d","parent":"u%d","children":[],"message":{"id":"a%d","author":{"role":"assistant"},"create_time":%d,"content":{"content_type":"text","parts":["answer %d"]},"metadata":{"model_slug":"gpt-4o","search_result_groups":[{"text":%s}]}}}}}`,
			c, c, 1700000000+c, 1700000100+c, c, c, c, c, c, c, c, c, c, 1700000001+c, c, c, c, c, c, 1700000002+c, c, filler)
	}
	bw.WriteString("]\n")
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, _ := os.Stat(path); fi.Size() < 200<<20 { // 200 MiB
		t.Fatalf("generated %d bytes, want 200 MB", fi.Size())
	}
	st := openStore(t)
	sum := run(t, st, path, Options{})
	if sum.Imported != convs || sum.Messages != 2*convs || sum.Failed != 0 {
		t.Fatalf("summary %+v", sum)
	}
	if s, m := counts(t, st); s != convs || m != 2*convs {
		t.Fatalf("%d chats, %d messages", s, m)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]string{"": "", "auto": "", "Holdfast": "holdfast", "open-webui": "openwebui", "ChatGPT": "chatgpt"} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("icq"); err == nil || !strings.Contains(err.Error(), "holdfast") {
		t.Errorf("error %v should list holdfast", err)
	}
}

// TestTruncatedFile: a file cut short keeps the chats read before the cut,
// each whole, and says what broke.
func TestTruncatedFile(t *testing.T) {
	full := generated(t, 40, 10)
	data, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "conversations.json", data[:len(data)/2])
	st := openStore(t)
	sum, err := Run(context.Background(), st, path, Options{BatchMessages: 30})
	if err == nil || !strings.Contains(err.Error(), "conversations.json") && !strings.Contains(err.Error(), "the file") {
		t.Fatalf("error %v; want one naming the damaged document", err)
	}
	s, m := counts(t, st)
	if sum.Imported == 0 || sum.Imported >= 40 || s != sum.Imported || m != 10*s {
		t.Fatalf("summary %+v; store has %d chats, %d messages", sum, s, m)
	}
	if err := st.CheckSearchIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Imported messages wait for the search index (the import does not index
// them) and are found all the same; once the indexer has run, search
// gives the same results from the index, and says nothing is waiting.
func TestImportedChatsFoundBeforeAndAfterIndexing(t *testing.T) {
	ctx := context.Background()
	path := generated(t, 40, 12)
	st := openStore(t)
	sum := run(t, st, path, Options{BatchMessages: 100})
	if sum.Imported != 40 || sum.Messages != 480 {
		t.Fatalf("summary %+v", sum)
	}
	if n, err := st.PendingIndex(ctx); err != nil || n != 480 {
		t.Fatalf("%d messages wait for the index (%v); want 480", n, err)
	}
	svc := search.Service{Store: st}
	queries := []string{"people", "year good", "the", "us", "them more", "nothing-like-this"}
	describe := func(q string) (string, int) {
		var out []string
		cursor := ""
		indexing := -1
		for {
			res, err := svc.Search(ctx, q, cursor, 25)
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			if indexing < 0 {
				indexing = res.Indexing
			}
			for _, g := range res.Groups {
				for _, h := range g.Hits {
					out = append(out, h.MessageID)
				}
			}
			if res.NextCursor == nil {
				return strings.Join(out, " "), indexing
			}
			cursor = *res.NextCursor
		}
	}
	before := map[string]string{}
	for _, q := range queries {
		got, indexing := describe(q)
		if indexing != 480 {
			t.Fatalf("search %q says %d messages wait for the index; want 480", q, indexing)
		}
		if got == "" && q != "nothing-like-this" {
			t.Fatalf("search %q found nothing in the imported chats before indexing", q)
		}
		before[q] = got
	}
	if err := search.NewIndexer(st, search.IndexerOptions{Batch: 37, Pause: time.Microsecond}).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		got, indexing := describe(q)
		if indexing != 0 || got != before[q] {
			t.Errorf("search %q after indexing (%d waiting):\n got %s\nwant %s", q, indexing, got, before[q])
		}
	}
	if err := st.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
}

// An import cancelled half way leaves its stored chats' messages, and
// only those, waiting for the index; indexing them leaves a consistent
// index.
func TestCancelledImportQueuesItsChats(t *testing.T) {
	ctx := context.Background()
	path := generated(t, 200, 10)
	st := openStore(t)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sum, err := Run(cctx, st, path, Options{BatchMessages: 150, Progress: func(p Progress) {
		if p.Done == 60 {
			cancel()
		}
	}})
	if err != nil || !sum.Cancelled {
		t.Fatalf("summary %+v, %v", sum, err)
	}
	_, m := counts(t, st)
	if n, _ := st.PendingIndex(ctx); n != m || m != 10*sum.Imported || m == 0 {
		t.Fatalf("%d messages wait for the index; the store has %d of %d chats", n, m, sum.Imported)
	}
	if err := st.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if err := search.NewIndexer(st, search.IndexerOptions{}).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.PendingIndex(ctx); n != 0 {
		t.Fatalf("%d still wait", n)
	}
	if err := st.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
}

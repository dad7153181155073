package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// seedChats writes n chats of the given message texts (each a linear path).
func seedChats(t *testing.T, s *Store, texts ...[]string) []Session {
	t.Helper()
	ctx := context.Background()
	var out []Session
	err := s.Write(ctx, func(tx *Tx) error {
		for i, msgs := range texts {
			at := s.Now().Add(time.Duration(i) * time.Second)
			sess := Session{ID: s.NewID("s_"), Title: fmt.Sprintf("chat %d", i), Model: "demo/demo", CreatedAt: at, UpdatedAt: at}
			if err := tx.InsertSession(sess); err != nil {
				return err
			}
			parent := ""
			for j, text := range msgs {
				role := RoleUser
				if j%2 == 1 {
					role = RoleAssistant
				}
				m, err := tx.InsertMessage(Message{ID: s.NewID("m_"), SessionID: sess.ID, ParentID: Ref(parent), Role: role, Content: text,
					Status: StatusComplete, CreatedAt: at, UpdatedAt: at})
				if err != nil {
					return err
				}
				parent = m.ID
			}
			if parent != "" {
				if err := tx.SetPath(sess.ID, parent); err != nil {
					return err
				}
			}
			out = append(out, sess)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func hitTexts(t *testing.T, s *Store, text string) []string {
	t.Helper()
	q, err := ParseQuery(text)
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	page, err := s.SearchMessages(context.Background(), SearchRequest{Query: q, Limit: 100})
	if err != nil {
		t.Fatalf("search %q: %v", text, err)
	}
	var out []string
	for _, h := range page.Hits {
		out = append(out, h.Content)
	}
	return out
}

func TestSearchFindsText(t *testing.T) {
	s, _ := openTemp(t)
	seedChats(t, s,
		[]string{"How do durable streams work?", "Durable streams persist every token before showing it."},
		[]string{"数据库的心跳检测是什么？", "心跳检测用于发现半开的连接。"},
		[]string{"Use 100% of the *cores* (NEAR the limit) AND more: col:x ^y", `She said "hi" and left`},
		[]string{"the a of", "an answer that is just the answer"},
	)
	cases := []struct {
		query string
		want  int // hits
	}{
		{"durable", 2},
		{"DURABLE STREAM", 2},             // case-insensitive, every term
		{"durable persist", 1},            // AND across terms
		{`"streams persist"`, 1},          // a quoted phrase
		{`"persist token"`, 0},            // not adjacent
		{"心跳检测", 2},                       // Chinese inside a sentence
		{"数据库", 1},                        // three characters
		{"心跳", 2},                         // two characters: the bounded scan
		{"检 测", 2},                        // two one-character terms
		{"半开 连接", 1},                      // mixed short terms
		{"100%", 1},                       // LIKE wildcards are text
		{"*cores*", 1},                    // FTS syntax is text
		{"(NEAR", 1},                      // parentheses and operators
		{"AND", 2},                        // an operator alone: the word "and"
		{"col:x", 1},                      // a column filter is text
		{"^y", 1},                         // initial-token syntax is text
		{`"hi`, 1},                        // an unbalanced quote is a character
		{`"hi"`, 1},                       // a balanced one makes a phrase
		{`said "hi" and`, 1},              // phrase between words
		{"the a of", 2},                   // only stop words: found like any text
		{"the", 3},                        // a common word
		{"a", 6},                          // one character
		{"zzz", 0},                        // absent
		{"durable 数据库", 0},                // terms in different messages
		{strings.Repeat("x", 200), 0},     // the longest allowed
		{"  durable\t\n streams  ", 2},    // white space around and between
		{`""`, 0},                         // only quotes: two quote characters
		{"\"'`", 0},                       // quote characters
		{"durable durable DURABLE", 2},    // repeated terms
		{"streams\x00", 2},                // a NUL byte is a space
		{"an answer that is just the", 1}, // many terms
		{"answer ANSWER", 1},              // same term twice, different case
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			if got := hitTexts(t, s, tc.query); len(got) != tc.want {
				t.Fatalf("%q found %d messages %q; want %d", tc.query, len(got), got, tc.want)
			}
		})
	}
}

func TestParseQueryRefuses(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"", ErrEmptyQuery},
		{"  \t\n", ErrEmptyQuery},
		{strings.Repeat("x", 10_000), ErrQueryTooLong},
		{strings.Repeat("数", 201), ErrQueryTooLong},
	} {
		if _, err := ParseQuery(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("ParseQuery(%.20q…) = %v; want %v", tc.in, err, tc.want)
		}
	}
	if q, err := ParseQuery(strings.Repeat("数", 200)); err != nil || !q.Indexed() {
		t.Errorf("200 Chinese characters: %v, indexed %v", err, q.Indexed())
	}
	if q, err := ParseQuery("a\xffb"); err != nil || q.Terms[0] != "a\uFFFDb" {
		t.Errorf("invalid UTF-8: %+v, %v", q, err)
	}
}

// Hits come newest first and page without repeats or gaps.
func TestSearchPages(t *testing.T) {
	s, _ := openTemp(t)
	var chats [][]string
	for i := 0; i < 9; i++ {
		chats = append(chats, []string{fmt.Sprintf("needle %d question", i), fmt.Sprintf("needle %d answer", i), "hay"})
	}
	seedChats(t, s, chats...)
	for _, query := range []string{"needle", "ne"} { // indexed, and the scan
		q := mustQuery(t, query)
		var got []string
		var before int64
		for pages := 0; ; pages++ {
			page, err := s.SearchMessages(context.Background(), SearchRequest{Query: q, Limit: 4, Before: before})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range page.Hits {
				got = append(got, h.Content)
			}
			if page.Next == 0 {
				break
			}
			before = page.Next
			if pages > 10 {
				t.Fatal("paging does not end")
			}
		}
		if len(got) != 18 || got[0] != "needle 8 answer" || got[17] != "needle 0 question" {
			t.Fatalf("%q paged to %d hits %v", query, len(got), got)
		}
		seen := map[string]bool{}
		for _, g := range got {
			if seen[g] {
				t.Fatalf("%q: %q twice", query, g)
			}
			seen[g] = true
		}
	}
}

// The index follows every write in the same transaction: a message is
// found once it stops streaming, follows its edits, and goes with it.
func TestSearchIndexFollowsWrites(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	sess := seedChats(t, s, []string{"first question"})[0]
	var id string
	err := s.Write(ctx, func(tx *Tx) error {
		now := tx.Now()
		m, err := tx.InsertMessage(Message{ID: tx.NewID("m_"), SessionID: sess.ID, Role: RoleAssistant, Status: StatusStreaming, CreatedAt: now, UpdatedAt: now})
		id = m.ID
		if err != nil {
			return err
		}
		return tx.AppendContent(id, "zebra crossing ", 1, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	step := func(what string, fn func(tx *Tx) error, query string, want int) {
		t.Helper()
		if fn != nil {
			if err := s.Write(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		if got := hitTexts(t, s, query); len(got) != want {
			t.Fatalf("%s: %q found %d; want %d", what, query, len(got), want)
		}
		if err := s.CheckSearchIndex(ctx); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	step("streaming", nil, "zebra", 0)
	step("more text", func(tx *Tx) error { return tx.AppendContent(id, "ahead", 2, tx.Now()) }, "crossing ahead", 0)
	step("completed", func(tx *Tx) error { return tx.SetStatus(id, StatusComplete, "", nil, tx.Now()) }, "crossing ahead", 1)
	step("continued", func(tx *Tx) error { return tx.SetStatus(id, StatusStreaming, "", nil, tx.Now()) }, "zebra", 0)
	step("continued text", func(tx *Tx) error { return tx.AppendContent(id, " quickly", 3, tx.Now()) }, "ahead quickly", 0)
	step("stopped", func(tx *Tx) error { return tx.SetStatus(id, StatusStopped, "", nil, tx.Now()) }, "ahead quickly", 1)
	step("deleted", func(tx *Tx) error { _, err := tx.DeleteSubtree(sess.ID, id); return err }, "zebra", 0)
	step("renamed", func(tx *Tx) error {
		sess.Title = "Holiday plans"
		return tx.UpdateSession(sess)
	}, "first", 1)
	if titles, _ := s.SearchTitles(ctx, mustQuery(t, "holiday"), 5); len(titles) != 1 {
		t.Fatalf("renamed title not found: %v", titles)
	}
	step("session deleted", func(tx *Tx) error { return tx.DeleteSession(sess.ID) }, "first", 0)
	if titles, _ := s.SearchTitles(ctx, mustQuery(t, "holiday"), 5); len(titles) != 0 {
		t.Fatalf("deleted session's title still found: %v", titles)
	}

	// The check can fail: text changed behind the index's back is caught.
	seedChats(t, s, []string{"kept in step"})
	if _, err := s.writer.Exec(`DROP TRIGGER messages_fts_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.writer.Exec(`UPDATE messages SET content = 'changed behind its back'`); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckSearchIndex(ctx); err == nil {
		t.Fatal("the index check passed an index that no longer matches the text")
	}
}

func TestSessionsPage(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	base := s.Now()
	var ids []string
	err := s.Write(ctx, func(tx *Tx) error {
		for i := 0; i < 23; i++ {
			at := base.Add(time.Duration(i%7) * time.Minute) // ties in activity, broken by id
			sess := Session{ID: s.NewID("s_"), Title: fmt.Sprintf("chat %02d", i), Model: "demo/demo",
				CreatedAt: at, UpdatedAt: at, LastActivityAt: at, Pinned: i%5 == 0, Archived: i%4 == 3}
			if err := tx.InsertSession(sess); err != nil {
				return err
			}
			ids = append(ids, sess.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all := func(archived bool) []Session {
		var out []Session
		q := SessionQuery{Limit: 4, Archived: archived}
		for n := 0; ; n++ {
			page, err := s.SessionsPage(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, page.Sessions...)
			if page.NextCursor == "" {
				return out
			}
			q.Cursor = page.NextCursor
			if n > 20 {
				t.Fatal("paging does not end")
			}
		}
	}
	for _, archived := range []bool{false, true} {
		got := all(archived)
		want := 0
		for i := range ids {
			if (i%4 == 3) == archived {
				want++
			}
		}
		if len(got) != want {
			t.Fatalf("archived=%v: %d sessions; want %d", archived, len(got), want)
		}
		seen := map[string]bool{}
		for i, sess := range got {
			if seen[sess.ID] || sess.Archived != archived {
				t.Fatalf("archived=%v: %s twice or in the wrong list", archived, sess.ID)
			}
			seen[sess.ID] = true
			if i == 0 {
				continue
			}
			prev := got[i-1]
			ordered := prev.Pinned && !sess.Pinned || prev.Pinned == sess.Pinned &&
				(prev.LastActivityAt.After(sess.LastActivityAt) || prev.LastActivityAt.Equal(sess.LastActivityAt) && prev.ID > sess.ID)
			if !ordered {
				t.Fatalf("archived=%v: %s (pinned %v, %v) before %s (pinned %v, %v)", archived, prev.ID, prev.Pinned, prev.LastActivityAt,
					sess.ID, sess.Pinned, sess.LastActivityAt)
			}
		}
	}
	for _, bad := range []string{"x", "bm9wZQ", "MS4yLg"} {
		if _, err := s.SessionsPage(ctx, SessionQuery{Cursor: bad}); !errors.Is(err, ErrBadCursor) {
			t.Errorf("cursor %q: %v; want ErrBadCursor", bad, err)
		}
	}
	// The first page walks the index in order: no sort of every chat.
	rows, err := s.reader.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT `+sessionCols+` FROM sessions s WHERE s.archived = ? AND (s.pinned, s.last_activity_at, s.id) < (?, ?, ?)
		ORDER BY s.pinned DESC, s.last_activity_at DESC, s.id DESC LIMIT ?`, false, 1, 1, "s_", 5)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var a, b, c int
		var detail string
		rows.Scan(&a, &b, &c, &detail)
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "sessions_by_activity") || strings.Contains(p, "TEMP B-TREE") {
		t.Fatalf("query plan %q: want the sessions_by_activity index and no sort", p)
	}
}

// A bulk load indexes and counts what it wrote, and puts the per-row
// triggers back for what comes after.
func TestBulkLoad(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	seedChats(t, s, []string{"before the load"})
	var sessID, leaf string
	err := s.Bulk(ctx, func(b *Bulk) error {
		now := s.Now()
		sessID = b.NewID("s_")
		if err := b.InsertSession(Session{ID: sessID, Title: "bulk", Model: "demo/demo", CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		parent := ""
		for i := 0; i < 300; i++ {
			m, err := b.InsertMessage(Message{ID: b.NewID("m_"), SessionID: sessID, ParentID: Ref(parent), Role: RoleUser,
				Content: fmt.Sprintf("bulk message %d", i), Status: StatusComplete, CreatedAt: now, UpdatedAt: now})
			if err != nil {
				return err
			}
			if i == 100 { // a branch
				if _, err := b.InsertMessage(Message{ID: b.NewID("m_"), SessionID: sessID, ParentID: Ref(parent), Role: RoleUser,
					Content: "bulk branch", Status: StatusComplete, CreatedAt: now, UpdatedAt: now}); err != nil {
					return err
				}
			}
			parent = m.ID
		}
		leaf = parent
		return b.SetPath(sessID, leaf)
	})
	if err != nil {
		t.Fatal(err)
	}
	sess, _ := s.GetSession(ctx, sessID)
	if sess.MessageCount != 301 || sess.CurrentLeafID != Ref(leaf) {
		t.Fatalf("after the load: %+v", sess)
	}
	if got := hitTexts(t, s, `"bulk message 29"`); len(got) != 11 { // 29, 290..299
		t.Fatalf("found %d; want 11", len(got))
	}
	page, _ := s.PathPage(ctx, PageRequest{SessionID: sessID, Limit: 500})
	if len(page.Messages) != 300 {
		t.Fatalf("path of %d; want 300", len(page.Messages))
	}
	if err := s.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
	// The triggers are back: a later write is indexed and counted.
	seedChats(t, s, []string{"after the load"})
	if got := hitTexts(t, s, "after the load"); len(got) != 1 {
		t.Fatalf("a write after the load was not indexed: %v", got)
	}
	if err := s.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
}

// A query of only short terms looks at ScanBound messages per page: when
// the newest ones hold no match it says so and its cursor goes further.
func TestShortQueryScanIsBounded(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	n := ScanBound + 5_000
	err := s.Bulk(ctx, func(b *Bulk) error {
		now := s.Now()
		id := b.NewID("s_")
		if err := b.InsertSession(Session{ID: id, Title: "many", Model: "demo/demo", CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		parent := ""
		for i := 0; i < n; i++ {
			text := "filler text"
			if i == 10 { // among the oldest
				text = "the rare 漢字 is here"
			}
			m, err := b.InsertMessage(Message{ID: b.NewID("m_"), SessionID: id, ParentID: Ref(parent), Role: RoleUser, Content: text,
				Status: StatusComplete, CreatedAt: now, UpdatedAt: now})
			if err != nil {
				return err
			}
			parent = m.ID
		}
		return b.SetPath(id, parent)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, query := range []string{"漢字", "漢字 rare"} { // only short terms; short with a long one
		q := mustQuery(t, query)
		first, err := s.SearchMessages(ctx, SearchRequest{Query: q, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(first.Hits) != 0 || !first.Partial || first.Next == 0 {
			t.Fatalf("%q first page: %d hits, partial %v, next %d; want none, partial, a cursor", query, len(first.Hits), first.Partial, first.Next)
		}
		second, err := s.SearchMessages(ctx, SearchRequest{Query: q, Limit: 10, Before: first.Next})
		if err != nil {
			t.Fatal(err)
		}
		if len(second.Hits) != 1 || second.Partial || second.Next != 0 {
			t.Fatalf("%q second page: %d hits, partial %v, next %d; want the match and the end", query, len(second.Hits), second.Partial, second.Next)
		}
	}
	// A long term alone is not bounded: the index finds the oldest match at once.
	if page, err := s.SearchMessages(ctx, SearchRequest{Query: mustQuery(t, "rare"), Limit: 10}); err != nil || len(page.Hits) != 1 || page.Partial {
		t.Fatalf("indexed search: %+v, %v", page, err)
	}
}

// TestSearchFindsFiles: a message is found by the name and the text of
// the files it carries, the index follows links and deletions, and a
// message matching by text and by file is one hit.
func TestSearchFindsFiles(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	sessions := seedChats(t, s, []string{"see the attached report"}, []string{"quarterly numbers inline"})
	msgs, err := s.ListAllMessages(ctx, sessions[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.ListAllMessages(ctx, sessions[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	pdf := AttachmentFile{ID: strings.Repeat("ab", 32), Size: 2048, MIME: "application/pdf", Kind: "pdf",
		Text: "Quarterly revenue grew by 12 percent in 数据库 sales", CreatedAt: s.Now()}
	src := AttachmentFile{ID: strings.Repeat("cd", 32), Size: 40, MIME: "text/plain; charset=utf-8", Kind: "text",
		Text: "func main() { fmt.Println(\"hello\") }", CreatedAt: s.Now()}
	err = s.Write(ctx, func(tx *Tx) error {
		for _, f := range []AttachmentFile{pdf, src} {
			if err := tx.PutAttachment(f, s.Now().Add(time.Hour)); err != nil {
				return err
			}
		}
		if _, err := tx.LinkAttachments(msgs[0].ID, []AttachmentRef{{ID: pdf.ID, Name: "Q3 report.pdf"}, {ID: src.ID, Name: "main.go"}}); err != nil {
			return err
		}
		_, err := tx.LinkAttachments(other[0].ID, []AttachmentRef{{ID: pdf.ID, Name: "numbers.pdf"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	search := func(text string) []Hit {
		t.Helper()
		page, err := s.SearchMessages(ctx, SearchRequest{Query: mustQuery(t, text), Limit: 10})
		if err != nil {
			t.Fatalf("search %q: %v", text, err)
		}
		return page.Hits
	}
	cases := []struct {
		query string
		want  []string // the file each hit names ("" for a text hit), newest first
	}{
		{"report.pdf", []string{"Q3 report.pdf"}},                  // a file's name
		{"revenue grew", []string{"numbers.pdf", "Q3 report.pdf"}}, // a PDF's text, on two messages
		{"Println", []string{"main.go"}},                           // a source file's text
		{"main.go Println", []string{"main.go"}},                   // name and text of one file
		{"main.go revenue", nil},                                   // terms in two different files
		{"数据", []string{"numbers.pdf", "Q3 report.pdf"}},           // short terms: the bounded scan
		{"quarterly", []string{"", "Q3 report.pdf"}},               // the second chat by its text, once
		{"nothing like it", nil},
	}
	for _, tc := range cases {
		hits := search(tc.query)
		var got []string
		for _, h := range hits {
			got = append(got, h.File)
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q found files %q; want %q", tc.query, got, tc.want)
		}
	}
	if err := s.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
	// Deleting the first chat unindexes its files; the shared PDF stays
	// found on the other chat.
	if err := s.Write(ctx, func(tx *Tx) error { return tx.DeleteSession(sessions[0].ID) }); err != nil {
		t.Fatal(err)
	}
	if hits := search("revenue"); len(hits) != 1 || hits[0].File != "numbers.pdf" {
		t.Fatalf("after deleting the chat, revenue found %+v", hits)
	}
	if hits := search("Println"); len(hits) != 0 {
		t.Fatalf("a deleted chat's file is still found: %+v", hits)
	}
	if err := s.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
}

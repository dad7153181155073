package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// loadTree loads a random tree of n messages into a new chat with Bulk
// and shows the path to leaf with set; it returns every message's
// remembered branch and the chat's leaf.
func loadTree(t *testing.T, parents []int, leaf int, set func(b *Bulk, sid, leafID string) error) (map[string]string, string) {
	t.Helper()
	st, _ := openTemp(t)
	ctx := context.Background()
	at := time.Unix(1700000000, 0)
	err := st.Bulk(ctx, func(b *Bulk) error {
		if err := b.InsertSession(Session{ID: "s", Title: "t", Model: "m", CreatedAt: at, UpdatedAt: at}); err != nil {
			return err
		}
		for i, p := range parents {
			parent := ""
			if p >= 0 {
				parent = fmt.Sprint("m", p)
			}
			if _, err := b.InsertMessage(Message{ID: fmt.Sprint("m", i), SessionID: "s", ParentID: Ref(parent), Role: RoleUser, Status: StatusComplete, CreatedAt: at, UpdatedAt: at}); err != nil {
				return err
			}
		}
		return set(b, "s", fmt.Sprint("m", leaf))
	})
	if err != nil {
		t.Fatal(err)
	}
	sel := map[string]string{}
	rows, err := st.reader.Query(`SELECT id, coalesce(selected_child_id, '') FROM messages`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, c string
		rows.Scan(&id, &c)
		sel[id] = c
	}
	s, err := st.GetSession(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	return sel, string(s.CurrentLeafID)
}

// TestSetLoadedPathAgreesWithSetPath: the in-memory path setting of a
// freshly loaded chat leaves the same rows as the general one.
func TestSetLoadedPathAgreesWithSetPath(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for round := 0; round < 30; round++ {
		n := 2 + r.Intn(40)
		parents := make([]int, n)
		for i := range parents {
			parents[i] = r.Intn(i+1) - 1 // -1: another root
		}
		leaf := r.Intn(n)
		want, wantLeaf := loadTree(t, parents, leaf, (*Bulk).SetPath)
		got, gotLeaf := loadTree(t, parents, leaf, (*Bulk).SetLoadedPath)
		if gotLeaf != wantLeaf {
			t.Fatalf("round %d: leaf %s, want %s", round, gotLeaf, wantLeaf)
		}
		for id, w := range want {
			if got[id] != w {
				t.Fatalf("round %d (parents %v, leaf %d): %s remembers %q, want %q", round, parents, leaf, id, got[id], w)
			}
		}
	}
}

// TestBulkSavepoint: a failing savepoint leaves none of its rows, and the
// load goes on with the rows of the others (counted and indexed).
func TestBulkSavepoint(t *testing.T) {
	st, _ := openTemp(t)
	ctx := context.Background()
	at := time.Unix(1700000000, 0)
	boom := errors.New("boom")
	chat := func(b *Bulk, sid string, n int, fail bool) error {
		return b.Savepoint(func() error {
			if err := b.InsertSession(Session{ID: sid, Title: sid, Model: "m", CreatedAt: at, UpdatedAt: at}); err != nil {
				return err
			}
			parent := ""
			for i := 0; i < n; i++ {
				id := fmt.Sprintf("%s-%d", sid, i)
				if _, err := b.InsertMessage(Message{ID: id, SessionID: sid, ParentID: Ref(parent), Role: RoleUser, Content: "needle " + sid,
					Status: StatusComplete, CreatedAt: at, UpdatedAt: at}); err != nil {
					return err
				}
				parent = id
			}
			if fail {
				return boom
			}
			return b.SetLoadedPath(sid, parent)
		})
	}
	err := st.Bulk(ctx, func(b *Bulk) error {
		if err := chat(b, "a", 100, false); err != nil {
			return err
		}
		if err := chat(b, "b", 150, true); !errors.Is(err, boom) {
			return fmt.Errorf("failing chat: %v", err)
		}
		return chat(b, "c", 30, false)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetSession(ctx, "b"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the failed chat is there: %v", err)
	}
	for id, n := range map[string]int{"a": 100, "c": 30} {
		s, err := st.GetSession(ctx, id)
		if err != nil || s.MessageCount != n {
			t.Errorf("chat %s: %d messages (%v), want %d", id, s.MessageCount, err, n)
		}
	}
	var orphans, indexed int
	st.reader.QueryRow(`SELECT count(*) FROM messages WHERE session_id='b'`).Scan(&orphans)
	st.reader.QueryRow(`SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '"needle"'`).Scan(&indexed)
	if orphans != 0 || indexed != 130 {
		t.Errorf("%d rows of the failed chat, %d indexed; want 0 and 130", orphans, indexed)
	}
}

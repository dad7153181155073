package importjob

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/export"
	"github.com/holdfast-chat/holdfast/internal/store"
)

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "holdfast.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t testing.TB, st Store, path string, opts Options) Summary {
	t.Helper()
	sum, err := Run(context.Background(), st, path, opts)
	if err != nil {
		t.Fatalf("import %s: %v", filepath.Base(path), err)
	}
	return sum
}

// counts is how many sessions and messages a store holds.
func counts(t testing.TB, st *store.Store) (sessions, messages int) {
	t.Helper()
	ss, err := st.ListSessions(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		ms, err := st.ListAllMessages(context.Background(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		messages += len(ms)
	}
	return len(ss), messages
}

// seedBranchy writes chats with branches into st through the ordinary
// transaction API: a regenerated answer, an edited question, a branch
// chosen off the current path, a failed answer with usage, an empty chat.
func seedBranchy(t testing.TB, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2025, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	tick := func() time.Time { at = at.Add(1500 * time.Millisecond); return at }
	temp := 0.3
	err := st.Write(ctx, func(tx *store.Tx) error {
		var err error
		add := func(id, sid, parent string, role store.Role, text string) {
			if err != nil {
				return
			}
			now := tick()
			m := store.Message{ID: id, SessionID: sid, ParentID: store.Ref(parent), Role: role, Content: text, Status: store.StatusComplete, CreatedAt: now, UpdatedAt: now}
			if role == store.RoleAssistant {
				m.Model, m.Chunks, m.Usage = "demo/demo", 3, &store.Usage{InputTokens: 10, OutputTokens: 20}
			}
			if role == store.RoleUser {
				m.ClientID = "c-" + id
			}
			_, err = tx.InsertMessage(m)
		}
		s1 := store.Session{ID: "s_tree", Title: "Tree <b>bold</b>", TitleSource: store.TitleUser, Model: "demo/demo", SystemPrompt: "Be brief.",
			Settings: store.Settings{Temperature: &temp}, Pinned: true, CreatedAt: tick(), UpdatedAt: at, LastActivityAt: at}
		if err := tx.InsertSession(s1); err != nil {
			return err
		}
		add("m_01", "s_tree", "", store.RoleUser, "Question one <script>alert(1)</script>")
		add("m_02", "s_tree", "m_01", store.RoleAssistant, "Answer one")
		add("m_03", "s_tree", "m_01", store.RoleAssistant, "Answer one, regenerated")
		add("m_04", "s_tree", "m_02", store.RoleUser, "Follow-up on the first answer")
		add("m_05", "s_tree", "m_04", store.RoleAssistant, "Second answer")
		add("m_06", "s_tree", "m_04", store.RoleAssistant, "Second answer, take two")
		add("m_07", "s_tree", "m_03", store.RoleUser, "Follow-up on the regenerated answer")
		add("m_08", "s_tree", "m_07", store.RoleAssistant, "Answer on the other branch")
		if err != nil {
			return err
		}
		// Choose take two under m_04, then show the other branch: m_04
		// keeps remembering take two off the current path.
		if err := tx.SetPath("s_tree", "m_06"); err != nil {
			return err
		}
		if err := tx.SetPath("s_tree", "m_08"); err != nil {
			return err
		}
		s2 := store.Session{ID: "s_lin", Title: "Linear", TitleSource: store.TitleGenerated, Model: "demo/demo", Archived: true,
			CreatedAt: tick(), UpdatedAt: at, LastActivityAt: at}
		if err := tx.InsertSession(s2); err != nil {
			return err
		}
		add("m_11", "s_lin", "", store.RoleSystem, "A system note")
		add("m_12", "s_lin", "m_11", store.RoleUser, "Hi")
		add("m_13", "s_lin", "m_12", store.RoleAssistant, "Partial answ")
		if err != nil {
			return err
		}
		if err := tx.SetStatus("m_13", store.StatusFailed, "upstream said 500", nil, tick()); err != nil {
			return err
		}
		if err := tx.SetPath("s_lin", "m_13"); err != nil {
			return err
		}
		return tx.InsertSession(store.Session{ID: "s_empty", Title: "New chat", Model: "demo/demo", CreatedAt: tick(), UpdatedAt: at, LastActivityAt: at})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// exportAll is every chat of st as JSON Lines.
func exportAll(t testing.TB, st *store.Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := export.WriteAllJSONL(context.Background(), &buf, st, "test"); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// exportOne is one chat as an indented JSON document.
func exportOne(t testing.TB, st *store.Store, id string) []byte {
	t.Helper()
	c, err := export.Load(context.Background(), st, id)
	if err != nil {
		t.Fatal(err)
	}
	c.AppVersion = "test"
	var buf bytes.Buffer
	if err := export.Write(&buf, export.JSON, c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

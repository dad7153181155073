package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// model is the plain, slow definition of a chat's tree that the store's
// chain segments must agree with: every message remembers which child the
// chat showed under it last; a message without such a memory shows the
// first child that was added while it had none in its run, else the
// newest child.
type model struct {
	parent   map[string]string
	kids     map[string][]string // oldest first
	chainKid map[string]string   // the child continuing the parent's run
	choice   map[string]string
	roots    []string
	leaf     string
}

func newModel() *model {
	return &model{parent: map[string]string{}, kids: map[string][]string{}, chainKid: map[string]string{}, choice: map[string]string{}}
}

func (m *model) add(id, parent string) {
	m.parent[id] = parent
	if parent == "" {
		m.roots = append(m.roots, id)
		return
	}
	m.kids[parent] = append(m.kids[parent], id)
	if m.chainKid[parent] == "" {
		m.chainKid[parent] = id
	}
}

func (m *model) next(id string) string {
	if c := m.choice[id]; c != "" {
		return c
	}
	if c := m.chainKid[id]; c != "" {
		return c
	}
	if k := m.kids[id]; len(k) > 0 {
		return k[len(k)-1]
	}
	return ""
}

func (m *model) down(id string) string {
	for {
		n := m.next(id)
		if n == "" {
			return id
		}
		id = n
	}
}

func (m *model) up(id string) []string {
	var p []string
	for ; id != ""; id = m.parent[id] {
		p = append(p, id)
	}
	slices.Reverse(p)
	return p
}

// through is the path the chat would show through id.
func (m *model) through(id string) []string { return m.up(m.down(id)) }

func (m *model) setPath(leaf string) {
	p := m.up(leaf)
	for i := 0; i+1 < len(p); i++ {
		m.choice[p[i]] = p[i+1]
	}
	m.leaf = leaf
}

func (m *model) onPath(id string) bool { return m.leaf != "" && slices.Contains(m.up(m.leaf), id) }

func (m *model) switchTo(id string) {
	if !m.onPath(id) {
		m.setPath(m.down(id))
	}
}

func (m *model) subtree(id string) []string {
	out := []string{id}
	for i := 0; i < len(out); i++ {
		out = append(out, m.kids[out[i]]...)
	}
	return out
}

func (m *model) remove(id string) {
	wasOn := m.onPath(id)
	p := m.parent[id]
	for _, d := range m.subtree(id) {
		delete(m.parent, d)
		delete(m.kids, d)
		delete(m.chainKid, d)
		delete(m.choice, d)
	}
	if p == "" {
		m.roots = slices.DeleteFunc(m.roots, func(r string) bool { return r == id })
	} else {
		m.kids[p] = slices.DeleteFunc(m.kids[p], func(k string) bool { return k == id })
		if m.chainKid[p] == id {
			m.chainKid[p] = ""
		}
		if m.choice[p] == id {
			delete(m.choice, p)
		}
	}
	if !wasOn {
		return
	}
	switch {
	case p != "":
		m.setPath(m.down(p))
	case len(m.roots) > 0:
		m.setPath(m.down(m.roots[len(m.roots)-1]))
	default:
		m.leaf = ""
	}
}

func (m *model) ids() []string {
	var out []string
	for id := range m.parent {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// TestTreeAgainstModel drives random sends, edits, switches and deletes
// through the store and checks every read against the model.
func TestTreeAgainstModel(t *testing.T) {
	for seed := int64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { runTreeModel(t, seed) })
	}
}

func runTreeModel(t *testing.T, seed int64) {
	ctx := context.Background()
	s, _ := openTemp(t)
	r := rand.New(rand.NewSource(seed))
	now := s.Now()
	sess := Session{ID: s.NewID("s_"), Title: "tree", Model: "demo/demo", CreatedAt: now, UpdatedAt: now}
	m := newModel()
	write := func(fn func(tx *Tx) error) {
		t.Helper()
		if err := s.Write(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	write(func(tx *Tx) error { return tx.InsertSession(sess) })
	insert := func(tx *Tx, parent string) string {
		id := s.NewID("m_")
		_, err := tx.InsertMessage(Message{ID: id, SessionID: sess.ID, ParentID: Ref(parent), Role: RoleUser, Content: id,
			Status: StatusComplete, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		m.add(id, parent)
		return id
	}
	for step := 0; step < 120; step++ {
		ids := m.ids()
		pick := func() string { return ids[r.Intn(len(ids))] }
		op := r.Intn(10)
		switch {
		case len(ids) == 0 || op < 4: // send at the end of the path (or anywhere, like an edit)
			write(func(tx *Tx) error {
				parent := m.leaf
				if len(ids) > 0 && op%2 == 1 {
					parent = m.parent[pick()] // a new version of some message
				}
				id := insert(tx, parent)
				if r.Intn(2) == 0 { // and its answer
					id = insert(tx, id)
				}
				m.setPath(id)
				return tx.SetPath(sess.ID, id)
			})
		case op < 7:
			id := pick()
			write(func(tx *Tx) error {
				changed, err := tx.SwitchTo(sess.ID, id)
				if changed == m.onPath(id) {
					t.Fatalf("step %d: switch to %s reported changed=%v; on the path: %v", step, id, changed, m.onPath(id))
				}
				m.switchTo(id)
				return err
			})
		case op < 8:
			id := pick()
			write(func(tx *Tx) error {
				d, err := tx.DeleteSubtree(sess.ID, id)
				if want := len(m.subtree(id)); err == nil && d.Count != want {
					t.Fatalf("step %d: deleted %d; want %d", step, d.Count, want)
				}
				m.remove(id)
				if err == nil && d.NewLeafID != "" && d.NewLeafID != m.leaf {
					t.Fatalf("step %d: delete moved the leaf to %s; want %s", step, d.NewLeafID, m.leaf)
				}
				return err
			})
		default: // a read only
		}
		checkAgainstModel(t, s, sess.ID, m, r, step)
	}
}

func pageIDs(p Page) string {
	var ids []string
	for _, msg := range p.Messages {
		ids = append(ids, msg.ID)
	}
	return strings.Join(ids, " ")
}

func window(path []string, lo, hi int) string {
	lo, hi = max(lo, 0), min(hi, len(path))
	if lo >= hi {
		return ""
	}
	return strings.Join(path[lo:hi], " ")
}

func checkAgainstModel(t *testing.T, s *Store, sessionID string, m *model, r *rand.Rand, step int) {
	t.Helper()
	ctx := context.Background()
	sess, err := s.GetSession(ctx, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	if string(sess.CurrentLeafID) != m.leaf || sess.MessageCount != len(m.parent) {
		t.Fatalf("step %d: leaf %s, %d messages; model %s, %d", step, sess.CurrentLeafID, sess.MessageCount, m.leaf, len(m.parent))
	}
	path := m.up(m.leaf)
	tail, err := s.PathPage(ctx, PageRequest{SessionID: sessionID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pageIDs(tail), strings.Join(path, " "); got != want || !tail.Current || tail.HasMore || tail.HasNewer {
		t.Fatalf("step %d: path %q (current %v)\nwant %q", step, got, tail.Current, want)
	}
	for _, msg := range tail.Messages {
		sibs := m.roots
		if p := m.parent[msg.ID]; p != "" {
			sibs = m.kids[p]
		}
		if strings.Join(msg.Siblings, " ") != strings.Join(sibs, " ") || msg.Siblings[*msg.SiblingIndex] != msg.ID || msg.Depth != len(m.up(msg.ID))-1 {
			t.Fatalf("step %d: %s siblings %v depth %d; want %v", step, msg.ID, msg.Siblings, msg.Depth, sibs)
		}
	}
	ids := m.ids()
	if len(ids) == 0 {
		return
	}
	for k := 0; k < 2; k++ {
		id := ids[r.Intn(len(ids))]
		through := m.through(id)
		at := slices.Index(through, id)
		limit := 1 + r.Intn(7)
		around, err := s.PathPage(ctx, PageRequest{SessionID: sessionID, Around: id, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		// The page keeps id, up to (limit-1)/2 before it, and fills the
		// rest from below, then from above when below runs out.
		below := min(limit-1-(limit-1)/2, len(through)-at-1)
		above := min(limit-1-below, at)
		want := window(through, at-above, at+below+1)
		if got := pageIDs(around); got != want || around.Current != m.onPath(id) ||
			around.HasMore != (at-above > 0) || around.HasNewer != (at+below+1 < len(through)) {
			t.Fatalf("step %d: around %s limit %d = %q current %v more %v newer %v\nwant %q current %v more %v newer %v", step, id, limit,
				got, around.Current, around.HasMore, around.HasNewer, want, m.onPath(id), at-above > 0, at+below+1 < len(through))
		}
		before, err := s.PathPage(ctx, PageRequest{SessionID: sessionID, Before: id, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := pageIDs(before), window(through, at-limit, at); got != want || before.HasMore != (at-limit > 0) {
			t.Fatalf("step %d: before %s limit %d = %q; want %q", step, id, limit, got, want)
		}
		after, err := s.PathPage(ctx, PageRequest{SessionID: sessionID, After: id, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := pageIDs(after), window(through, at+1, at+1+limit); got != want || after.HasNewer != (at+1+limit < len(through)) {
			t.Fatalf("step %d: after %s limit %d = %q; want %q", step, id, limit, got, want)
		}
		hist, err := s.PathTo(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range hist {
			got = append(got, h.ID)
		}
		if strings.Join(got, " ") != strings.Join(m.up(id), " ") {
			t.Fatalf("step %d: PathTo %s = %v; want %v", step, id, got, m.up(id))
		}
	}
	if _, err := s.PathPage(ctx, PageRequest{SessionID: sessionID, Around: "m_missing", Limit: 5}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("page around a missing message: %v", err)
	}
}

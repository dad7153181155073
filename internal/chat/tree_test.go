package chat

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// recorder is the demo model that remembers what it was asked.
type recorder struct {
	*llm.Demo
	mu   sync.Mutex
	reqs []llm.Request
}

func (r *recorder) Stream(ctx context.Context, req llm.Request, emit func(llm.Chunk) error) (llm.Result, error) {
	if req.Purpose == llm.PurposeChat {
		r.mu.Lock()
		r.reqs = append(r.reqs, req)
		r.mu.Unlock()
	}
	return r.Demo.Stream(ctx, req, emit)
}

// last is the newest answer request.
func (r *recorder) last() llm.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs[len(r.reqs)-1]
}

// history is what a request showed the model, one "role: text" per turn.
func history(req llm.Request) string {
	var parts []string
	for _, m := range req.Messages {
		parts = append(parts, m.Role[:1]+":"+m.Content)
	}
	return strings.Join(parts, " ")
}

// treeChat is a chat of three turns, u1 a1 u2 a2 u3 a3, with echo
// prompts so an answer is the prompt's text.
type treeChat struct {
	e    *env
	rec  *recorder
	sess store.Session
	sub  *eventlog.Subscription
	u, a []string // ids by turn, from 1
}

func newTreeChat(t *testing.T) *treeChat {
	t.Helper()
	e := newEnv(t, "", 20000)
	rec := &recorder{Demo: &llm.Demo{TokensPerSecond: 20000}}
	e.prov["rec"] = rec
	ctx := context.Background()
	sess, err := e.svc.CreateSession(ctx, NewSession{Model: "rec/demo"})
	if err != nil {
		t.Fatal(err)
	}
	c := &treeChat{e: e, rec: rec, sess: sess, sub: e.log.SubscribeLive(), u: []string{""}, a: []string{""}}
	for i := 1; i <= 3; i++ {
		sent := c.send(t, SendRequest{Content: "/echo " + "q" + string(rune('0'+i))})
		c.u, c.a = append(c.u, sent.User.ID), append(c.a, sent.Assistant.ID)
	}
	c.e.waitTitle(t, sess.ID, store.TitleGenerated)
	return c
}

func (c *treeChat) send(t *testing.T, req SendRequest) Sent {
	t.Helper()
	req.SessionID = c.sess.ID
	sent, err := c.e.svc.Send(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	c.e.waitEnd(t, c.sub, sent.Assistant.ID)
	return sent
}

// shown is the text of the path the chat shows, and its session.
func (c *treeChat) shown(t *testing.T) (string, store.Session) {
	t.Helper()
	page, err := c.e.st.PathPage(context.Background(), store.PageRequest{SessionID: c.sess.ID, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, m := range page.Messages {
		parts = append(parts, strings.TrimPrefix(m.Content, "/echo "))
	}
	sess, err := c.e.st.GetSession(context.Background(), c.sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(parts, " "), sess
}

// events reads what the log appended since head, by type.
func (c *treeChat) events(t *testing.T, after int64) []string {
	t.Helper()
	var types []string
	err := c.e.st.ReadEvents(context.Background(), after, 1000, func(ev store.RawEvent) {
		if ev.Type != string(EventMessageDelta) {
			types = append(types, ev.Type)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return types
}

func TestTreeOperations(t *testing.T) {
	ctx := context.Background()
	type result struct {
		shown   string // the path's text after the step
		count   int    // messages in the chat, every branch
		history string // what the last generation showed the model ("" = no new generation)
		events  string // the step's events, deltas left out
	}
	cases := []struct {
		name string
		do   func(t *testing.T, c *treeChat) (waitFor string)
		want result
	}{
		{
			name: "regenerate the last answer adds a sibling",
			do: func(t *testing.T, c *treeChat) string {
				m, _, err := c.e.svc.Regenerate(ctx, c.a[3], "", "")
				must(t, err)
				return m.ID
			},
			want: result{shown: "q1 q1 q2 q2 q3 q3", count: 7, history: "u:/echo q1 a:q1 u:/echo q2 a:q2 u:/echo q3",
				events: "message.created branch.switched session.updated message.completed session.updated"},
		},
		{
			name: "regenerate an early answer branches there",
			do: func(t *testing.T, c *treeChat) string {
				m, _, err := c.e.svc.Regenerate(ctx, c.a[1], "", "")
				must(t, err)
				return m.ID
			},
			want: result{shown: "q1 q1", count: 7, history: "u:/echo q1",
				events: "message.created branch.switched session.updated message.completed session.updated"},
		},
		{
			name: "regenerate a user message answers it again",
			do: func(t *testing.T, c *treeChat) string {
				m, _, err := c.e.svc.Regenerate(ctx, c.u[2], "", "")
				must(t, err)
				return m.ID
			},
			want: result{shown: "q1 q1 q2 q2", count: 7, history: "u:/echo q1 a:q1 u:/echo q2",
				events: "message.created branch.switched session.updated message.completed session.updated"},
		},
		{
			name: "edit at depth 0",
			do: func(t *testing.T, c *treeChat) string {
				s, err := c.e.svc.Edit(ctx, c.u[1], "/echo x", "e1")
				must(t, err)
				return s.Assistant.ID
			},
			want: result{shown: "x x", count: 8, history: "u:/echo x",
				events: "message.created message.created branch.switched session.updated message.completed session.updated"},
		},
		{
			name: "edit at depth 2",
			do: func(t *testing.T, c *treeChat) string {
				s, err := c.e.svc.Edit(ctx, c.u[2], "/echo x", "e1")
				must(t, err)
				return s.Assistant.ID
			},
			want: result{shown: "q1 q1 x x", count: 8, history: "u:/echo q1 a:q1 u:/echo x",
				events: "message.created message.created branch.switched session.updated message.completed session.updated"},
		},
		{
			name: "edit at depth 4",
			do: func(t *testing.T, c *treeChat) string {
				s, err := c.e.svc.Edit(ctx, c.u[3], "/echo x", "e1")
				must(t, err)
				return s.Assistant.ID
			},
			want: result{shown: "q1 q1 q2 q2 x x", count: 8, history: "u:/echo q1 a:q1 u:/echo q2 a:q2 u:/echo x",
				events: "message.created message.created branch.switched session.updated message.completed session.updated"},
		},
		{
			name: "switch back to the old version restores its branch",
			do: func(t *testing.T, c *treeChat) string {
				s, err := c.e.svc.Edit(ctx, c.u[2], "/echo x", "e1")
				must(t, err)
				c.e.waitEnd(t, c.sub, s.Assistant.ID)
				res, err := c.e.svc.Switch(ctx, c.sess.ID, c.u[2], 0)
				must(t, err)
				if !res.Page.Current || len(res.Page.Messages) != 6 || res.Session.CurrentLeafID != store.Ref(c.a[3]) {
					t.Fatalf("switch answered %+v", res)
				}
				return ""
			},
			want: result{shown: "q1 q1 q2 q2 q3 q3", count: 8,
				events: "message.created message.created branch.switched session.updated message.completed session.updated branch.switched"},
		},
		{
			name: "switching remembers the choices below",
			do: func(t *testing.T, c *treeChat) string {
				re, _, err := c.e.svc.Regenerate(ctx, c.a[3], "", "")
				must(t, err)
				c.e.waitEnd(t, c.sub, re.ID)
				s, err := c.e.svc.Edit(ctx, c.u[2], "/echo x", "e1")
				must(t, err)
				c.e.waitEnd(t, c.sub, s.Assistant.ID)
				_, err = c.e.svc.Switch(ctx, c.sess.ID, c.u[2], 0)
				must(t, err)
				// The regenerated answer, not the first one, is shown again.
				if sess, _ := c.e.st.GetSession(ctx, c.sess.ID); sess.CurrentLeafID != store.Ref(re.ID) {
					t.Fatalf("leaf %s; want the regenerated answer %s", sess.CurrentLeafID, re.ID)
				}
				_, err = c.e.svc.Switch(ctx, c.sess.ID, s.User.ID, 0)
				must(t, err)
				return ""
			},
			want: result{shown: "q1 q1 x x", count: 9},
		},
		{
			name: "a branch switched back to stays chosen when switching higher up",
			do: func(t *testing.T, c *treeChat) string {
				s, err := c.e.svc.Edit(ctx, c.u[2], "/echo x", "e1")
				must(t, err)
				c.e.waitEnd(t, c.sub, s.Assistant.ID)
				_, err = c.e.svc.Switch(ctx, c.sess.ID, c.u[2], 0) // back to the first version of u2
				must(t, err)
				s2, err := c.e.svc.Edit(ctx, c.u[1], "/echo y", "e2")
				must(t, err)
				c.e.waitEnd(t, c.sub, s2.Assistant.ID)
				_, err = c.e.svc.Switch(ctx, c.sess.ID, c.u[1], 0) // back to the first u1: its branch as last seen
				must(t, err)
				return ""
			},
			want: result{shown: "q1 q1 q2 q2 q3 q3", count: 10},
		},
		{
			name: "switch to a message on the path changes nothing",
			do: func(t *testing.T, c *treeChat) string {
				res, err := c.e.svc.Switch(ctx, c.sess.ID, c.u[2], 3)
				must(t, err)
				if got := len(res.Page.Messages); got != 3 || res.Page.Messages[1].ID != c.u[2] {
					t.Fatalf("page around u2 has %d messages: %+v", got, res.Page.Messages)
				}
				return ""
			},
			want: result{shown: "q1 q1 q2 q2 q3 q3", count: 6, events: ""},
		},
		{
			name: "delete a branch on the path: the other version shows",
			do: func(t *testing.T, c *treeChat) string {
				s, err := c.e.svc.Edit(ctx, c.u[2], "/echo x", "e1")
				must(t, err)
				c.e.waitEnd(t, c.sub, s.Assistant.ID)
				d, err := c.e.svc.Delete(ctx, s.User.ID)
				must(t, err)
				if d.Deleted != 2 {
					t.Fatalf("deleted %d; want 2", d.Deleted)
				}
				return ""
			},
			want: result{shown: "q1 q1 q2 q2 q3 q3", count: 6,
				events: "message.created message.created branch.switched session.updated message.completed session.updated message.deleted branch.switched session.updated"},
		},
		{
			name: "delete a branch off the path leaves the path",
			do: func(t *testing.T, c *treeChat) string {
				s, err := c.e.svc.Edit(ctx, c.u[2], "/echo x", "e1")
				must(t, err)
				c.e.waitEnd(t, c.sub, s.Assistant.ID)
				d, err := c.e.svc.Delete(ctx, c.u[2])
				must(t, err)
				if d.Deleted != 4 {
					t.Fatalf("deleted %d; want 4", d.Deleted)
				}
				return ""
			},
			want: result{shown: "q1 q1 x x", count: 4,
				events: "message.created message.created branch.switched session.updated message.completed session.updated message.deleted session.updated"},
		},
		{
			name: "delete the first message empties the chat",
			do: func(t *testing.T, c *treeChat) string {
				_, err := c.e.svc.Delete(ctx, c.u[1])
				must(t, err)
				return ""
			},
			want: result{shown: "", count: 0, events: "message.deleted branch.switched session.updated"},
		},
		{
			name: "delete the last answer ends the path at its question",
			do: func(t *testing.T, c *treeChat) string {
				_, err := c.e.svc.Delete(ctx, c.a[3])
				must(t, err)
				return ""
			},
			want: result{shown: "q1 q1 q2 q2 q3", count: 5, events: "message.deleted branch.switched session.updated"},
		},
		{
			name: "send under a message of another branch",
			do: func(t *testing.T, c *treeChat) string {
				s, err := c.e.svc.Edit(ctx, c.u[2], "/echo x", "e1")
				must(t, err)
				c.e.waitEnd(t, c.sub, s.Assistant.ID)
				sent, err := c.e.svc.Send(ctx, SendRequest{SessionID: c.sess.ID, Content: "/echo y", ParentID: c.a[2]})
				must(t, err)
				return sent.Assistant.ID
			},
			want: result{shown: "q1 q1 q2 q2 y y", count: 10, history: "u:/echo q1 a:q1 u:/echo q2 a:q2 u:/echo y",
				events: "message.created message.created branch.switched session.updated message.completed session.updated message.created message.created branch.switched session.updated message.completed session.updated"},
		},
		{
			name: "continue an answer on a branch not shown",
			do: func(t *testing.T, c *treeChat) string {
				// a3 was stopped early, then the user edited u3 and moved on.
				_, err := c.e.log.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
					return nil, tx.SetStatus(c.a[3], store.StatusStopped, "", nil, tx.Now())
				})
				must(t, err)
				s, err := c.e.svc.Edit(ctx, c.u[3], "/echo x", "e1")
				must(t, err)
				c.e.waitEnd(t, c.sub, s.Assistant.ID)
				m, err := c.e.svc.Continue(ctx, c.a[3])
				must(t, err)
				return m.ID
			},
			want: result{shown: "q1 q1 q2 q2 x x", count: 8, history: "u:/echo q1 a:q1 u:/echo q2 a:q2 u:/echo q3",
				events: "message.created message.created branch.switched session.updated message.completed session.updated message.continued message.completed session.updated"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTreeChat(t)
			head := c.e.log.Head()
			if id := tc.do(t, c); id != "" {
				if m, _ := c.e.waitEnd(t, c.sub, id); m.Status != store.StatusComplete {
					t.Fatalf("answer %s ended %s", id, m.Status)
				}
			}
			shown, sess := c.shown(t)
			if shown != tc.want.shown {
				t.Errorf("shown %q; want %q", shown, tc.want.shown)
			}
			if sess.MessageCount != tc.want.count {
				t.Errorf("%d messages; want %d", sess.MessageCount, tc.want.count)
			}
			if tc.want.history != "" {
				if got := history(c.rec.last()); got != tc.want.history {
					t.Errorf("the model was shown %q; want %q", got, tc.want.history)
				}
			}
			if tc.want.events != "" || tc.name == "switch to a message on the path changes nothing" {
				if got := strings.Join(c.events(t, head), " "); got != tc.want.events {
					t.Errorf("events %q\nwant   %q", got, tc.want.events)
				}
			}
			checkSiblings(t, c)
		})
	}
}

// checkSiblings checks every shown message's siblings against the tree.
func checkSiblings(t *testing.T, c *treeChat) {
	t.Helper()
	ctx := context.Background()
	page, err := c.e.st.PathPage(ctx, store.PageRequest{SessionID: c.sess.ID, Limit: 500})
	must(t, err)
	all, err := c.e.st.ListAllMessages(ctx, c.sess.ID)
	must(t, err)
	for _, m := range page.Messages {
		var want []string
		for _, o := range all {
			if o.ParentID == m.ParentID {
				want = append(want, o.ID)
			}
		}
		if strings.Join(m.Siblings, ",") != strings.Join(want, ",") || m.SiblingIndex == nil || m.Siblings[*m.SiblingIndex] != m.ID {
			t.Errorf("message %s: siblings %v at %v; want %v", m.ID, m.Siblings, m.SiblingIndex, want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Bad switches and deletes answer with an error and change nothing.
func TestTreeBadInput(t *testing.T) {
	ctx := context.Background()
	c := newTreeChat(t)
	other, err := c.e.svc.CreateSession(ctx, NewSession{})
	must(t, err)
	s, err := c.e.svc.Edit(ctx, c.u[2], "/echo x", "e1")
	must(t, err)
	c.e.waitEnd(t, c.sub, s.Assistant.ID)
	// Another window deletes the version this one is about to switch to.
	_, err = c.e.svc.Delete(ctx, c.u[2])
	must(t, err)
	shownBefore, sessBefore := c.shown(t)
	head := c.e.log.Head()
	cases := []struct {
		name string
		do   func() error
		want error
	}{
		{"switch to a deleted sibling", func() error { _, err := c.e.svc.Switch(ctx, c.sess.ID, c.u[2], 0); return err }, store.ErrNotFound},
		{"switch to a message of another chat", func() error { _, err := c.e.svc.Switch(ctx, other.ID, c.u[1], 0); return err }, ErrWrongSession},
		{"switch in a chat that does not exist", func() error { _, err := c.e.svc.Switch(ctx, "s_nope", c.u[1], 0); return err }, ErrWrongSession},
		{"send under a message of another chat", func() error {
			_, err := c.e.svc.Send(ctx, SendRequest{SessionID: other.ID, Content: "hi", ParentID: c.u[1]})
			return err
		}, ErrWrongSession},
		{"send under a deleted message", func() error {
			_, err := c.e.svc.Send(ctx, SendRequest{SessionID: c.sess.ID, Content: "hi", ParentID: c.u[2]})
			return err
		}, store.ErrNotFound},
		{"delete a deleted message", func() error { _, err := c.e.svc.Delete(ctx, c.a[3]); return err }, store.ErrNotFound},
		{"regenerate a deleted answer", func() error { _, _, err := c.e.svc.Regenerate(ctx, c.a[2], "", ""); return err }, store.ErrNotFound},
		{"edit a deleted message", func() error { _, err := c.e.svc.Edit(ctx, c.u[3], "/echo z", ""); return err }, store.ErrNotFound},
		{"edit an answer", func() error { _, err := c.e.svc.Edit(ctx, s.Assistant.ID, "/echo z", ""); return err }, ErrConflict},
		{"edit reusing a client_id of a regenerate", func() error {
			re, _, err := c.e.svc.Regenerate(ctx, s.Assistant.ID, "", "k1")
			must(t, err)
			c.e.waitEnd(t, c.sub, re.ID)
			shownBefore, sessBefore = c.shown(t)
			head = c.e.log.Head()
			_, err = c.e.svc.Edit(ctx, s.User.ID, "/echo z", "k1")
			return err
		}, ErrConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v; want %v", err, tc.want)
			}
			shown, sess := c.shown(t)
			if shown != shownBefore || sess.CurrentLeafID != sessBefore.CurrentLeafID || sess.MessageCount != sessBefore.MessageCount {
				t.Fatalf("the chat changed: %q (%d) -> %q (%d)", shownBefore, sessBefore.MessageCount, shown, sess.MessageCount)
			}
			if c.e.log.Head() != head {
				t.Fatalf("a refused request appended %d events", c.e.log.Head()-head)
			}
		})
	}
}

// Repeating an edit or a regenerate with its client_id returns the first
// result and starts nothing (an outbox resends after a reconnect).
func TestTreeIdempotentRetries(t *testing.T) {
	ctx := context.Background()
	c := newTreeChat(t)
	s1, err := c.e.svc.Edit(ctx, c.u[3], "/echo x", "edit-1")
	must(t, err)
	c.e.waitEnd(t, c.sub, s1.Assistant.ID)
	r1, created, err := c.e.svc.Regenerate(ctx, s1.Assistant.ID, "", "regen-1")
	must(t, err)
	if !created {
		t.Fatal("first regenerate not created")
	}
	c.e.waitEnd(t, c.sub, r1.ID)
	head := c.e.log.Head()
	s2, err := c.e.svc.Edit(ctx, c.u[3], "/echo x", "edit-1")
	if err != nil || s2.Created || s2.User.ID != s1.User.ID || s2.Assistant.ID != s1.Assistant.ID {
		t.Fatalf("repeated edit: %+v, %v", s2, err)
	}
	r2, created, err := c.e.svc.Regenerate(ctx, s1.Assistant.ID, "", "regen-1")
	if err != nil || created || r2.ID != r1.ID {
		t.Fatalf("repeated regenerate: %s created %v, %v; want %s", r2.ID, created, err, r1.ID)
	}
	if c.e.log.Head() != head {
		t.Fatalf("repeats appended %d events", c.e.log.Head()-head)
	}
}

// An answer streaming on a branch the user switched away from keeps
// streaming, and is complete when they switch back.
func TestStreamingOnABranchSwitchedAway(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "", 300)
	sess, err := e.svc.CreateSession(ctx, NewSession{})
	must(t, err)
	sub := e.log.SubscribeLive()
	first, err := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "a long answer, please"})
	must(t, err)
	// Edit the question while its answer streams: the path moves away.
	edited, err := e.svc.Edit(ctx, first.User.ID, "/echo short", "e1")
	must(t, err)
	if !e.svc.Running(first.Assistant.ID) {
		t.Fatal("the first answer stopped when the user switched away")
	}
	if leaf := e.leaf(t, sess.ID); leaf != store.Ref(edited.Assistant.ID) {
		t.Fatalf("leaf %s; want the edit's answer", leaf)
	}
	final, _ := e.waitEnd(t, sub, first.Assistant.ID)
	if final.Status != store.StatusComplete || final.Content != llm.DemoAnswer("a long answer, please") {
		t.Fatalf("the answer on the other branch ended %s with %d chars", final.Status, len(final.Content))
	}
	res, err := e.svc.Switch(ctx, sess.ID, first.User.ID, 0)
	must(t, err)
	if n := len(res.Page.Messages); n != 2 || res.Page.Messages[1].Status != store.StatusComplete || res.Page.Messages[1].Content != final.Content {
		t.Fatalf("after switching back: %+v", res.Page.Messages)
	}
	if got := res.Page.Messages[0].Siblings; len(got) != 2 || *res.Page.Messages[0].SiblingIndex != 0 {
		t.Fatalf("the question shows siblings %v at %v; want 2, the first", got, res.Page.Messages[0].SiblingIndex)
	}
	// And a delete of that branch while something streams in it stops it first.
	again, _, err := e.svc.Regenerate(ctx, first.Assistant.ID, "", "")
	must(t, err)
	deadline := time.Now().Add(10 * time.Second)
	for !e.svc.Running(again.ID) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	d, err := e.svc.Delete(ctx, first.User.ID)
	must(t, err)
	if d.Deleted != 3 || e.svc.Running(again.ID) {
		t.Fatalf("delete removed %d (want 3); still running: %v", d.Deleted, e.svc.Running(again.ID))
	}
	if _, err := e.st.GetMessage(ctx, again.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the streaming answer survived its branch's delete: %v", err)
	}
}

// Per-chat settings reach the provider, and a change applies to the next
// generation.
func TestChatSettingsReachTheProvider(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "", 20000)
	rec := &recorder{Demo: &llm.Demo{TokensPerSecond: 20000}}
	e.prov["rec"] = rec
	temp, topP, maxTok := 0.0, 0.5, 99
	sess, err := e.svc.CreateSession(ctx, NewSession{Model: "rec/demo", SystemPrompt: "Be brief.", Temperature: &temp, TopP: &topP, MaxTokens: &maxTok})
	must(t, err)
	sub := e.log.SubscribeLive()
	sent, err := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "/echo hi"})
	must(t, err)
	e.waitEnd(t, sub, sent.Assistant.ID)
	req := rec.last()
	if req.System != "Be brief." || req.Temperature == nil || *req.Temperature != 0 || req.TopP == nil || *req.TopP != 0.5 || req.MaxTokens != 99 {
		t.Fatalf("request system %q temperature %v top_p %v max_tokens %d", req.System, req.Temperature, req.TopP, req.MaxTokens)
	}
	hot := 1.5
	_, err = e.svc.UpdateSession(ctx, sess.ID, SessionPatch{Temperature: Optional[float64]{Set: true, Value: &hot}, TopP: Optional[float64]{Set: true}})
	must(t, err)
	re, _, err := e.svc.Regenerate(ctx, sent.Assistant.ID, "", "")
	must(t, err)
	e.waitEnd(t, sub, re.ID)
	req = rec.last()
	if req.Temperature == nil || *req.Temperature != 1.5 || req.TopP != nil || req.MaxTokens != 99 {
		t.Fatalf("after the change: temperature %v top_p %v max_tokens %d", req.Temperature, req.TopP, req.MaxTokens)
	}
	for _, bad := range []SessionPatch{
		{Temperature: Optional[float64]{Set: true, Value: ptr(2.5)}},
		{TopP: Optional[float64]{Set: true, Value: ptr(-0.1)}},
		{MaxTokens: Optional[int]{Set: true, Value: ptr(0)}},
	} {
		if _, err := e.svc.UpdateSession(ctx, sess.ID, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("patch %+v: %v; want ErrInvalid", bad, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// gatedTitles answers like the demo; a title request fails, or waits for
// gate and then names the chat "Model title".
type gatedTitles struct {
	*llm.Demo
	gate chan struct{} // nil: title requests fail
}

func (g gatedTitles) Stream(ctx context.Context, req llm.Request, emit func(llm.Chunk) error) (llm.Result, error) {
	if req.Purpose != llm.PurposeTitle {
		return g.Demo.Stream(ctx, req, emit)
	}
	if g.gate == nil {
		return llm.Result{}, errors.New("upstream: 529 overloaded")
	}
	<-g.gate
	return llm.Result{FinishReason: "stop"}, emit(llm.Chunk{Text: "\"Model title.\""})
}

// A failed title request keeps the first-words title; a rename made while
// the title request runs is never replaced; a title's quotes and full stop
// are dropped.
func TestTitleFallbackAndRename(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "", 20000)
	gate := make(chan struct{})
	e.prov["fail"] = gatedTitles{Demo: &llm.Demo{TokensPerSecond: 20000}}
	e.prov["gated"] = gatedTitles{Demo: &llm.Demo{TokensPerSecond: 20000}, gate: gate}
	sub := e.log.SubscribeLive()
	chat := func(model, prompt string) store.Session {
		sess, err := e.svc.CreateSession(ctx, NewSession{Model: model})
		must(t, err)
		sent, err := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: prompt})
		must(t, err)
		e.waitEnd(t, sub, sent.Assistant.ID)
		// Its job asks for the title as it ends.
		for e.svc.Running(sent.Assistant.ID) {
			time.Sleep(time.Millisecond)
		}
		return sess
	}

	failed := chat("fail/demo", "Plan a trip to the mountains\nwith details")
	e.svc.titles.Wait()
	if got, _ := e.st.GetSession(ctx, failed.ID); got.Title != "Plan a trip to the mountains" || got.TitleSource != store.TitleAuto {
		t.Fatalf("after a failed title request: %q from %s", got.Title, got.TitleSource)
	}

	renamed := chat("gated/demo", "something to name")
	mine := "My own name"
	_, err := e.svc.UpdateSession(ctx, renamed.ID, SessionPatch{Title: &mine})
	must(t, err)
	named := chat("gated/demo", "another thing to name")
	close(gate)
	e.svc.titles.Wait()
	if got, _ := e.st.GetSession(ctx, renamed.ID); got.Title != mine || got.TitleSource != store.TitleUser {
		t.Fatalf("renamed while the title was asked for: %q from %s", got.Title, got.TitleSource)
	}
	if got, _ := e.st.GetSession(ctx, named.ID); got.Title != "Model title" || got.TitleSource != store.TitleGenerated {
		t.Fatalf("generated: %q from %s", got.Title, got.TitleSource)
	}
}

package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// laneWatch follows the event log and checks the rule from the outside:
// in the log's order, no chat ever has two answers streaming at once.
type laneWatch struct {
	mu         sync.Mutex
	status     map[string]store.Status // by message id
	session    map[string]string       // message id -> session id
	parent     map[string]string       // message id -> parent id, every role
	started    []string                // answers in the order they began streaming
	violations []string
}

// watchLanes starts watching at the log's head, knowing the answers
// already stored (what a crash left behind).
func watchLanes(t *testing.T, e *env) *laneWatch {
	t.Helper()
	w := &laneWatch{status: map[string]store.Status{}, session: map[string]string{}, parent: map[string]string{}}
	head := e.log.Head()
	sessions, err := e.st.ListSessions(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sessions {
		msgs, err := e.st.ListAllMessages(context.Background(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			w.parent[m.ID] = string(m.ParentID)
			if m.Role == store.RoleAssistant {
				w.status[m.ID], w.session[m.ID] = m.Status, m.SessionID
			}
		}
	}
	sub, err := e.log.Subscribe(e.log.Epoch(), head)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			recs, err := sub.Next(ctx, 256)
			if err != nil {
				return
			}
			for _, r := range recs {
				w.apply(r)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return w
}

func (w *laneWatch) apply(r *eventlog.Record) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch r.Type {
	case EventMessageDeleted:
		// A delete takes the message and everything below it.
		var d struct{ ID string }
		json.Unmarshal(r.Data, &d)
		for id := range w.status {
			for a := id; a != ""; a = w.parent[a] {
				if a == d.ID {
					delete(w.status, id)
					break
				}
			}
		}
		return
	case EventMessageCreated, EventMessageStarted, EventMessageContinued, EventMessageQueued,
		EventMessageCompleted, EventMessageFailed, EventMessageStopped, EventMessageInterrupted:
	default:
		return
	}
	var m store.Message
	if err := json.Unmarshal(r.Data, &m); err != nil {
		return
	}
	w.parent[m.ID] = string(m.ParentID)
	if m.Role != store.RoleAssistant {
		return
	}
	if m.Status == store.StatusStreaming && w.status[m.ID] != store.StatusStreaming {
		w.started = append(w.started, m.ID)
	}
	w.status[m.ID], w.session[m.ID] = m.Status, m.SessionID
	var streaming []string
	for id, st := range w.status {
		if st == store.StatusStreaming && w.session[id] == m.SessionID {
			streaming = append(streaming, id)
		}
	}
	if len(streaming) > 1 {
		slices.Sort(streaming)
		w.violations = append(w.violations, fmt.Sprintf("seq %d: %v stream at once in %s", r.Seq, streaming, m.SessionID))
	}
}

// settled waits until every answer of the chat the watch has seen is in
// an end state, and there are n of them.
func (w *laneWatch) settled(t *testing.T, sessionID string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		count, open := 0, 0
		for id, st := range w.status {
			if w.session[id] != sessionID {
				continue
			}
			count++
			if st == store.StatusStreaming || st == store.StatusQueued {
				open++
			}
		}
		w.mu.Unlock()
		if count == n && open == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t.Fatalf("chat %s did not settle with %d answers: %v", sessionID, n, w.status)
}

// waitStatus waits until the watch has seen answer id reach status.
func (w *laneWatch) waitStatus(t *testing.T, id string, status store.Status) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		st := w.status[id]
		w.mu.Unlock()
		if st == status {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("answer %s never reached %s", id, status)
}

func (w *laneWatch) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.violations) > 0 {
		t.Fatalf("two answers streamed at once in one chat:\n%s", strings.Join(w.violations, "\n"))
	}
}

func (w *laneWatch) startOrder() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.started)
}

// message reads a message, failing the test on error.
func (e *env) message(t *testing.T, id string) store.Message {
	t.Helper()
	m, err := e.st.GetMessage(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// waitContent waits until message id has some text.
func (e *env) waitContent(t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := e.message(t, id); m.Content != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("message %s got no text", id)
}

// together runs the functions at the same moment and waits for all.
func together(fns ...func()) {
	var start, wg sync.WaitGroup
	start.Add(1)
	for _, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start.Wait()
			fn()
		}()
	}
	start.Done()
	wg.Wait()
}

func TestOneAnswerAtATimePerChat(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		tps  float64
		run  func(t *testing.T, e *env, w *laneWatch, sess store.Session)
	}{
		{name: "many sends at once wait in order and all complete", tps: 3000, run: func(t *testing.T, e *env, w *laneWatch, sess store.Session) {
			const n = 8
			sent := make([]Sent, n)
			errs := make([]error, n)
			var fns []func()
			for i := range n {
				fns = append(fns, func() {
					sent[i], errs[i] = e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: fmt.Sprintf("question %d", i), ClientID: fmt.Sprintf("c%d", i)})
				})
			}
			together(fns...)
			var ids []string
			streaming := 0
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("send %d: %v", i, errs[i])
				}
				ids = append(ids, sent[i].Assistant.ID)
				if sent[i].Assistant.Status == store.StatusStreaming {
					streaming++
				}
			}
			if streaming != 1 {
				t.Errorf("%d sends started streaming at once; want 1, the rest queued", streaming)
			}
			w.settled(t, sess.ID, n)
			slices.Sort(ids)
			if got := w.startOrder(); !slices.Equal(got, ids) {
				t.Errorf("answers started in order %v; want the order they were stored %v", got, ids)
			}
			for i := range n {
				m := e.message(t, sent[i].Assistant.ID)
				if m.Status != store.StatusComplete || m.Content != llm.DemoAnswer(fmt.Sprintf("question %d", i)) {
					t.Errorf("answer %d: %s, %d chars", i, m.Status, len(m.Content))
				}
			}
			// A resend of a queued pair changes nothing.
			head := e.log.Head()
			again, err := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "question 3", ClientID: "c3"})
			if err != nil || again.Created || again.Assistant.ID != sent[3].Assistant.ID || e.log.Head() != head {
				t.Errorf("resend: %+v %v, %d new events", again, err, e.log.Head()-head)
			}
		}},
		{name: "a send racing a stop", tps: 400, run: func(t *testing.T, e *env, w *laneWatch, sess store.Session) {
			const rounds = 6
			for i := range rounds {
				a, err := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: fmt.Sprintf("first %d", i)})
				if err != nil {
					t.Fatal(err)
				}
				e.waitContent(t, a.Assistant.ID)
				var b Sent
				var stopErr, sendErr error
				together(
					func() { _, stopErr = e.svc.Stop(ctx, a.Assistant.ID) },
					func() {
						b, sendErr = e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: fmt.Sprintf("second %d", i)})
					},
				)
				if stopErr != nil || sendErr != nil {
					t.Fatalf("round %d: stop %v, send %v", i, stopErr, sendErr)
				}
				w.settled(t, sess.ID, 2*(i+1))
				if m := e.message(t, a.Assistant.ID); m.Status != store.StatusStopped || m.Content == "" {
					t.Fatalf("round %d: stopped answer is %s with %d chars", i, m.Status, len(m.Content))
				}
				if m := e.message(t, b.Assistant.ID); m.Status != store.StatusComplete {
					t.Fatalf("round %d: the send after the stop ended %s", i, m.Status)
				}
			}
		}},
		{name: "a queued answer can be cancelled; the next one moves up", tps: 300, run: func(t *testing.T, e *env, w *laneWatch, sess store.Session) {
			a, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "a"})
			b, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "b"})
			c, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "c"})
			if b.Assistant.Status != store.StatusQueued || c.Assistant.Status != store.StatusQueued {
				t.Fatalf("b %s, c %s; want queued behind a", b.Assistant.Status, c.Assistant.Status)
			}
			if q := e.svc.QueueOf(sess.ID); q.Running != a.Assistant.ID || !slices.Equal(q.Waiting, []string{b.Assistant.ID, c.Assistant.ID}) {
				t.Fatalf("queue %+v", q)
			}
			stopped, err := e.svc.Stop(ctx, b.Assistant.ID)
			if err != nil || stopped.Status != store.StatusStopped || stopped.Content != "" {
				t.Fatalf("cancel queued: %+v %v", stopped, err)
			}
			// Stopping it again changes nothing (a is still streaming, so
			// compare b itself, not the log's head).
			if again, err := e.svc.Stop(ctx, b.Assistant.ID); err != nil || again.Status != store.StatusStopped || !again.UpdatedAt.Equal(stopped.UpdatedAt) {
				t.Fatalf("second cancel: %+v %v; want %+v unchanged", again, err, stopped)
			}
			w.settled(t, sess.ID, 3)
			if got, want := w.startOrder(), []string{a.Assistant.ID, c.Assistant.ID}; !slices.Equal(got, want) {
				t.Fatalf("started %v; want %v", got, want)
			}
			if m := e.message(t, c.Assistant.ID); m.Content != llm.DemoAnswer("c") {
				t.Fatalf("c: %q", m.Content)
			}
			// A cancelled answer can still be answered: Continue starts it afresh.
			if _, err := e.svc.Continue(ctx, b.Assistant.ID); err != nil {
				t.Fatal(err)
			}
			w.waitStatus(t, b.Assistant.ID, store.StatusComplete)
			if m := e.message(t, b.Assistant.ID); m.Status != store.StatusComplete || m.Content != llm.DemoAnswer("b") {
				t.Fatalf("b after continue: %s %q", m.Status, m.Content)
			}
		}},
		{name: "continue while another answer streams waits its turn", tps: 300, run: func(t *testing.T, e *env, w *laneWatch, sess store.Session) {
			a, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "a"})
			e.waitContent(t, a.Assistant.ID)
			if _, err := e.svc.Stop(ctx, a.Assistant.ID); err != nil {
				t.Fatal(err)
			}
			b, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "b"})
			cont, err := e.svc.Continue(ctx, a.Assistant.ID)
			if err != nil || cont.Status != store.StatusQueued {
				t.Fatalf("continue while b streams: %s %v; want queued", cont.Status, err)
			}
			// Continue again while it waits: a conflict, nothing changes.
			if _, err := e.svc.Continue(ctx, a.Assistant.ID); !errors.Is(err, ErrConflict) {
				t.Fatalf("second continue: %v", err)
			}
			w.waitStatus(t, a.Assistant.ID, store.StatusComplete)
			w.settled(t, sess.ID, 2)
			if got, want := w.startOrder(), []string{a.Assistant.ID, b.Assistant.ID, a.Assistant.ID}; !slices.Equal(got, want) {
				t.Fatalf("started %v; want %v", got, want)
			}
			if m := e.message(t, a.Assistant.ID); m.Content != llm.DemoAnswer("a") {
				t.Fatalf("continued a: %q", m.Content)
			}
		}},
		{name: "regenerate and edit while answers wait", tps: 300, run: func(t *testing.T, e *env, w *laneWatch, sess store.Session) {
			a, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "a"})
			b, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "b"})
			// Regenerating the queued b: b never starts; its new version waits behind a.
			re, created, err := e.svc.Regenerate(ctx, b.Assistant.ID, "", "r1")
			if err != nil || !created || re.Status != store.StatusQueued || string(re.ParentID) != b.User.ID {
				t.Fatalf("regenerate queued: %+v %v %v", re, created, err)
			}
			if m := e.message(t, b.Assistant.ID); m.Status != store.StatusStopped || m.Content != "" {
				t.Fatalf("the replaced queued answer is %s %q; want stopped, empty", m.Status, m.Content)
			}
			resent(t, e, sess.ID, func() (string, bool, error) {
				dup, created, err := e.svc.Regenerate(ctx, b.Assistant.ID, "", "r1")
				return dup.ID, created, err
			}, re.ID)
			// Editing a's question while a streams: a goes on (on the old
			// branch); the edit's answer waits behind a and re.
			ed, err := e.svc.Edit(ctx, a.User.ID, "a2", "e1")
			if err != nil || ed.Assistant.Status != store.StatusQueued {
				t.Fatalf("edit: %+v %v", ed, err)
			}
			resent(t, e, sess.ID, func() (string, bool, error) {
				again, err := e.svc.Edit(ctx, a.User.ID, "a2", "e1")
				return again.Assistant.ID, again.Created, err
			}, ed.Assistant.ID)
			if q := e.svc.QueueOf(sess.ID); q.Running != a.Assistant.ID || !slices.Equal(q.Waiting, []string{re.ID, ed.Assistant.ID}) {
				t.Fatalf("queue after edit: %+v", q)
			}
			w.settled(t, sess.ID, 4)
			if got, want := w.startOrder(), []string{a.Assistant.ID, re.ID, ed.Assistant.ID}; !slices.Equal(got, want) {
				t.Fatalf("started %v; want %v", got, want)
			}
			for id, want := range map[string]string{a.Assistant.ID: "a", re.ID: "b", ed.Assistant.ID: "a2"} {
				if m := e.message(t, id); m.Status != store.StatusComplete || m.Content != llm.DemoAnswer(want) {
					t.Fatalf("answer to %q: %s %q", want, m.Status, m.Content)
				}
			}
		}},
		{name: "regenerate a streaming answer: it stops, the new one takes its turn before those waiting", tps: 300, run: func(t *testing.T, e *env, w *laneWatch, sess store.Session) {
			a, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "a"})
			e.waitContent(t, a.Assistant.ID)
			re, _, err := e.svc.Regenerate(ctx, a.Assistant.ID, "", "r1")
			if err != nil || re.Status != store.StatusStreaming {
				t.Fatalf("regenerate streaming: %+v %v", re, err)
			}
			if m := e.message(t, a.Assistant.ID); m.Status != store.StatusStopped || m.Content == "" {
				t.Fatalf("the old answer is %s with %d chars; want stopped with its text", m.Status, len(m.Content))
			}
			b, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "b"})
			if b.Assistant.Status != store.StatusQueued {
				t.Fatalf("send after the regenerate: %s; want queued", b.Assistant.Status)
			}
			w.settled(t, sess.ID, 3)
			if got, want := w.startOrder(), []string{a.Assistant.ID, re.ID, b.Assistant.ID}; !slices.Equal(got, want) {
				t.Fatalf("started %v; want %v", got, want)
			}
		}},
		{name: "delete a branch with answers queued in it", tps: 300, run: func(t *testing.T, e *env, w *laneWatch, sess store.Session) {
			a, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "a"})
			b, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "b"})
			c, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "c"})
			// b's pair and c's go; a streams on, and nothing else starts.
			if _, err := e.svc.Delete(ctx, b.User.ID); err != nil {
				t.Fatal(err)
			}
			if q := e.svc.QueueOf(sess.ID); q.Running != a.Assistant.ID {
				t.Fatalf("queue after delete: %+v", q)
			}
			w.settled(t, sess.ID, 1)
			if got, want := w.startOrder(), []string{a.Assistant.ID}; !slices.Equal(got, want) {
				t.Fatalf("started %v; want %v", got, want)
			}
			for _, id := range []string{b.Assistant.ID, c.Assistant.ID} {
				if _, err := e.st.GetMessage(ctx, id); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("deleted answer %s: %v", id, err)
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "", tc.tps)
			w := watchLanes(t, e)
			sess, err := e.svc.CreateSession(ctx, NewSession{})
			if err != nil {
				t.Fatal(err)
			}
			tc.run(t, e, w, sess)
			w.check(t)
			if q := e.svc.QueueOf(sess.ID); q.Running != "" || len(q.Waiting) != 0 {
				t.Fatalf("queue left %+v", q)
			}
		})
	}
}

// resent checks a second delivery of a request changes nothing: it returns
// the answer the first made.
func resent(t *testing.T, e *env, sessionID string, again func() (id string, created bool, err error), first string) {
	t.Helper()
	ids := func() []string {
		msgs, err := e.st.ListAllMessages(context.Background(), sessionID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range msgs {
			out = append(out, m.ID)
		}
		return out
	}
	before := ids()
	id, created, err := again()
	switch {
	case !slices.Equal(ids(), before):
		t.Fatalf("a resent request changed the chat: %v, then %v", before, ids())
	case err != nil || created || id != first:
		t.Fatalf("resent request: %s created=%v %v; want %s", id, created, err, first)
	}
}

// A crash leaves answers streaming and queued in the database; Recover
// puts them back in line and the rule holds on the way out.
// crashLeft is one answer as a crash left it.
type crashLeft struct {
	prompt, model string
	status        store.Status
	partial       int // bytes of the answer committed before the crash
}

func TestQueueAfterACrash(t *testing.T) {
	ctx := context.Background()
	type left = crashLeft
	cases := []struct {
		name       string
		left       []left
		wantStatus []store.Status
		wantOrder  []int // indexes into left, in the order they start streaming after the restart (a continued answer was streaming already)
		continued  int
	}{
		{
			name:       "streaming answer continues, queued ones follow in order",
			left:       []left{{"a", "demo/demo", store.StatusStreaming, 40}, {"b", "demo/demo", store.StatusQueued, 0}, {"c", "demo/demo", store.StatusQueued, 0}},
			wantStatus: []store.Status{store.StatusComplete, store.StatusComplete, store.StatusComplete},
			wantOrder:  []int{1, 2},
			continued:  1,
		},
		{
			name:       "an answer that cannot continue is interrupted and the queue moves on",
			left:       []left{{"a", "flaky/x", store.StatusStreaming, 10}, {"b", "demo/demo", store.StatusQueued, 0}},
			wantStatus: []store.Status{store.StatusInterrupted, store.StatusComplete},
			wantOrder:  []int{1},
		},
		{
			name:       "two answers streaming in one chat (older versions): the second waits",
			left:       []left{{"a", "demo/demo", store.StatusStreaming, 30}, {"b", "demo/demo", store.StatusStreaming, 20}, {"c", "demo/demo", store.StatusQueued, 0}},
			wantStatus: []store.Status{store.StatusComplete, store.StatusComplete, store.StatusComplete},
			wantOrder:  []int{1, 2},
			continued:  1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "", 3000)
			sess, _ := e.svc.CreateSession(ctx, NewSession{})
			var ids []string
			for _, l := range tc.left {
				_, err := e.log.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
					s, err := tx.GetSession(sess.ID)
					if err != nil {
						return nil, err
					}
					evs, sent, err := insertTurn(tx, s, string(s.CurrentLeafID), l.prompt, "", l.model, l.status, false, nil)
					if err != nil {
						return nil, err
					}
					ids = append(ids, sent.Assistant.ID)
					if l.partial > 0 {
						err = tx.AppendContent(sent.Assistant.ID, llm.DemoAnswer(l.prompt)[:l.partial], 3, tx.Now())
					}
					return evs, err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			w := watchLanes(t, e)
			cont, _, err := e.svc.Recover(ctx)
			if err != nil || cont != tc.continued {
				t.Fatalf("recover: %d continued, %v; want %d", cont, err, tc.continued)
			}
			w.settled(t, sess.ID, len(ids))
			w.check(t)
			var want []string
			for _, i := range tc.wantOrder {
				want = append(want, ids[i])
			}
			got := w.startOrder()
			if !slices.Equal(got, want) {
				t.Fatalf("started after the restart %v; want %v", got, want)
			}
			for i, id := range ids {
				m := e.message(t, id)
				if m.Status != tc.wantStatus[i] {
					t.Errorf("answer %d: %s; want %s", i, m.Status, tc.wantStatus[i])
				}
				if m.Status == store.StatusComplete && m.Content != llm.DemoAnswer(tc.left[i].prompt) {
					t.Errorf("answer %d: %q", i, m.Content)
				}
			}
		})
	}
}

// A send racing a shutdown: whatever the send saw, after a restart every
// answer ends, nothing is left streaming or queued, and the rule held.
func TestSendRacingAShutdown(t *testing.T) {
	ctx := context.Background()
	for round := range 4 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "holdfast.db")
			e := newEnv(t, path, 400)
			sess, _ := e.svc.CreateSession(ctx, NewSession{})
			a, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "first"})
			e.waitContent(t, a.Assistant.ID)
			var b Sent
			var sendErr error
			together(
				func() {
					cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					defer cancel()
					e.svc.Close(cctx)
				},
				func() { b, sendErr = e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "second"}) },
			)
			e.close()

			e2 := newEnv(t, path, 3000)
			w := watchLanes(t, e2)
			if _, _, err := e2.svc.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			// a was interrupted by the shutdown: continue it like the user would.
			if m := e2.message(t, a.Assistant.ID); m.Status == store.StatusInterrupted {
				if _, err := e2.svc.Continue(ctx, a.Assistant.ID); err != nil {
					t.Fatal(err)
				}
			}
			n := 1
			if sendErr == nil {
				n = 2
			}
			w.settled(t, sess.ID, n)
			w.check(t)
			if m := e2.message(t, a.Assistant.ID); m.Status != store.StatusComplete || m.Content != llm.DemoAnswer("first") {
				t.Fatalf("first answer %s %q", m.Status, m.Content)
			}
			if sendErr == nil {
				m := e2.message(t, b.Assistant.ID)
				if m.Status != store.StatusComplete && m.Status != store.StatusInterrupted {
					t.Fatalf("second answer %s", m.Status)
				}
			}
			left, err := e2.st.StreamingMessages(ctx)
			queued, err2 := e2.st.QueuedMessages(ctx)
			if err != nil || err2 != nil || len(left)+len(queued) != 0 {
				t.Fatalf("left streaming %d, queued %d (%v %v)", len(left), len(queued), err, err2)
			}
		})
	}
}

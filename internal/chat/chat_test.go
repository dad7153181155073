package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// providers resolves "<name>/<model>" against a fixed map.
type providers map[string]llm.Provider

func (p providers) Resolve(ref string) (llm.Provider, string, error) {
	name, model, _ := strings.Cut(ref, "/")
	if pr, ok := p[name]; ok {
		return pr, model, nil
	}
	return nil, "", fmt.Errorf("no provider %q", name)
}

func (p providers) DefaultModel() string { return "demo/demo" }

// flaky stands in for a remote model whose connection fails after a few
// chunks; it cannot continue an answer.
type flaky struct{ chunks int }

func (f *flaky) Name() string                                { return "flaky" }
func (f *flaky) CanContinue() bool                           { return false }
func (f *flaky) Models(context.Context) ([]llm.Model, error) { return nil, nil }
func (f *flaky) Stream(ctx context.Context, req llm.Request, emit func(llm.Chunk) error) (llm.Result, error) {
	for i := 0; i < f.chunks; i++ {
		if err := emit(llm.Chunk{Text: fmt.Sprintf("part%d ", i)}); err != nil {
			return llm.Result{}, err
		}
	}
	return llm.Result{}, errors.New("upstream: connection reset by peer")
}

type env struct {
	path string
	st   *store.Store
	log  *eventlog.Log
	svc  *Service
	prov providers
}

func newEnv(t *testing.T, path string, tps float64) *env {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "holdfast.db")
	}
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log, err := eventlog.Open(context.Background(), st, eventlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	prov := providers{"demo": &llm.Demo{TokensPerSecond: tps}, "flaky": &flaky{chunks: 3}}
	e := &env{path: path, st: st, log: log, prov: prov, svc: New(log, st, prov, nil, nil)}
	t.Cleanup(e.close)
	return e
}

func (e *env) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.svc.Close(ctx)
	e.log.Close()
	e.st.Close()
}

// waitEnd follows the log until the message reaches an end state and
// returns the events seen for it.
func (e *env) waitEnd(t *testing.T, sub *eventlog.Subscription, msgID string) (store.Message, []*eventlog.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var seen []*eventlog.Record
	for {
		recs, err := sub.Next(ctx, 100)
		if err != nil {
			t.Fatalf("waiting for %s: %v", msgID, err)
		}
		for _, r := range recs {
			if !strings.Contains(string(r.Data), msgID) {
				continue
			}
			seen = append(seen, r)
			switch r.Type {
			case EventMessageCompleted, EventMessageFailed, EventMessageStopped, EventMessageInterrupted:
				var m store.Message
				if err := json.Unmarshal(r.Data, &m); err != nil {
					t.Fatal(err)
				}
				return m, seen
			}
		}
	}
}

// deltasText joins the delta events of a message, checking their indexes
// run on from `from` without gap or repeat.
func deltasText(t *testing.T, recs []*eventlog.Record, from int) string {
	t.Helper()
	var b strings.Builder
	next := from
	for _, r := range recs {
		if r.Type != EventMessageDelta {
			continue
		}
		var d Delta
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.Index != next {
			t.Fatalf("delta index %d; want %d", d.Index, next)
		}
		next++
		b.WriteString(d.Text)
	}
	return b.String()
}

func TestSendStreamsAndCompletes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "", 2000)
	sess, err := e.svc.CreateSession(ctx, NewSession{})
	if err != nil {
		t.Fatal(err)
	}
	sub := e.log.SubscribeLive()
	sent, err := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "hello there", ClientID: "c1"})
	if err != nil || !sent.Created {
		t.Fatalf("send: %+v, %v", sent, err)
	}
	final, recs := e.waitEnd(t, sub, sent.Assistant.ID)
	want := llm.DemoAnswer("hello there")
	if final.Status != store.StatusComplete || final.Content != want || final.Usage == nil {
		t.Fatalf("final = %+v", final)
	}
	if got := deltasText(t, recs, 0); got != want {
		t.Fatalf("deltas joined = %q; want the answer", got)
	}
	stored, _ := e.st.GetMessage(ctx, sent.Assistant.ID)
	if stored.Content != want || stored.Chunks != final.Chunks {
		t.Fatalf("stored = %+v", stored)
	}
	s2, _ := e.st.GetSession(ctx, sess.ID)
	if s2.Title != "hello there" || s2.MessageCount != 2 || s2.CurrentLeafID != store.Ref(sent.Assistant.ID) {
		t.Fatalf("session after first message = %+v", s2)
	}
	// The first answer names the chat with the model's title (the demo's
	// is the first words) in a separate request.
	e.waitTitle(t, sess.ID, store.TitleGenerated)

	// The same client_id again returns the same pair and starts nothing.
	head := e.log.Head()
	again, err := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "hello there", ClientID: "c1"})
	if err != nil || again.Created || again.User.ID != sent.User.ID || again.Assistant.ID != sent.Assistant.ID {
		t.Fatalf("resend: %+v, %v", again, err)
	}
	if e.log.Head() != head {
		t.Fatalf("resend appended %d events", e.log.Head()-head)
	}
}

// A new chat gets the default system prompt (read at each creation, so a
// changed config.toml applies to the next chat) unless it sets its own;
// the prompt is what the provider is sent.
func TestCreateSessionDefaultSystemPrompt(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		def      string // "" with noSource: no default source at all
		noSource bool
		given    string
		want     string
	}{
		{name: "default used", def: "Answer briefly.", want: "Answer briefly."},
		{name: "own prompt wins", def: "Answer briefly.", given: "Be verbose.", want: "Be verbose."},
		{name: "empty default", def: "", want: ""},
		{name: "no source", noSource: true, want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "", 2000)
			var prompt func() string
			if !tc.noSource {
				prompt = func() string { return tc.def }
			}
			svc := New(e.log, e.st, e.prov, prompt, nil)
			t.Cleanup(func() { svc.Close(ctx) })
			sess, err := svc.CreateSession(ctx, NewSession{SystemPrompt: tc.given})
			if err != nil {
				t.Fatal(err)
			}
			if sess.SystemPrompt != tc.want {
				t.Errorf("created with system prompt %q; want %q", sess.SystemPrompt, tc.want)
			}
			stored, err := e.st.GetSession(ctx, sess.ID)
			if err != nil || stored.SystemPrompt != tc.want {
				t.Errorf("stored %+v (%v); want system prompt %q", stored, err, tc.want)
			}
			m := store.Message{SessionID: sess.ID, ID: "m_zzzz"}
			req, err := svc.request(ctx, m, "demo")
			if err != nil || req.System != tc.want {
				t.Errorf("provider request system %q (%v); want %q", req.System, err, tc.want)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "", 1000)
	sess, _ := e.svc.CreateSession(ctx, NewSession{Title: "t"})
	cases := []struct {
		name string
		req  SendRequest
		want error
	}{
		{"empty", SendRequest{SessionID: sess.ID, Content: "  \n"}, ErrInvalid},
		{"huge", SendRequest{SessionID: sess.ID, Content: strings.Repeat("x", MaxContentBytes+1)}, ErrTooLarge},
		{"bad utf-8", SendRequest{SessionID: sess.ID, Content: "a\xffb"}, ErrInvalid},
		{"unknown session", SendRequest{SessionID: "s_nope", Content: "hi"}, ErrNotFound},
		{"unknown model", SendRequest{SessionID: sess.ID, Content: "hi", Model: "nope/x"}, ErrUnknownModel},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			head := e.log.Head()
			if _, err := e.svc.Send(ctx, tc.req); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v; want %v", err, tc.want)
			}
			if e.log.Head() != head {
				t.Fatal("a refused send appended events")
			}
		})
	}
	if _, err := e.svc.CreateSession(ctx, NewSession{Model: "nope/x"}); !errors.Is(err, ErrUnknownModel) {
		t.Fatalf("create with unknown model: %v", err)
	}
	if _, err := e.svc.Stop(ctx, "m_nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("stop unknown: %v", err)
	}
}

func TestEndStates(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name       string
		model      string
		act        func(e *env, m store.Message) error
		wantStatus store.Status
		wantErr    string
	}{
		{name: "stopped", model: "demo/demo", wantStatus: store.StatusStopped, act: func(e *env, m store.Message) error {
			_, err := e.svc.Stop(ctx, m.ID)
			return err
		}},
		{name: "failed upstream", model: "flaky/x", wantStatus: store.StatusFailed, wantErr: "connection reset"},
		{name: "shutdown", model: "demo/demo", wantStatus: store.StatusInterrupted, act: func(e *env, m store.Message) error {
			return e.svc.Close(ctx)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "", 200)
			sess, _ := e.svc.CreateSession(ctx, NewSession{Model: tc.model})
			sub := e.log.SubscribeLive()
			sent, err := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "tell me"})
			if err != nil {
				t.Fatal(err)
			}
			if tc.act != nil {
				time.Sleep(60 * time.Millisecond) // let a few chunks through
				if err := tc.act(e, sent.Assistant); err != nil {
					t.Fatal(err)
				}
			}
			final, recs := e.waitEnd(t, sub, sent.Assistant.ID)
			if final.Status != tc.wantStatus || !strings.Contains(final.Error, tc.wantErr) {
				t.Fatalf("final = %s %q; want %s %q", final.Status, final.Error, tc.wantStatus, tc.wantErr)
			}
			partial := deltasText(t, recs, 0)
			if final.Content != partial || partial == "" {
				t.Fatalf("kept %q; deltas said %q", final.Content, partial)
			}
			if tc.wantStatus == store.StatusStopped {
				// A second Stop (a resend) changes nothing and answers the same.
				head := e.log.Head()
				again, err := e.svc.Stop(ctx, final.ID)
				if err != nil || again.Status != store.StatusStopped || again.Content != final.Content || e.log.Head() != head {
					t.Fatalf("second stop: %s %v, %d new events; want the same stopped answer and nothing new", again.Status, err, e.log.Head()-head)
				}
			} else if _, err := e.svc.Stop(ctx, final.ID); !errors.Is(err, ErrConflict) {
				t.Fatalf("stop after %s: %v; want conflict", final.Status, err)
			}
		})
	}
}

func TestRestartContinuesToTheSameAnswer(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "holdfast.db")
	e := newEnv(t, path, 300)
	sess, _ := e.svc.CreateSession(ctx, NewSession{})
	sent, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "survive a restart"})
	time.Sleep(80 * time.Millisecond)
	// A clean shutdown leaves it interrupted: Continue finishes it.
	e.close()
	m, _ := (func() (store.Message, error) {
		st, _ := store.Open(ctx, path, store.Options{})
		defer st.Close()
		return st.GetMessage(ctx, sent.Assistant.ID)
	})()
	if m.Status != store.StatusInterrupted || m.Content == "" {
		t.Fatalf("after shutdown: %s with %d chars", m.Status, len(m.Content))
	}

	e2 := newEnv(t, path, 5000)
	sub := e2.log.SubscribeLive()
	if _, err := e2.svc.Continue(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	final, recs := e2.waitEnd(t, sub, m.ID)
	want := llm.DemoAnswer("survive a restart")
	if final.Status != store.StatusComplete || final.Content != want {
		t.Fatalf("continued to %s %q", final.Status, final.Content)
	}
	if got := deltasText(t, recs, m.Chunks); m.Content+got != want {
		t.Fatal("continued deltas do not complete the answer")
	}
}

func TestRecoverAfterCrash(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		model      string
		wantStatus store.Status
		continued  int
		offPath    bool // the user had switched to another branch before the crash
	}{
		{"demo/demo", store.StatusComplete, 1, false},
		{"flaky/x", store.StatusInterrupted, 0, false},
		{"demo/demo", store.StatusComplete, 1, true},
		{"flaky/x", store.StatusInterrupted, 0, true},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s off path %v", tc.model, tc.offPath), func(t *testing.T) {
			e := newEnv(t, "", 5000)
			sess, _ := e.svc.CreateSession(ctx, NewSession{Model: tc.model})
			// What a crash leaves: a streaming answer with some committed text.
			prompt := "crash me"
			partial := llm.DemoAnswer(prompt)[:40]
			var asst store.Message
			_, err := e.log.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
				evs, sent, err := insertTurn(tx, sess, "", prompt, "", tc.model, store.StatusStreaming, false, nil)
				if err != nil {
					return nil, err
				}
				asst = sent.Assistant
				if tc.offPath {
					now := tx.Now()
					other, err := tx.InsertMessage(store.Message{ID: tx.NewID("m_"), SessionID: sess.ID, Role: store.RoleUser,
						Content: "another version", Status: store.StatusComplete, CreatedAt: now, UpdatedAt: now})
					if err != nil {
						return nil, err
					}
					if err := tx.SetPath(sess.ID, other.ID); err != nil {
						return nil, err
					}
				}
				return evs, tx.AppendContent(asst.ID, partial, 5, tx.Now())
			})
			if err != nil {
				t.Fatal(err)
			}
			leafBefore := e.leaf(t, sess.ID)
			sub := e.log.SubscribeLive()
			cont, intr, err := e.svc.Recover(ctx)
			if err != nil || cont != tc.continued || cont+intr != 1 {
				t.Fatalf("recover: %d continued, %d interrupted, %v", cont, intr, err)
			}
			final, recs := e.waitEnd(t, sub, asst.ID)
			if final.Status != tc.wantStatus {
				t.Fatalf("status %s; want %s", final.Status, tc.wantStatus)
			}
			if leaf := e.leaf(t, sess.ID); leaf != leafBefore {
				t.Fatalf("recovery moved the chat's path from %s to %s", leafBefore, leaf)
			}
			// Settled means searchable, on whatever branch.
			q, _ := store.ParseQuery(final.Content[:20])
			page, err := e.st.SearchMessages(ctx, store.SearchRequest{Query: q, Limit: 10})
			if err != nil || len(page.Hits) != 1 || page.Hits[0].MessageID != asst.ID {
				t.Fatalf("search for the recovered answer: %+v, %v", page, err)
			}
			if tc.continued == 1 {
				if final.Content != llm.DemoAnswer(prompt) || deltasText(t, recs, 5) == "" {
					t.Fatalf("recovered answer differs: %q", final.Content)
				}
			} else {
				if final.Content != partial {
					t.Fatalf("interrupted answer lost its text: %q", final.Content)
				}
				if _, err := e.svc.Continue(ctx, asst.ID); !errors.Is(err, ErrCannotContinue) {
					t.Fatalf("continue on a provider that cannot: %v", err)
				}
			}
		})
	}
}

// leaf is the chat's current leaf.
func (e *env) leaf(t *testing.T, sessionID string) store.Ref {
	t.Helper()
	sess, err := e.st.GetSession(context.Background(), sessionID)
	if err != nil {
		t.Fatal(err)
	}
	return sess.CurrentLeafID
}

// waitTitle waits until a chat's title comes from source.
func (e *env) waitTitle(t *testing.T, sessionID string, source store.TitleSource) store.Session {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		sess, err := e.st.GetSession(context.Background(), sessionID)
		if err != nil {
			t.Fatal(err)
		}
		if sess.TitleSource == source {
			// The log publishes its head just after the store commits:
			// wait for it to cover the title's event too.
			b, err := e.st.Bounds(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if e.log.Head() >= b.Head {
				return sess
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("title of %s is %q from %s; want one from %s", sessionID, sess.Title, sess.TitleSource, source)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDeleteSession(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "", 5000)
	sess, _ := e.svc.CreateSession(ctx, NewSession{})
	sub := e.log.SubscribeLive()
	first, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "one"})
	e.waitEnd(t, sub, first.Assistant.ID)
	if err := e.svc.DeleteSession(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.GetSession(ctx, sess.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted session still readable: %v", err)
	}
	if _, err := e.st.GetMessage(ctx, first.User.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted session's message is still readable: %v", err)
	}
}

package chat

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// scripted answers each Stream with the next scripted part and records the
// requests it was given.
type scripted struct {
	mu    sync.Mutex
	parts []part
	reqs  []llm.Request
}

type part struct {
	chunks []llm.Chunk
	res    llm.Result
	err    error
	pause  time.Duration // between chunks
}

func (s *scripted) Name() string                                { return "script" }
func (s *scripted) CanContinue() bool                           { return true }
func (s *scripted) Models(context.Context) ([]llm.Model, error) { return nil, nil }
func (s *scripted) Stream(ctx context.Context, req llm.Request, emit func(llm.Chunk) error) (llm.Result, error) {
	if req.Purpose == llm.PurposeTitle {
		// The chat's title is asked for apart; it takes no scripted part.
		if err := emit(llm.Chunk{Text: "A title"}); err != nil {
			return llm.Result{}, err
		}
		return llm.Result{FinishReason: "stop"}, nil
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	p := s.parts[0]
	if len(s.parts) > 1 {
		s.parts = s.parts[1:]
	}
	s.mu.Unlock()
	for _, c := range p.chunks {
		if p.pause > 0 {
			time.Sleep(p.pause)
		}
		if err := emit(c); err != nil {
			return p.res, err
		}
	}
	return p.res, p.err
}

func (s *scripted) requests() []llm.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]llm.Request(nil), s.reqs...)
}

// reasoningText joins the message.reasoning events of a message, checking
// their indexes run on from `from`.
func reasoningText(t *testing.T, recs []*eventlog.Record, from int) string {
	t.Helper()
	var b strings.Builder
	next := from
	for _, r := range recs {
		if r.Type != EventMessageReasoning {
			continue
		}
		var d Delta
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.Index != next {
			t.Fatalf("reasoning index %d; want %d", d.Index, next)
		}
		next++
		b.WriteString(d.Text)
	}
	return b.String()
}

func scriptEnv(t *testing.T, parts ...part) (*env, *scripted) {
	t.Helper()
	e := newEnv(t, "", 1000)
	s := &scripted{parts: parts}
	e.prov["script"] = s
	return e, s
}

func TestReasoningIsKeptAndTimed(t *testing.T) {
	ctx := context.Background()
	e, _ := scriptEnv(t, part{
		chunks: []llm.Chunk{{Reasoning: "Let me"}, {Reasoning: " think."}, {Signature: "sig-1", Signed: true}, {Text: "The answer"}, {Text: " is 42."}},
		res:    llm.Result{FinishReason: "stop", Usage: &llm.Usage{InputTokens: 10, OutputTokens: 9}},
		pause:  20 * time.Millisecond,
	})
	sess, _ := e.svc.CreateSession(ctx, NewSession{Model: "script/m"})
	sub := e.log.SubscribeLive()
	sent, err := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "think"})
	if err != nil {
		t.Fatal(err)
	}
	final, recs := e.waitEnd(t, sub, sent.Assistant.ID)
	if final.Status != store.StatusComplete || final.Content != "The answer is 42." || final.Reasoning != "Let me think." {
		t.Fatalf("final %s %q / %q", final.Status, final.Content, final.Reasoning)
	}
	if got := reasoningText(t, recs, 0); got != final.Reasoning || deltasText(t, recs, 0) != final.Content {
		t.Fatalf("events %q / %q", got, deltasText(t, recs, 0))
	}
	if final.ReasoningChunks != 2 || final.Chunks != 2 || final.FinishReason != "stop" || final.Usage.OutputTokens != 9 {
		t.Fatalf("final %+v", final)
	}
	// Reasoned from the first reasoning chunk to the first text: three
	// pauses of 20 ms at least.
	if final.ReasoningStartedAt == nil || final.ReasoningMS == nil || *final.ReasoningMS < 40 {
		t.Fatalf("reasoning time %v started %v", final.ReasoningMS, final.ReasoningStartedAt)
	}
	stored, _ := e.st.GetMessage(ctx, final.ID)
	if stored.ReasoningSignature != "sig-1" || !stored.ReasoningSigned {
		t.Fatalf("signature %q %v", stored.ReasoningSignature, stored.ReasoningSigned)
	}
	// The signature never reaches a client.
	for _, r := range recs {
		if strings.Contains(string(r.Data), "sig-1") {
			t.Fatalf("%s carries the signature", r.Type)
		}
	}
}

// TestReasoningOnlyAtLengthLimitContinues: an answer whose tokens all went
// to reasoning and that hit the length limit is complete with finish
// reason "length"; Continue carries the reasoning on, the answer follows,
// and the usage is the sum of both parts.
func TestReasoningOnlyAtLengthLimitContinues(t *testing.T) {
	ctx := context.Background()
	e, s := scriptEnv(t,
		part{chunks: []llm.Chunk{{Reasoning: "Let"}, {Reasoning: " me"}}, res: llm.Result{FinishReason: "length", Usage: &llm.Usage{InputTokens: 20, OutputTokens: 2}}},
		part{chunks: []llm.Chunk{{Reasoning: " think."}, {Text: "42"}}, res: llm.Result{FinishReason: "stop", Usage: &llm.Usage{InputTokens: 22, OutputTokens: 2}}},
	)
	sess, _ := e.svc.CreateSession(ctx, NewSession{Model: "script/m"})
	sub := e.log.SubscribeLive()
	sent, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "think"})
	first, _ := e.waitEnd(t, sub, sent.Assistant.ID)
	if first.Status != store.StatusComplete || first.FinishReason != "length" || first.Content != "" || first.Reasoning != "Let me" {
		t.Fatalf("first part %+v", first)
	}
	if first.ReasoningMS == nil {
		t.Fatal("reasoning time not recorded when the answer ended inside the reasoning")
	}
	cont, err := e.svc.Continue(ctx, first.ID)
	if err != nil {
		t.Fatalf("continue a length-cut answer: %v", err)
	}
	if cont.FinishReason != "" {
		t.Errorf("a continuing answer keeps the old finish reason %q", cont.FinishReason)
	}
	final, recs := e.waitEnd(t, sub, first.ID)
	if final.Reasoning != "Let me think." || final.Content != "42" || final.FinishReason != "stop" {
		t.Fatalf("final %+v", final)
	}
	if reasoningText(t, recs, 2) != " think." {
		t.Fatal("continued reasoning events do not number on")
	}
	if final.Usage.InputTokens != 42 || final.Usage.OutputTokens != 4 {
		t.Fatalf("usage %+v; want the total of both parts", final.Usage)
	}
	req := s.requests()[1]
	if req.Prefix != "" || req.PrefixReasoning != "Let me" {
		t.Fatalf("continuation asked with prefix %q reasoning %q", req.Prefix, req.PrefixReasoning)
	}
	// A complete answer that was not cut cannot be continued.
	if _, err := e.svc.Continue(ctx, final.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("continue a finished answer: %v", err)
	}
}

func TestEndingsKeepUsageAndKind(t *testing.T) {
	ctx := context.Background()
	newTurn := &llm.Error{Provider: "script", Kind: llm.KindNewTurn, Message: "the server started a new answer instead of continuing this one", Err: llm.ErrNewTurn}
	cases := []struct {
		name       string
		part       part
		wantStatus store.Status
		wantKind   string
		wantFinish string
		wantUsage  int
	}{
		{"failed after usage", part{chunks: []llm.Chunk{{Text: "Half"}}, res: llm.Result{Usage: &llm.Usage{InputTokens: 5, OutputTokens: 1}},
			err: &llm.Error{Provider: "script", Kind: llm.KindTruncated, Message: "stream ended", Err: llm.ErrTruncated}}, store.StatusFailed, "truncated", "", 1},
		{"content filter", part{chunks: []llm.Chunk{{Text: "I can"}}, res: llm.Result{FinishReason: "content_filter", Usage: &llm.Usage{InputTokens: 5, OutputTokens: 2}}},
			store.StatusComplete, "", "content_filter", 2},
		{"tool calls", part{res: llm.Result{FinishReason: "tool_calls"}}, store.StatusComplete, "", "tool_calls", 0},
		{"new turn", part{err: newTurn}, store.StatusFailed, "new_turn", "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := scriptEnv(t, tc.part)
			sess, _ := e.svc.CreateSession(ctx, NewSession{Model: "script/m"})
			sub := e.log.SubscribeLive()
			sent, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "go"})
			final, _ := e.waitEnd(t, sub, sent.Assistant.ID)
			if final.Status != tc.wantStatus || final.ErrorKind != tc.wantKind || final.FinishReason != tc.wantFinish {
				t.Fatalf("final %s kind %q finish %q; want %s %q %q", final.Status, final.ErrorKind, final.FinishReason, tc.wantStatus, tc.wantKind, tc.wantFinish)
			}
			got := 0
			if final.Usage != nil {
				got = final.Usage.OutputTokens
			}
			if got != tc.wantUsage {
				t.Fatalf("usage %+v; want %d output tokens", final.Usage, tc.wantUsage)
			}
		})
	}
}

func TestNewTurnKeepsTheEarlierText(t *testing.T) {
	ctx := context.Background()
	newTurn := &llm.Error{Provider: "script", Kind: llm.KindNewTurn, Message: "the server started a new answer instead of continuing this one", Err: llm.ErrNewTurn}
	e, _ := scriptEnv(t,
		part{chunks: []llm.Chunk{{Text: "Paris is the capital"}}, err: &llm.Error{Provider: "script", Kind: llm.KindTransient, Message: "connection reset"}},
		part{err: newTurn},
	)
	sess, _ := e.svc.CreateSession(ctx, NewSession{Model: "script/m"})
	sub := e.log.SubscribeLive()
	sent, _ := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: "capital?"})
	first, _ := e.waitEnd(t, sub, sent.Assistant.ID)
	if _, err := e.svc.Continue(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	final, _ := e.waitEnd(t, sub, first.ID)
	if final.Status != store.StatusFailed || final.ErrorKind != "new_turn" || final.Content != "Paris is the capital" || final.Chunks != 1 {
		t.Fatalf("final %+v", final)
	}
	if !strings.Contains(final.Error, "new answer") {
		t.Fatalf("error %q", final.Error)
	}
}

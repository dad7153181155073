package llm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func collect(t *testing.T, p Provider, req Request) (string, Result, error) {
	t.Helper()
	var b strings.Builder
	res, err := p.Stream(context.Background(), req, func(c Chunk) error {
		b.WriteString(c.Text)
		return nil
	})
	return b.String(), res, err
}

func TestDemoIsDeterministicAndContinues(t *testing.T) {
	d := &Demo{TokensPerSecond: 100000}
	prompts := []string{"hello", "What is SSE?", "你好，世界 🌍", "", "/echo <b>exact</b> text\n\n```\ncode\n```"}
	for _, prompt := range prompts {
		req := Request{Model: "demo", Messages: []Message{{Role: "user", Content: prompt}}}
		full, res, err := collect(t, d, req)
		if err != nil {
			t.Fatalf("%q: %v", prompt, err)
		}
		if full != DemoAnswer(prompt) || res.FinishReason != "stop" || res.Usage == nil || res.Usage.OutputTokens == 0 {
			t.Fatalf("%q: answer/result mismatch: %q %+v", prompt, full, res)
		}
		if again, _, _ := collect(t, d, req); again != full {
			t.Fatalf("%q: not deterministic", prompt)
		}
		if rest, ok := strings.CutPrefix(prompt, EchoPrefix); ok && full != rest {
			t.Fatalf("echo: got %q want %q", full, rest)
		}
		if !strings.HasPrefix(prompt, EchoPrefix) && !strings.Contains(full, "```") {
			t.Fatalf("%q: demo answer has no code block", prompt)
		}
		// Continuing from any prefix (token or rune boundary) gives the same text.
		for _, cut := range []int{0, 1, len(full) / 3, len(full) / 2, len(full) - 1, len(full)} {
			for cut > 0 && cut < len(full) && full[cut]&0xC0 == 0x80 {
				cut--
			}
			req.Prefix = full[:cut]
			rest, _, err := collect(t, d, req)
			if err != nil || req.Prefix+rest != full {
				t.Fatalf("%q continue at %d: %q + %q != full (%v)", prompt, cut, req.Prefix, rest, err)
			}
		}
	}
}

func TestDemoStopsOnCancelAndEmitError(t *testing.T) {
	d := &Demo{TokensPerSecond: 5}
	ctx, cancel := context.WithCancel(context.Background())
	got := 0
	streaming := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := d.Stream(ctx, Request{Messages: []Message{{Role: "user", Content: "hi"}}}, func(Chunk) error {
			if got++; got == 1 {
				close(streaming)
			}
			return nil
		})
		done <- err
	}()
	// Cancel mid-answer: after the first token, with more to come.
	select {
	case <-streaming:
	case <-time.After(5 * time.Second):
		t.Fatal("demo sent no token")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v; want context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("demo did not stop on cancel")
	}
	stop := errors.New("stop")
	_, err := (&Demo{TokensPerSecond: 1e6}).Stream(context.Background(), Request{}, func(Chunk) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("emit error not returned: %v", err)
	}
}

func TestTokenizeJoinsBack(t *testing.T) {
	for _, s := range []string{"", "a", "hello world  ", "averyveryverylongwordwithoutspaces", "中文字符和emoji 🎉\n\nnext", "\n\n\n"} {
		toks := Tokenize(s)
		if strings.Join(toks, "") != s {
			t.Fatalf("Tokenize(%q) = %q", s, toks)
		}
		for _, tok := range toks {
			if tok == "" {
				t.Fatalf("Tokenize(%q) has an empty token", s)
			}
		}
	}
}

// TestDemoNeverRunsAheadOfItsRate: pacing is by the clock, so the demo
// never emits more tokens than are due at its rate.
func TestDemoNeverRunsAheadOfItsRate(t *testing.T) {
	text := strings.Repeat("word ", 300)
	d := &Demo{TokensPerSecond: 1000}
	tokens := 0
	start := time.Now()
	_, err := d.Stream(context.Background(), Request{Messages: []Message{{Role: "user", Content: EchoPrefix + text}}}, func(c Chunk) error {
		tokens += len(Tokenize(c.Text))
		if due := int(time.Since(start).Seconds()*1000) + 1; tokens > due {
			t.Fatalf("%d tokens emitted but only %d due", tokens, due)
		}
		return nil
	})
	if err != nil || tokens != 300 {
		t.Fatalf("tokens %d, %v", tokens, err)
	}
}

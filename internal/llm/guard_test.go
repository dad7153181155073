package llm

import (
	"errors"
	"strings"
	"testing"
)

// guardRun feeds chunks through a guard and returns what it let through.
func guardRun(req Request, chunks []Chunk) (text, reasoning string, err error) {
	var tb, rb strings.Builder
	g := newContinuationGuard("p", req, func(c Chunk) error {
		tb.WriteString(c.Text)
		rb.WriteString(c.Reasoning)
		return nil
	})
	for _, c := range chunks {
		if err := g.feed(c); err != nil {
			return tb.String(), rb.String(), err
		}
	}
	err = g.flush()
	return tb.String(), rb.String(), err
}

func textChunks(parts ...string) []Chunk {
	out := make([]Chunk, len(parts))
	for i, p := range parts {
		out[i] = Chunk{Text: p}
	}
	return out
}

func TestEchoGuardText(t *testing.T) {
	tests := []struct {
		name    string
		prefix  string
		says    string // split at every byte in turn
		want    string // what reaches the answer after the prefix
		newTurn bool
	}{
		{"whole prefix repeated (llama.cpp prefill)", "Hello, world", "Hello, world! This is a tiny model.", "! This is a tiny model.", false},
		{"trimmed prefix repeated (Anthropic prefill is sent trimmed)", "Once upon a time ", "Once upon a time there was a fox.", "there was a fox.", false},
		{"trimmed prefix repeated, then other whitespace", "Once upon a time\n", "Once upon a time there was a fox.", " there was a fox.", false},
		{"repeat after leading whitespace", "\n\nDear reader,", "\n\nDear reader, hello.", " hello.", false},
		{"no repeat", "Hello, world", "! This is a tiny model.", "! This is a tiny model.", false},
		{"chance overlap of a few characters is not eaten", "The answer is 4", "Then again, 2.", "Then again, 2.", false},
		{"a continuation that is a short prefix of the prefix is kept", "The answer is 42", "The", "The", false},
		{"prefix repeated as the whole answer", "Done.", "Done.", "", false},
		{"new answer that begins like the old one", "Paris is the capital of France, and", "Paris is the capital of France.", "", true},
		{"echo cut short by the end of the stream is dropped", "Paris is the capital of France, and it is", "Paris is the capital of", "", false},
		{"multibyte prefix", "日本語の答え", "日本語の答えです。", "です。", false},
		{"after the echo it begins the answer again", "Paris is the capital of France, and", "Paris is the capital of France, andParis is the capital of France.", "", true},
		{"after the echo, a word shared with the beginning by chance passes", "Paris is the capital of France, and", "Paris is the capital of France, and Paris is lovely.", " Paris is lovely.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			splits := [][]string{{tt.says}}
			for i := 1; i < len(tt.says); i++ {
				splits = append(splits, []string{tt.says[:i], tt.says[i:]})
			}
			for _, parts := range splits {
				got, _, err := guardRun(Request{Prefix: tt.prefix}, textChunks(parts...))
				if tt.newTurn {
					if !errors.Is(err, ErrNewTurn) || KindOf(err) != KindNewTurn {
						t.Fatalf("parts %q: err %v, want ErrNewTurn", parts, err)
					}
					if got != "" {
						t.Fatalf("parts %q: %q was let through before the new turn was seen", parts, got)
					}
					continue
				}
				if err != nil {
					t.Fatalf("parts %q: %v", parts, err)
				}
				if got != tt.want {
					t.Fatalf("parts %q: let through %q, want %q", parts, got, tt.want)
				}
			}
		})
	}
}

func TestEchoGuardReasoning(t *testing.T) {
	tests := []struct {
		name          string
		req           Request
		chunks        []Chunk
		wantText      string
		wantReasoning string
		newTurn       bool
	}{
		{
			name:          "interrupted while reasoning: the reasoning echo is dropped (llama.cpp)",
			req:           Request{PrefixReasoning: "Let me"},
			chunks:        []Chunk{{Reasoning: "Let me think"}, {Reasoning: ".\n"}, {Text: "The answer"}, {Text: " is 42."}},
			wantReasoning: " think.\n", wantText: "The answer is 42.",
		},
		{
			name:          "interrupted while reasoning, no echo",
			req:           Request{PrefixReasoning: "Let me"},
			chunks:        []Chunk{{Reasoning: " think"}, {Text: "42"}},
			wantReasoning: " think", wantText: "42",
		},
		{
			name:     "continuing the text: the earlier reasoning repeated is dropped (llama.cpp)",
			req:      Request{Prefix: "The answer", PrefixReasoning: "Let me think.\n"},
			chunks:   []Chunk{{Reasoning: "Let me think.\n\n"}, {Text: "The answer is"}, {Text: " 42."}},
			wantText: " is 42.",
		},
		{
			name:    "continuing the text, the model reasons afresh: a new turn",
			req:     Request{Prefix: "The answer", PrefixReasoning: "Let me think.\n"},
			chunks:  []Chunk{{Reasoning: "Hmm, the user wants"}, {Text: "The answer is 42."}},
			newTurn: true,
		},
		{
			name:    "continuing text without earlier reasoning, the model opens with reasoning: a new turn",
			req:     Request{Prefix: "The answer"},
			chunks:  []Chunk{{Reasoning: "Okay"}},
			newTurn: true,
		},
		{
			// Seen against the real llama.cpp server (b10587) with its tiny
			// reasoning model: a prefill ending on "42" (tokenized apart
			// from the " 42" it generates) restarts its chain, whose first
			// words are the reasoning, streamed as content.
			name:    "after the echo the model starts over with its reasoning as text: a new turn",
			req:     Request{Prefix: "The answer is 42", PrefixReasoning: "Let me think.\n"},
			chunks:  []Chunk{{Text: "The answer is 42Let"}, {Text: " me"}, {Text: " think"}, {Text: ".\n"}},
			newTurn: true,
		},
		{
			name:     "after the echo a short overlap with the reasoning's beginning passes",
			req:      Request{Prefix: "The answer is", PrefixReasoning: "Let me think.\n"},
			chunks:   []Chunk{{Text: "The answer is"}, {Text: " Let"}, {Text: "'s say 42."}},
			wantText: " Let's say 42.",
		},
		{
			name:          "not a continuation: everything passes",
			req:           Request{},
			chunks:        []Chunk{{Reasoning: "a"}, {Text: "b"}},
			wantReasoning: "a", wantText: "b",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, reasoning, err := guardRun(tt.req, tt.chunks)
			if tt.newTurn {
				if !errors.Is(err, ErrNewTurn) {
					t.Fatalf("err %v, want ErrNewTurn", err)
				}
				if text != "" || reasoning != "" {
					t.Fatalf("let through %q / %q before the new turn was seen", text, reasoning)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if text != tt.wantText || reasoning != tt.wantReasoning {
				t.Fatalf("text %q reasoning %q; want %q and %q", text, reasoning, tt.wantText, tt.wantReasoning)
			}
		})
	}
}

func TestEchoGuardKeepsSignatures(t *testing.T) {
	var got []Chunk
	g := newContinuationGuard("p", Request{Prefix: "Hi"}, func(c Chunk) error { got = append(got, c); return nil })
	for _, c := range []Chunk{{Text: "H"}, {Signature: "sig", Signed: true}, {Text: "i there"}} {
		if err := g.feed(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.flush(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Text != " there" || !got[1].Signed || got[1].Signature != "sig" {
		t.Fatalf("got %+v", got)
	}
}

package llm

import (
	"strings"
	"testing"
)

// runSplitter feeds pieces and returns the reasoning and text it yields,
// checking that chunks never mix the two.
func runSplitter(t *testing.T, s *thinkSplitter, pieces []string) (reasoning, text string) {
	t.Helper()
	var r, x strings.Builder
	take := func(cs []Chunk) {
		for _, c := range cs {
			if c.Text != "" && c.Reasoning != "" {
				t.Fatalf("chunk mixes text and reasoning: %+v", c)
			}
			r.WriteString(c.Reasoning)
			x.WriteString(c.Text)
		}
	}
	for _, p := range pieces {
		take(s.feed(p))
	}
	take(s.flush())
	return r.String(), x.String()
}

func TestThinkSplitter(t *testing.T) {
	tests := []struct {
		name          string
		inReasoning   bool
		content       string
		wantReasoning string
		wantText      string
	}{
		{"no tags", false, "Just an answer.", "", "Just an answer."},
		{"think then answer", false, "<think>\nLet me think.\n</think>\n\nThe answer is 42.", "Let me think.", "The answer is 42."},
		{"leading whitespace before the tag", false, "\n\n<think>hm</think>ok", "hm", "ok"},
		{"no end tag: all reasoning", false, "<think>\nStill thinking when the stream ended", "Still thinking when the stream ended", ""},
		{"tag later in the answer stays text", false, "Use a <think> tag like <think>this</think>.", "", "Use a <think> tag like <think>this</think>."},
		{"empty reasoning", false, "<think></think>\nAnswer", "", "Answer"},
		{"almost a tag", false, "<thinking is hard>", "", "<thinking is hard>"},
		{"only whitespace", false, " \n ", "", ""},
		{"continuing inside the reasoning", true, " more thought.\n</think>\n\nDone.", " more thought.", "Done."},
		{"continuing, reasoning never ends", true, " and more", " and more", ""},
		{"answer mentions the close tag later", false, "<think>a</think>b </think> c", "a", "b </think> c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Whole, and split at every byte: tags split across chunks
			// must come out the same.
			splits := [][]string{{tt.content}}
			for i := 1; i < len(tt.content); i++ {
				splits = append(splits, []string{tt.content[:i], tt.content[i:]})
			}
			splits = append(splits, strings.Split(tt.content, ""))
			for _, pieces := range splits {
				r, x := runSplitter(t, newThinkSplitter(tt.inReasoning), pieces)
				if r != tt.wantReasoning || x != tt.wantText {
					t.Fatalf("pieces %q: reasoning %q text %q; want %q and %q", pieces, r, x, tt.wantReasoning, tt.wantText)
				}
			}
		})
	}
}

func TestThinkSplitterServerSeparates(t *testing.T) {
	// A server that sends reasoning in its own field and then the answer
	// as content: the content is text even when the splitter began inside
	// the reasoning (a continuation asked for inline).
	s := newThinkSplitter(true)
	s.serverSeparates()
	if r, x := runSplitter(t, s, []string{"The answer", " is 42."}); r != "" || x != "The answer is 42." {
		t.Fatalf("reasoning %q text %q", r, x)
	}
	// But a <think> that the content itself opened stays open.
	s = newThinkSplitter(false)
	out := s.feed("<think>a")
	s.serverSeparates()
	out = append(out, s.feed("b</think>c")...)
	out = append(out, s.flush()...)
	var r, x strings.Builder
	for _, c := range out {
		r.WriteString(c.Reasoning)
		x.WriteString(c.Text)
	}
	if r.String() != "ab" || x.String() != "c" {
		t.Fatalf("reasoning %q text %q", r.String(), x.String())
	}
}

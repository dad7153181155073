package llm

import (
	"strings"
	"unicode"
)

// Inline reasoning tags. Some servers (Ollama and LM Studio with older
// templates, llama.cpp with --reasoning-format none, vLLM without a
// reasoning parser) leave a reasoning model's thinking in the answer's
// content as <think>…</think>.
const (
	thinkOpen  = "<think>"
	thinkClose = "</think>"
)

// thinkSplitter separates inline reasoning from answer text in a stream of
// content pieces. A <think> tag counts only when it opens the answer (after
// optional whitespace): a model that writes about the tag later in its
// answer is not cut up. Tags split across pieces are held back until they
// are complete. Reasoning ends at </think> or, without one, at the end of
// the stream (everything after <think> is then reasoning). Whitespace right
// after <think>, before </think> and right after </think> is dropped: the
// templates put newlines there.
type thinkSplitter struct {
	state   thinkState
	pending string // held back: leading whitespace, a partial tag, trailing whitespace of reasoning
	tagged  bool   // the reasoning was opened by a <think> in the content
	lead    bool   // right after <think>: leading whitespace is dropped
}

type thinkState int

const (
	thinkStart     thinkState = iota // nothing but whitespace so far
	thinkReasoning                   // inside <think>…
	thinkAfter                       // after </think>, before the answer's first visible character
	thinkText                        // plain answer text
)

// newThinkSplitter starts at the beginning of an answer, or inside the
// reasoning when inReasoning is set (a continuation of an answer that was
// interrupted while it reasoned: the prompt already opened <think>).
func newThinkSplitter(inReasoning bool) *thinkSplitter {
	if inReasoning {
		return &thinkSplitter{state: thinkReasoning}
	}
	return &thinkSplitter{}
}

// feed takes the next content piece and returns the chunks it yields, in
// order.
func (s *thinkSplitter) feed(text string) []Chunk {
	var out []Chunk
	add := func(c Chunk) {
		if !c.empty() {
			out = append(out, c)
		}
	}
	s.pending += text
	for s.pending != "" {
		switch s.state {
		case thinkText:
			add(Chunk{Text: s.pending})
			s.pending = ""
		case thinkStart:
			t := strings.TrimLeftFunc(s.pending, unicode.IsSpace)
			switch {
			case t == "" || (strings.HasPrefix(thinkOpen, t) && t != thinkOpen):
				return out // wait: whitespace only, or a tag still arriving
			case strings.HasPrefix(t, thinkOpen):
				s.state, s.tagged, s.lead = thinkReasoning, true, true
				s.pending = t[len(thinkOpen):]
			default:
				s.state = thinkText
			}
		case thinkReasoning:
			if s.lead {
				s.pending = strings.TrimLeftFunc(s.pending, unicode.IsSpace)
				if s.pending == "" {
					return out
				}
				s.lead = false
			}
			if i := strings.Index(s.pending, thinkClose); i >= 0 {
				add(Chunk{Reasoning: strings.TrimRightFunc(s.pending[:i], unicode.IsSpace)})
				s.pending = s.pending[i+len(thinkClose):]
				s.state = thinkAfter
				continue
			}
			keep := heldTail(s.pending)
			add(Chunk{Reasoning: s.pending[:len(s.pending)-keep]})
			s.pending = s.pending[len(s.pending)-keep:]
			return out
		case thinkAfter:
			t := strings.TrimLeftFunc(s.pending, unicode.IsSpace)
			if t == "" {
				s.pending = ""
				return out
			}
			s.state = thinkText
			s.pending = t
		}
	}
	return out
}

// serverSeparates is called when the server sends reasoning in its own
// field: it parses reasoning itself, so content is answer text unless a
// <think> tag in the content already opened reasoning.
func (s *thinkSplitter) serverSeparates() {
	if s.state == thinkStart || (s.state == thinkReasoning && !s.tagged) {
		s.state = thinkText
	}
}

// flush returns what is still held when the stream ends.
func (s *thinkSplitter) flush() []Chunk {
	p := s.pending
	s.pending = ""
	switch s.state {
	case thinkStart:
		if strings.TrimSpace(p) == "" {
			return nil
		}
		return []Chunk{{Text: p}}
	case thinkReasoning:
		if p = strings.TrimRightFunc(p, unicode.IsSpace); p != "" {
			return []Chunk{{Reasoning: p}}
		}
	}
	return nil
}

// heldTail is how many bytes at the end of reasoning text to hold back:
// trailing whitespace (dropped if </think> follows) and a partial
// "</think>".
func heldTail(s string) int {
	n := 0
	for k := min(len(thinkClose)-1, len(s)); k > 0; k-- {
		if strings.HasSuffix(s, thinkClose[:k]) {
			n = k
			break
		}
	}
	rest := s[:len(s)-n]
	trimmed := strings.TrimRightFunc(rest, unicode.IsSpace)
	return len(s) - len(trimmed)
}

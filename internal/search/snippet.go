package search

import (
	"strings"
	"unicode/utf8"
)

// SnippetRunes is about how long a snippet is.
const SnippetRunes = 160

// Segment is a piece of text; Match marks what was searched for. Segments
// are plain text: a UI shows Match ones in <mark> as text, never as HTML.
type Segment struct {
	Text  string `json:"text"`
	Match bool   `json:"match,omitempty"`
}

// span is a byte range of a text.
type span struct{ from, to int }

// matches finds every occurrence of every term in text, case-insensitive
// (Unicode simple folding), as sorted, non-overlapping byte ranges.
func matches(text string, terms []string) []span {
	var out []span
	for i := 0; i < len(text); {
		best := 0
		for _, t := range terms {
			if n := prefixFold(text[i:], t); n > best {
				best = n
			}
		}
		if best > 0 {
			out = append(out, span{i, i + best})
			i += best
			continue
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
	}
	return out
}

// prefixFold reports how many bytes of s match term case-insensitively
// at its start (0: no match).
func prefixFold(s, term string) int {
	i := 0
	for _, tr := range term {
		if i >= len(s) {
			return 0
		}
		sr, size := utf8.DecodeRuneInString(s[i:])
		if sr != tr && !strings.EqualFold(string(sr), string(tr)) {
			return 0
		}
		i += size
	}
	return i
}

// Highlight splits all of text into segments, matches marked.
func Highlight(text string, terms []string) []Segment {
	return segments(text, matches(text, terms), 0, len(text))
}

// Snippet is about width characters of text around its first match, cut
// at word boundaries where it can be, "…" where it was cut, every match
// in it marked. White space runs (newlines too) become one space.
func Snippet(text string, terms []string, width int) []Segment {
	text = strings.Join(strings.Fields(text), " ")
	ms := matches(text, terms)
	first := 0
	if len(ms) > 0 {
		first = ms[0].from
	}
	// Start about a third of the width before the first match.
	start := first
	for back := width / 3; back > 0 && start > 0; back-- {
		_, size := utf8.DecodeLastRuneInString(text[:start])
		start -= size
	}
	if start > 0 {
		if sp := strings.IndexByte(text[start:first], ' '); sp >= 0 {
			start += sp + 1
		}
	}
	end := start
	for n := 0; n < width && end < len(text); n++ {
		_, size := utf8.DecodeRuneInString(text[end:])
		end += size
	}
	if end < len(text) {
		if sp := strings.LastIndexByte(text[start:end], ' '); sp > (end-start)/2 {
			end = start + sp
		}
	}
	// A match cut by the window is cut with it.
	var inside []span
	for _, m := range ms {
		if m.to <= start || m.from >= end {
			continue
		}
		inside = append(inside, span{max(m.from, start), min(m.to, end)})
	}
	segs := segments(text, inside, start, end)
	if start > 0 {
		segs = append([]Segment{{Text: "…"}}, segs...)
	}
	if end < len(text) {
		segs = append(segs, Segment{Text: "…"})
	}
	return mergePlain(segs)
}

// segments cuts text[from:to] at the spans (inside it, sorted).
func segments(text string, spans []span, from, to int) []Segment {
	out := []Segment{}
	at := from
	for _, m := range spans {
		if m.from > at {
			out = append(out, Segment{Text: text[at:m.from]})
		}
		out = append(out, Segment{Text: text[m.from:m.to], Match: true})
		at = m.to
	}
	if at < to {
		out = append(out, Segment{Text: text[at:to]})
	}
	return out
}

// mergePlain joins neighbouring unmarked segments.
func mergePlain(segs []Segment) []Segment {
	out := segs[:0]
	for _, s := range segs {
		if n := len(out); n > 0 && !s.Match && !out[n-1].Match {
			out[n-1].Text += s.Text
			continue
		}
		out = append(out, s)
	}
	return out
}

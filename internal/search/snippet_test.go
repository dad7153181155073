package search

import (
	"strings"
	"testing"
)

// render shows segments as text with [marks].
func render(segs []Segment) string {
	var b strings.Builder
	for _, s := range segs {
		if s.Match {
			b.WriteString("[" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("lorem ipsum ", 40)
	cases := []struct {
		name  string
		text  string
		terms []string
		width int
		want  string
	}{
		{"short text, every match", "Durable streams are durable.", []string{"durable"}, 160, "[Durable] streams are [durable]."},
		{"two terms", "a quick brown fox", []string{"quick", "fox"}, 160, "a [quick] brown [fox]"},
		{"the longer term wins where both start", "streaming streams", []string{"stream", "streaming"}, 160, "[streaming] [stream]s"},
		{"Chinese", "数据库的心跳检测是什么？", []string{"心跳"}, 160, "数据库的[心跳]检测是什么？"},
		{"Unicode case folding", "ÉCOLE école", []string{"école"}, 160, "[ÉCOLE] [école]"},
		{"white space runs become one space", "one\n\n  two\tthree", []string{"two"}, 160, "one [two] three"},
		{"no match: the start", "nothing here", []string{"zzz"}, 160, "nothing here"},
		{"cut around a match deep in the text", long + "needle " + long, []string{"needle"}, 40,
			"…lorem ipsum [needle] lorem ipsum lorem…"},
		{"markup stays text", "<script>alert(1)</script> needle", []string{"needle"}, 160, "<script>alert(1)</script> [needle]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := render(Snippet(tc.text, tc.terms, tc.width)); got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	// Segments cover exactly the snippet: no empty pieces, plain ones merged.
	segs := Snippet(long+"needle "+long, []string{"needle", "ipsum"}, 60)
	for i, s := range segs {
		if s.Text == "" || (i > 0 && !s.Match && !segs[i-1].Match) {
			t.Fatalf("segment %d %+v in %+v", i, s, segs)
		}
	}
}

func TestHighlight(t *testing.T) {
	if got := render(Highlight("Notes on Go and go", []string{"go"})); got != "Notes on [Go] and [go]" {
		t.Fatal(got)
	}
	if got := Highlight("", []string{"x"}); len(got) != 0 {
		t.Fatalf("empty title: %+v", got)
	}
}

func TestCursor(t *testing.T) {
	if n, err := parseCursor(formatCursor(12345)); err != nil || n != 12345 {
		t.Fatalf("round trip: %d, %v", n, err)
	}
	for _, bad := range []string{"", "x", "bTA", "bS0x", "eDEy"} {
		if _, err := parseCursor(bad); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}

package importer

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// result is everything one pass over a source produced.
type result struct {
	convs   []Conversation
	skipped []*SkippedError
	fatal   error
}

func readBytes(t *testing.T, data []byte, opts Options) (*Source, result) {
	t.Helper()
	src, err := OpenReaderAt(bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return src, collect(t, src)
}

func collect(t *testing.T, src *Source) result {
	t.Helper()
	var r result
	for c, err := range src.Conversations(context.Background()) {
		var s *SkippedError
		switch {
		case err == nil:
			checkTree(t, c)
			r.convs = append(r.convs, c)
		case asSkipped(err, &s):
			if c.SourceID != s.SourceID || c.Title != s.Title {
				t.Errorf("skipped conversation yielded as %q/%q, error says %q/%q", c.SourceID, c.Title, s.SourceID, s.Title)
			}
			r.skipped = append(r.skipped, s)
		default:
			if r.fatal != nil {
				t.Errorf("a second error after the fatal one: %v", err)
			}
			r.fatal = err
		}
	}
	return r
}

func asSkipped(err error, s **SkippedError) bool {
	v, ok := err.(*SkippedError)
	if ok {
		*s = v
	}
	return ok
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// zipOf builds a zip from name/content pairs, in order.
func zipOf(t testing.TB, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := 0; i+1 < len(files); i += 2 {
		f, err := w.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(f, files[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func unix(sec float64) time.Time {
	return epochTime(sec)
}

func iso(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// checkTree asserts what finish promises for every yielded conversation:
// unique ids, parents before children (so no cycles), a current leaf that
// exists, times filled in where any time was known.
func checkTree(t testing.TB, c Conversation) {
	t.Helper()
	if c.SourceID == "" {
		t.Errorf("conversation without a SourceID: %q", c.Title)
	}
	if len(c.Messages) == 0 {
		t.Errorf("conversation %q yielded without messages", c.SourceID)
		return
	}
	seen := map[string]bool{}
	for i, m := range c.Messages {
		if m.SourceID == "" {
			t.Errorf("%s: message %d has no id", c.SourceID, i)
		}
		if seen[m.SourceID] {
			t.Errorf("%s: message id %q repeats", c.SourceID, m.SourceID)
		}
		if m.ParentID != "" && !seen[m.ParentID] {
			t.Errorf("%s: message %q comes before its parent %q (or the parent is missing)", c.SourceID, m.SourceID, m.ParentID)
		}
		switch m.Role {
		case RoleUser, RoleAssistant, RoleSystem, RoleTool:
		default:
			t.Errorf("%s: message %q has role %q", c.SourceID, m.SourceID, m.Role)
		}
		if !c.CreatedAt.IsZero() && m.CreatedAt.IsZero() {
			t.Errorf("%s: message %q has no time though the conversation has one", c.SourceID, m.SourceID)
		}
		seen[m.SourceID] = true
	}
	if !seen[c.CurrentLeafID] {
		t.Errorf("%s: current leaf %q is not a message", c.SourceID, c.CurrentLeafID)
	}
	if c.UpdatedAt.Before(c.CreatedAt) {
		t.Errorf("%s: updated %v before created %v", c.SourceID, c.UpdatedAt, c.CreatedAt)
	}
}

// diffConversation lists every field where got differs from want.
// Attachment data is compared by reading it: want.Data holds the bytes
// expected from Open (nil: no data).
func diffConversation(got, want Conversation) []string {
	var d []string
	add := func(field string, g, w any) {
		if !reflect.DeepEqual(g, w) {
			d = append(d, fmt.Sprintf("%s:\n\tgot  %#v\n\twant %#v", field, g, w))
		}
	}
	add("Source", got.Source, want.Source)
	add("SourceID", got.SourceID, want.SourceID)
	add("Title", got.Title, want.Title)
	add("CreatedAt", got.CreatedAt, want.CreatedAt)
	add("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	add("Model", got.Model, want.Model)
	add("SystemPrompt", got.SystemPrompt, want.SystemPrompt)
	add("CurrentLeafID", got.CurrentLeafID, want.CurrentLeafID)
	add("Warnings", nilIfEmpty(got.Warnings), nilIfEmpty(want.Warnings))
	if len(got.Messages) != len(want.Messages) {
		d = append(d, fmt.Sprintf("len(Messages): got %d %v, want %d %v", len(got.Messages), ids(got.Messages), len(want.Messages), ids(want.Messages)))
		return d
	}
	for i := range want.Messages {
		g, w := got.Messages[i], want.Messages[i]
		p := fmt.Sprintf("Messages[%d](%s).", i, w.SourceID)
		add(p+"SourceID", g.SourceID, w.SourceID)
		add(p+"ParentID", g.ParentID, w.ParentID)
		add(p+"Role", g.Role, w.Role)
		add(p+"Name", g.Name, w.Name)
		add(p+"Content", g.Content, w.Content)
		add(p+"Reasoning", g.Reasoning, w.Reasoning)
		add(p+"Model", g.Model, w.Model)
		add(p+"CreatedAt", g.CreatedAt, w.CreatedAt)
		add(p+"Error", g.Error, w.Error)
		add(p+"ToolCalls", nilIfEmpty(g.ToolCalls), nilIfEmpty(w.ToolCalls))
		if len(g.Attachments) != len(w.Attachments) {
			d = append(d, fmt.Sprintf("%slen(Attachments): got %d %+v, want %d", p, len(g.Attachments), g.Attachments, len(w.Attachments)))
			continue
		}
		for k := range w.Attachments {
			ga, wa := g.Attachments[k], w.Attachments[k]
			q := fmt.Sprintf("%sAttachments[%d].", p, k)
			add(q+"Name", ga.Name, wa.Name)
			add(q+"MIME", ga.MIME, wa.MIME)
			add(q+"Size", ga.Size, wa.Size)
			add(q+"SourceID", ga.SourceID, wa.SourceID)
			add(q+"SourcePath", ga.SourcePath, wa.SourcePath)
			add(q+"Text", ga.Text, wa.Text)
			add(q+"HasData", ga.HasData(), wa.Data != nil)
			if wa.Data != nil && ga.HasData() {
				rc, err := ga.Open()
				if err != nil {
					d = append(d, q+"Open: "+err.Error())
					continue
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					d = append(d, q+"read: "+err.Error())
				}
				add(q+"Data", string(b), string(wa.Data))
			}
		}
	}
	return d
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func ids(ms []Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.SourceID
	}
	return out
}

// checkConversations compares a pass over a source with the expected
// conversations and skips, in order.
func checkConversations(t *testing.T, got result, want []Conversation, wantSkipped []SkippedError) {
	t.Helper()
	if got.fatal != nil {
		t.Fatalf("fatal error: %v", got.fatal)
	}
	if len(got.convs) != len(want) {
		var titles []string
		for _, c := range got.convs {
			titles = append(titles, c.Title)
		}
		t.Fatalf("got %d conversations %q, want %d", len(got.convs), titles, len(want))
	}
	for i := range want {
		t.Run(want[i].SourceID, func(t *testing.T) {
			if d := diffConversation(got.convs[i], want[i]); len(d) > 0 {
				t.Errorf("conversation %q differs:\n%s", want[i].Title, strings.Join(d, "\n"))
			}
		})
	}
	if len(got.skipped) != len(wantSkipped) {
		t.Fatalf("got %d skipped %v, want %d", len(got.skipped), got.skipped, len(wantSkipped))
	}
	for i := range wantSkipped {
		if *got.skipped[i] != wantSkipped[i] {
			t.Errorf("skipped[%d]:\n\tgot  %#v\n\twant %#v", i, *got.skipped[i], wantSkipped[i])
		}
	}
}

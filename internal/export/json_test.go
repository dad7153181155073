package export

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// fillAll sets every field of the struct v points to to a distinct
// non-zero value, recursing into pointers to structs. A field added to
// store.Session or store.Message later is filled too, so a writer that
// forgets it fails the round trip.
func fillAll(t *testing.T, v reflect.Value, seed int) {
	t.Helper()
	v = v.Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		sf := v.Type().Field(i)
		name := sf.Name
		n := seed*100 + i + 1
		switch {
		case !sf.IsExported() || viewOnly[name]:
			// Not data: unexported bookkeeping, or filled by snapshot reads.
		case f.Type() == reflect.TypeOf(time.Time{}):
			// Nanoseconds and a non-UTC zone: both must survive.
			loc := time.FixedZone("X", 5*3600+30*60)
			f.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, n, loc)))
		case f.Type() == reflect.TypeOf(&time.Time{}):
			tm := time.Date(2026, 1, 2, 3, 4, 5, n, time.FixedZone("Y", -3*3600))
			f.Set(reflect.ValueOf(&tm))
		case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Int64:
			v := int64(n) * 1000
			f.Set(reflect.ValueOf(&v))
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Kind() == reflect.String:
			f.SetString(name + "-" + strings.Repeat("é", n%3+1) + "<&>\u2028")
		case f.Kind() == reflect.Int, f.Kind() == reflect.Int64:
			f.SetInt(int64(n))
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct:
			s := reflect.MakeSlice(f.Type(), 2, 2)
			for j := 0; j < 2; j++ {
				fillAll(t, s.Index(j).Addr(), n*10+j)
			}
			f.Set(s)
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Kind() == reflect.Struct && sf.Anonymous:
			fillAll(t, f.Addr(), n)
		case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Struct:
			p := reflect.New(f.Type().Elem())
			fillAll(t, p, n)
			f.Set(p)
		case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Float64:
			x := float64(n) / 7
			f.Set(reflect.ValueOf(&x))
		case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Int:
			x := n
			f.Set(reflect.ValueOf(&x))
		default:
			t.Fatalf("fillAll: field %s has kind %s; teach the test (and the exporter) about it", name, f.Kind())
		}
	}
}

// viewOnly fields are filled by reads for clients, never stored.
var viewOnly = map[string]bool{"Siblings": true, "SiblingIndex": true}

// sameChat compares chats field by field, with times compared as instants.
func sameChat(t *testing.T, got, want Chat) {
	t.Helper()
	norm := func(c Chat) Chat {
		c.Files, c.FilesDir, c.FilePaths = nil, "", nil // where files are is not part of a document
		c.Session.CreatedAt, c.Session.UpdatedAt = c.Session.CreatedAt.UTC(), c.Session.UpdatedAt.UTC()
		c.Session.LastActivityAt = c.Session.LastActivityAt.UTC()
		msgs := make([]store.Message, len(c.Messages))
		for i, m := range c.Messages {
			m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
			if m.ReasoningStartedAt != nil {
				t := m.ReasoningStartedAt.UTC()
				m.ReasoningStartedAt = &t
			}
			msgs[i] = m
		}
		c.Messages = msgs
		return c
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Errorf("round trip changed the chat:\n got %+v\nwant %+v", g, w)
	}
}

func TestJSONRoundTripEveryField(t *testing.T) {
	var c Chat
	fillAll(t, reflect.ValueOf(&c.Session), 1)
	for i := 0; i < 3; i++ {
		var m store.Message
		fillAll(t, reflect.ValueOf(&m), i+2)
		m.SessionID = c.Session.ID
		c.Messages = append(c.Messages, m)
	}
	c.Messages[1].Usage = nil // nil and present usage both survive
	// A tree: the second and third messages both answer the first, the
	// first shows the third, and the chat shows the path ending there.
	c.Messages[0].ParentID, c.Messages[0].Depth = "", 0
	c.Messages[1].ParentID, c.Messages[1].Depth, c.Messages[1].SelectedChildID = store.Ref(c.Messages[0].ID), 1, ""
	c.Messages[2].ParentID, c.Messages[2].Depth, c.Messages[2].SelectedChildID = store.Ref(c.Messages[0].ID), 1, ""
	c.Messages[0].SelectedChildID = c.Messages[2].ID
	c.Session.CurrentLeafID = store.Ref(c.Messages[2].ID)
	c.Session.Temperature = nil // null and set settings both survive
	for _, f := range []Format{JSON, JSONLines} {
		var buf bytes.Buffer
		if err := Write(&buf, f, c); err != nil {
			t.Fatal(err)
		}
		got, err := Decode(&buf)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		sameChat(t, got, c)
		if got.Messages[1].Usage != nil {
			t.Errorf("%s: nil usage came back as %+v", f, got.Messages[1].Usage)
		}
	}
}

func TestJSONRoundTripFixtures(t *testing.T) {
	for _, c := range []Chat{sampleChat(), hostileChat(), branchedChat(), {Session: store.Session{ID: "s_empty"}}} {
		var buf bytes.Buffer
		if err := Write(&buf, JSON, c); err != nil {
			t.Fatal(err)
		}
		got, err := Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if c.Messages == nil {
			c.Messages = []store.Message{}
		}
		sameChat(t, got, c)
	}
}

func TestDecodeRejectsBadInput(t *testing.T) {
	valid := func(edit func(string) string) string {
		var buf bytes.Buffer
		if err := Write(&buf, JSONLines, sampleChat()); err != nil {
			t.Fatal(err)
		}
		return edit(buf.String())
	}
	same := func(s string) string { return s }
	tests := []struct {
		name, in, wantErr string
	}{
		{"not JSON", "# Sorting in Go\n", "decode chat export"},
		{"empty", "", "EOF"},
		{"truncated", valid(same)[:200], "unexpected EOF"},
		{"other format", `{"format":"other","format_version":1,"session":{"id":"s"}}`, "not a Holdfast chat export"},
		{"no format", `{"session":{"id":"s"}}`, "not a Holdfast chat export"},
		{"newer version", valid(func(s string) string { return strings.Replace(s, `"format_version":2`, `"format_version":3`, 1) }),
			"format_version 3 is not supported"},
		{"version zero", valid(func(s string) string { return strings.Replace(s, `"format_version":2`, `"format_version":0`, 1) }),
			"format_version 0 is not supported"},
		{"parent not in the chat", valid(func(s string) string { return strings.Replace(s, `"parent_id":"m_01"`, `"parent_id":"m_99"`, 1) }),
			`follows "m_99", which is not an earlier message`},
		{"parent after its child", valid(func(s string) string { return strings.Replace(s, `"parent_id":"m_01"`, `"parent_id":"m_04"`, 1) }),
			`follows "m_04", which is not an earlier message`},
		{"selected child that is not a child", valid(func(s string) string {
			return strings.Replace(s, `"selected_child_id":null`, `"selected_child_id":"m_04"`, 1)
		}), `selects "m_04", which is not one of its answers`},
		{"leaf not in the chat", valid(func(s string) string {
			return strings.Replace(s, `"current_leaf_id":"m_04"`, `"current_leaf_id":"m_x"`, 1)
		}),
			`current_leaf_id "m_x" is not a message`},
		{"message twice", valid(func(s string) string { return strings.Replace(s, `"id":"m_03"`, `"id":"m_02"`, 1) }),
			"message m_02 appears twice"},
		{"no session id", valid(func(s string) string { return strings.Replace(s, `"id":"s_01"`, `"id":""`, 1) }),
			"session has no id"},
		{"message of another session", valid(func(s string) string { return strings.Replace(s, `"session_id":"s_01"`, `"session_id":"s_02"`, 1) }),
			`belongs to session "s_02"`},
		{"message without id", valid(func(s string) string { return strings.Replace(s, `"id":"m_03"`, `"id":""`, 1) }),
			"message 2 has no id"},
		{"wrong type", valid(func(s string) string { return strings.Replace(s, `"chunks":9`, `"chunks":"nine"`, 1) }),
			"cannot unmarshal"},
		{"trailing data", valid(same) + "{}", "unexpected data after the document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Decode error = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeLines(t *testing.T) {
	chats := []Chat{sampleChat(), hostileChat()}
	var buf bytes.Buffer
	for _, c := range chats {
		if err := Write(&buf, JSONLines, c); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(buf.String(), "\n"); n != len(chats) {
		t.Fatalf("%d lines for %d chats: a chat spilled over lines", n, len(chats))
	}
	var got []Chat
	if err := DecodeLines(bytes.NewReader(buf.Bytes()), func(c Chat) error { got = append(got, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(chats) {
		t.Fatalf("read %d chats, want %d", len(got), len(chats))
	}
	for i := range chats {
		sameChat(t, got[i], chats[i])
	}

	bad := buf.String() + "{\"format\":\"holdfast.chat\",\"format_version\":9}\n"
	err := DecodeLines(strings.NewReader(bad), func(Chat) error { return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "line 3: ") {
		t.Fatalf("bad third line: error = %v, want it to name line 3", err)
	}
	stop := DecodeLines(bytes.NewReader(buf.Bytes()), func(Chat) error { return errDiskGone })
	if stop != errDiskGone {
		t.Fatalf("callback error = %v, want it returned as is", stop)
	}
}

// TestVeryLongLine pushes a multi-megabyte single line through every
// format; nothing may be cut or wrapped.
func TestVeryLongLine(t *testing.T) {
	long := strings.Repeat("长行 <&> `x` ", 200_000) // about 3 MB, no newline
	c := sampleChat()
	c.Messages[0].Content = long
	for _, f := range Formats() {
		var buf bytes.Buffer
		if err := Write(&buf, f, c); err != nil {
			t.Fatal(err)
		}
		switch f {
		case Markdown:
			if !strings.Contains(buf.String(), "\n> "+long+"\n") {
				t.Error("Markdown: the long line is not intact on one quoted line")
			}
		case HTML:
			if !strings.Contains(buf.String(), strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(long, "&", "&amp;"), "<", "&lt;"), ">", "&gt;")) {
				t.Error("HTML: the long line is not intact")
			}
		case JSON:
			got, err := Decode(&buf)
			if err != nil || got.Messages[0].Content != long {
				t.Errorf("JSON: long line did not round-trip (err %v)", err)
			}
		case JSONLines:
			var got Chat
			if err := DecodeLines(&buf, func(c Chat) error { got = c; return nil }); err != nil || got.Messages[0].Content != long {
				t.Errorf("JSON Lines: long line did not round-trip (err %v)", err)
			}
		}
	}
}

// TestJSONFilePaths: a JSON export written with its files names where
// each copy is, and Decode hands those paths back (an importer opens the
// bytes there).
func TestJSONFilePaths(t *testing.T) {
	dir := t.TempDir()
	c := hostileChat()
	c.Files, c.FilesDir = memFiles{}, FilesDirFor("chat.json")
	for i, m := range c.Messages {
		var kept []store.Attachment
		for _, a := range m.Attachments {
			if a.ID != idSVG { // memFiles has no bytes for it
				kept = append(kept, a)
			}
		}
		c.Messages[i].Attachments = kept
	}
	if n, err := WriteFiles(dir, c); err != nil || n != 3 {
		t.Fatalf("WriteFiles = %d, %v", n, err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, JSON, c); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.FilePaths) != 3 {
		t.Errorf("paths %q", got.FilePaths)
	}
	for id, p := range got.FilePaths {
		if !strings.HasPrefix(p, "chat files/"+id[:12]+"-") || strings.Count(p, "/") != 1 || strings.ContainsAny(p, "\x07\\") {
			t.Errorf("%s: path %q", id, p)
		}
	}
	p := filepath.Join(dir, filepath.FromSlash(got.FilePaths[idImage]))
	if b, err := os.ReadFile(p); err != nil || string(b) != onePixelPNG {
		t.Errorf("the image's copy at %s: %v", p, err)
	}
}

package importer

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDetectFailsClearly(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		found string
	}{
		{"empty file", "", "the file is empty"},
		{"white space", " \n\t ", "the file is empty"},
		{"html", "<!doctype html><html>chat.html</html>", "HTML or XML"},
		{"plain text", "hello there", `not JSON (starts with "hello there"`},
		{"empty list", "[]", "an empty list"},
		{"list of numbers", "[1, 2, 3]", "first element is not an object"},
		{"unknown object", `{"foo": 1, "bar": {"baz": 2}}`, "object with the keys foo, bar"},
		{"unknown list", `[{"question": "q", "answer": "a"}, {"note": 1}]`, "list of objects with the keys question, answer, note"},
		{"holdfast export", `{"format": "holdfast.chat", "format_version": 1, "session": {}, "messages": []}`, "keys format, format_version, session, messages"},
		{"empty object", `{}`, "an empty object"},
		{"zip with other json", string(zipOf(t, "a.json", "{}", "b.json", "[]")), "several JSON files (a.json, b.json)"},
		{"zip without json", string(zipOf(t, "readme.txt", "hi")), "no conversations.json, data.json or other JSON file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenReaderAt(strings.NewReader(tt.data), int64(len(tt.data)), Options{})
			if err == nil {
				t.Fatal("opened without error")
			}
			if !strings.Contains(err.Error(), tt.found) {
				t.Errorf("error %q does not say %q", err, tt.found)
			}
			var de *DetectError
			if errors.As(err, &de) {
				for _, f := range Formats() {
					if !strings.Contains(err.Error(), string(f)+" (") {
						t.Errorf("error does not list what %s looks for: %q", f, err)
					}
				}
			}
		})
	}
}

func TestDetectEachFormat(t *testing.T) {
	tests := []struct {
		data string
		want Format
	}{
		{`[{"title": "t", "create_time": 1, "mapping": {}}]`, FormatChatGPT},
		{`{"title": "one conversation", "mapping": {}, "current_node": null}`, FormatChatGPT},
		{`[{"uuid": "u", "name": "n", "chat_messages": []}]`, FormatClaude},
		{`[{"id": "i", "user_id": "u", "title": "t", "chat": {"history": {"messages": {}}}}]`, FormatOpenWebUI},
		{`[{"id": "i", "title": "t", "models": ["m"], "history": {"messages": {}}}]`, FormatOpenWebUI},
		{`{"conversationId": "c", "title": "t", "messages": []}`, FormatLibreChat},
		{`{"conversationId": "c", "title": "t", "messagesTree": []}`, FormatLibreChat},
		{`{"time": 1, "version": 5, "localStorage": {"persist:cherry-studio": "{}"}, "indexedDB": {}}`, FormatCherryStudio},
		{`{"settings": {}, "session:abc": {"id": "abc", "messages": []}}`, FormatChatbox},
		{`{"chat-sessions": []}`, FormatChatbox},
		{"\xEF\xBB\xBF  [{\"mapping\": {}}]", FormatChatGPT}, // byte order mark
		{`[{"title": "broken first", "conversation_id": "c"}, {"title": "t", "mapping": {}}]`, FormatChatGPT},
		{`[{"title": "x"}, 3, {"uuid": "u", "chat_messages": []}]`, FormatClaude},
	}
	for _, tt := range tests {
		src, err := OpenReaderAt(strings.NewReader(tt.data), int64(len(tt.data)), Options{})
		if err != nil {
			t.Errorf("%s: %v", tt.data, err)
			continue
		}
		if src.Format() != tt.want {
			t.Errorf("%s: detected %q, want %q", tt.data, src.Format(), tt.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{
		"": "", "auto": "", "ChatGPT": FormatChatGPT, "claude": FormatClaude, "open-webui": FormatOpenWebUI,
		"OpenWebUI": FormatOpenWebUI, "librechat": FormatLibreChat, "cherry-studio": FormatCherryStudio,
		"cherry": FormatCherryStudio, "chatbox": FormatChatbox,
	} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := ParseFormat("myspace")
	if err == nil || !strings.Contains(err.Error(), "auto, chatgpt, claude, openwebui, librechat, cherrystudio, chatbox") {
		t.Errorf("unknown format error %v does not list the formats", err)
	}
	data := []byte(`[]`)
	if _, err := OpenReaderAt(bytes.NewReader(data), 2, Options{Format: "myspace"}); err == nil {
		t.Error("an unknown format in Options was accepted")
	}
	src, err := OpenReaderAt(bytes.NewReader(data), 2, Options{Format: "cherry-studio"})
	if err != nil || src.Format() != FormatCherryStudio {
		t.Errorf("a format spelled as a user would: %v, %v", src, err)
	}
}

// The wrong format, named by the user, reads nothing but never fails
// strangely.
func TestWrongFormatNamed(t *testing.T) {
	claude := fixture(t, "claude/conversations.json")
	for _, f := range []Format{FormatChatGPT, FormatOpenWebUI, FormatLibreChat, FormatCherryStudio, FormatChatbox} {
		src, err := OpenReaderAt(bytes.NewReader(claude), int64(len(claude)), Options{Format: f})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got := collect(t, src)
		if len(got.convs) > 0 {
			t.Errorf("%s read %d conversations from a Claude export", f, len(got.convs))
		}
		if got.fatal == nil && len(got.skipped) == 0 {
			t.Errorf("%s: a Claude export read as nothing at all, without a word", f)
		}
	}
}

func TestCorruptJSON(t *testing.T) {
	data := fixture(t, "chatgpt/conversations.json")
	second := bytes.Index(data, []byte(`"title": "Reasoning, tools and files"`))
	tests := []struct {
		name      string
		data      []byte
		wantConvs int
		wantErr   string
	}{
		{"cut in the second conversation", data[:second+200], 1, "truncated"},
		{"cut after the first", data[:second-8], 1, "truncated"},
		{"garbage in the second", append(append(append([]byte{}, data[:second]...), "@@@"...), data[second:]...), 1, "invalid JSON"},
		{"missing comma", bytes.Replace(data, []byte("},\n  {\n    \"title\": \"Reasoning"), []byte("}\n  {\n    \"title\": \"Reasoning"), 1), 1, "invalid JSON"},
		{"data after the end", append(append([]byte{}, data...), " [1]"...), 3, "after the end"},
		{"nested too deep", []byte("[" + strings.Repeat(`{"mapping":[`, 20000)), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := readBytes(t, tt.data, Options{Format: FormatChatGPT})
			if len(got.convs) != tt.wantConvs {
				t.Errorf("read %d conversations before the damage, want %d", len(got.convs), tt.wantConvs)
			}
			if got.fatal == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(got.fatal.Error(), tt.wantErr) || !strings.Contains(got.fatal.Error(), "(as chatgpt)") {
				t.Errorf("error %q does not say %q and which format", got.fatal, tt.wantErr)
			}
			if IsSkipped(got.fatal) {
				t.Error("a damaged file is reported as one skipped conversation")
			}
		})
	}
}

func TestTruncatedZip(t *testing.T) {
	export := zipOf(t, "conversations.json", string(fixture(t, "claude/conversations.json")), "users.json", "[]")
	for _, n := range []int{len(export) - 1, len(export) - 30, len(export) / 2, 10} {
		_, err := OpenReaderAt(bytes.NewReader(export[:n]), int64(n), Options{})
		if err == nil || !strings.Contains(err.Error(), "truncated or damaged") {
			t.Errorf("zip cut to %d of %d bytes: %v", n, len(export), err)
		}
	}
}

func TestZipBombsRefused(t *testing.T) {
	zeros := strings.Repeat("\x00", 4<<20)
	tests := []struct {
		name   string
		zip    []byte
		limits Limits
		want   string
	}{
		{"expands too far", zipOf(t, "conversations.json", "[]", "big.bin", zeros), Limits{MaxUncompressed: 1 << 20}, "expand to more than 1048576 bytes"},
		{"compresses too well", zipOf(t, "conversations.json", "[]", "zeros.bin", zeros), Limits{MaxRatio: 100}, `member "zeros.bin" expands`},
		{"too many members", zipOf(t, "conversations.json", "[]", "a", "1", "b", "2"), Limits{MaxEntries: 2}, "3 members, more than the 2 allowed"},
		{"members share their bytes", overlappingZip(t), Limits{}, "overlap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenReaderAt(bytes.NewReader(tt.zip), int64(len(tt.zip)), Options{Limits: tt.limits})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
	// A large member that compresses like real JSON passes the defaults.
	var js strings.Builder
	for i := 0; js.Len() < 4<<20; i++ {
		fmt.Fprintf(&js, `{"id": "m%d", "create_time": %d.%d, "parts": ["line %d"]},`+"\n", i, 1700000000+i*7, i%997, i*31)
	}
	ok := zipOf(t, "conversations.json", "[]", "big.json", js.String())
	if _, err := OpenReaderAt(bytes.NewReader(ok), int64(len(ok)), Options{Format: FormatChatGPT}); err != nil {
		t.Errorf("a 4 MiB member under the default limits: %v", err)
	}
}

// overlappingZip makes two members whose central entries point at the
// same compressed bytes, the trick behind the largest zip bombs.
func overlappingZip(t *testing.T) []byte {
	z := zipOf(t, "conversations.json", "[]", "a.bin", strings.Repeat("x", 100), "b.bin", strings.Repeat("x", 100))
	eocd := bytes.LastIndex(z, []byte("PK\x05\x06"))
	cd := int(binary.LittleEndian.Uint32(z[eocd+16:]))
	var offsets []int // positions of the local header offset field per entry
	for p := cd; p < eocd && bytes.Equal(z[p:p+4], []byte("PK\x01\x02")); {
		offsets = append(offsets, p+42)
		n, e, c := binary.LittleEndian.Uint16(z[p+28:]), binary.LittleEndian.Uint16(z[p+30:]), binary.LittleEndian.Uint16(z[p+32:])
		p += 46 + int(n) + int(e) + int(c)
	}
	if len(offsets) != 3 {
		t.Fatalf("found %d central entries", len(offsets))
	}
	copy(z[offsets[2]:offsets[2]+4], z[offsets[1]:offsets[1]+4])
	return z
}

// Member names are looked up, never used as paths: "../" leads nowhere.
func TestZipPathTraversalNames(t *testing.T) {
	dir := t.TempDir()
	conv := `[{"conversation_id": "c", "current_node": "u", "mapping": {"u": {"parent": null, "message": {"author": {"role": "user"},
		"content": {"content_type": "text", "parts": ["hi"]}, "metadata": {"attachments": [{"id": "file-Evil1", "name": "..\\..\\win.ini"}]}}}}}]`
	export := zipOf(t, "../../conversations.json", conv, "/abs/../../file-Evil1-x.txt", "evil bytes")
	src, got := readBytes(t, export, Options{})
	if len(got.convs) != 1 || got.fatal != nil {
		t.Fatalf("got %d conversations, %v", len(got.convs), got.fatal)
	}
	a := got.convs[0].Messages[0].Attachments
	if len(a) != 1 || a[0].Name != "win.ini" || a[0].SourcePath != "file-Evil1-x.txt" || !a[0].HasData() {
		t.Fatalf("attachment %+v", a)
	}
	rc, err := a[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "evil bytes" {
		t.Errorf("data %q", b)
	}
	src.Close()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("something was written: %v", entries)
	}
}

func TestCancelAndStop(t *testing.T) {
	inputs := map[Format][]byte{
		FormatChatGPT:      fixture(t, "chatgpt/conversations.json"),
		FormatClaude:       fixture(t, "claude/conversations.json"),
		FormatOpenWebUI:    fixture(t, "openwebui/chat-export-1710003000000.json"),
		FormatCherryStudio: fixture(t, "cherrystudio/data.json"),
		FormatChatbox:      fixture(t, "chatbox/chatbox-exported-data-2024-6-1.json"),
	}
	for f, data := range inputs {
		t.Run(string(f), func(t *testing.T) {
			src, err := OpenReaderAt(bytes.NewReader(data), int64(len(data)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			// A consumer that stops early is never called again (the
			// runtime would panic if it were).
			n := 0
			for range src.Conversations(context.Background()) {
				n++
				break
			}
			if n != 1 {
				t.Errorf("%d yields before break", n)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var last error
			n = 0
			for _, err := range src.Conversations(ctx) {
				n++
				cancel()
				last = err
			}
			if n != 2 || !errors.Is(last, context.Canceled) {
				t.Errorf("after cancelling: %d yields, last error %v", n, last)
			}
		})
	}
}

func TestCountMatchesConversations(t *testing.T) {
	for _, name := range []string{
		"chatgpt/conversations.json", "claude/conversations.json", "openwebui/chat-export-1710003000000.json",
		"librechat/flat-branches.json", "cherrystudio/data.json", "chatbox/chatbox-exported-data-2024-6-1.json",
	} {
		data := fixture(t, name)
		src, got := readBytes(t, data, Options{})
		n, err := src.Count(context.Background())
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if want := len(got.convs) + len(got.skipped); n != want {
			t.Errorf("%s: Count %d, conversations and skips %d", name, n, want)
		}
	}
}

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "export.zip")
	export := zipOf(t, "conversations.json", string(fixture(t, "chatgpt/conversations.json")), "file-Img1-photo.png", "\x89PNG fake!!!")
	if err := os.WriteFile(path, export, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, src)
	if len(got.convs) != 3 {
		t.Fatalf("%d conversations", len(got.convs))
	}
	img := got.convs[1].Messages[0].Attachments[0]
	if !img.HasData() {
		t.Fatal("no data for the photo")
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if rc, err := img.Open(); err == nil {
		_, err = io.ReadAll(rc)
		rc.Close()
		if err == nil {
			t.Error("attachment read after Close")
		}
	}
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("opening a folder: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "missing.json"), Options{}); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("opening a missing file: %v", err)
	}
	if a := (AttachmentRef{Name: "x"}); a.HasData() {
		t.Error("a bare reference claims data")
	} else if _, err := a.Open(); !errors.Is(err, ErrNoData) {
		t.Errorf("opening a bare reference: %v", err)
	}
}

func TestInlineDataLimit(t *testing.T) {
	data := fixture(t, "openwebui/chat-export-1710003000000.json")
	_, got := readBytes(t, data, Options{Limits: Limits{MaxInline: 4}})
	a := got.convs[0].Messages[0].Attachments[0]
	if a.HasData() || a.SourcePath != "" {
		t.Errorf("a 6-byte image over a 4-byte limit: %+v", a)
	}
}

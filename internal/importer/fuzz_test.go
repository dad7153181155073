package importer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to detection (format 0) and to each
// parser by name (1-6): no input may panic or hang, and whatever is
// yielded must be a proper tree.
//
//	go test -run '^$' -fuzz FuzzOpen -fuzztime 60s -fuzzminimizetime 5s ./internal/importer
func FuzzOpen(f *testing.F) {
	formats := append([]Format{""}, Formats()...)
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for i := range formats {
			f.Add(uint8(i), b)
		}
		f.Add(uint8(0), b[:len(b)/2])
	}
	f.Add(uint8(1), zipOf(f, "conversations.json", `[{"mapping": {"a": {"parent": "a", "message": {"author": {"role": "user"}, "content": {"content_type": "text", "parts": ["x"]}}}}}]`, "file-A1-x.png", "png"))
	f.Add(uint8(5), zipOf(f, "data.json", `{"indexedDB": {"topics": [{"id": "t", "messages": [{"id": "m", "role": "user", "askId": "m", "blocks": ["b"]}]}], "message_blocks": [{"id": "b", "type": "main_text", "content": "hi"}]}}`))
	f.Add(uint8(6), []byte(`{"session:x": {"id": "x", "messages": [{"id": "a", "role": "user", "content": "q"}], "messageForksHash": {"a": {"position": 1, "lists": [{"messages": [{"id": "a", "role": "user"}]}]}}}}`))
	f.Add(uint8(3), []byte(`[{"chat": {"history": {"currentId": "b", "messages": {"a": {"id": "a", "parentId": "b", "role": "user", "content": "<details type=\"reasoning\"><details>"}, "b": {"id": "b", "parentId": "a", "role": "assistant", "content": "<think>x"}}}}}]`))
	f.Fuzz(func(t *testing.T, format uint8, data []byte) {
		src, err := OpenReaderAt(bytes.NewReader(data), int64(len(data)), Options{Format: formats[int(format)%len(formats)]})
		if err != nil {
			return
		}
		n := 0
		for c, err := range src.Conversations(context.Background()) {
			if err == nil {
				checkTree(t, c)
				for _, m := range c.Messages {
					for _, a := range m.Attachments {
						if rc, err := a.Open(); err == nil {
							rc.Close()
						}
					}
				}
			}
			if n++; n > 200 {
				break
			}
		}
		src.Count(context.Background())
	})
}

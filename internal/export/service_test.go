package export

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func TestService(t *testing.T) {
	svc := Service{Src: &memSource{chats: threeChats()}, AppVersion: testAppVersion}
	tests := []struct {
		format, ctype, ext string
		f                  Format
	}{
		{"md", "text/markdown; charset=utf-8", "md", Markdown},
		{"json", "application/json", "json", JSON},
		{"html", "text/html; charset=utf-8", "html", HTML},
		{"jsonl", "application/jsonl", "jsonl", JSONLines},
	}
	for _, tt := range tests {
		ctype, ext, err := svc.ContentType(tt.format)
		if err != nil || ctype != tt.ctype || ext != tt.ext {
			t.Errorf("ContentType(%s) = %q, %q, %v", tt.format, ctype, ext, err)
		}
		var got, want bytes.Buffer
		if err := svc.Export(context.Background(), &got, "s_01", tt.format); err != nil {
			t.Fatal(err)
		}
		Write(&want, tt.f, sampleChat())
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("Export(%s) is not the %s writer's output", tt.format, tt.f)
		}
	}
	if _, _, err := svc.ContentType("pdf"); err == nil {
		t.Error("ContentType(pdf) accepted")
	}
	var buf bytes.Buffer
	if err := svc.Export(context.Background(), &buf, "s_missing", "md"); !errors.Is(err, errNotFound) || buf.Len() != 0 {
		t.Errorf("Export(missing) = %v, wrote %d bytes; want not found and nothing written", err, buf.Len())
	}
	failing := Service{Src: &memSource{chats: threeChats(), failOn: "s_01"}}
	if err := failing.Export(context.Background(), &buf, "s_01", "html"); !errors.Is(err, errDiskGone) || buf.Len() != 0 {
		t.Errorf("Export with a failing source = %v, wrote %d bytes", err, buf.Len())
	}
}

package export

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomic(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) string // returns the target path
		write   func(io.Writer) error
		wantErr string
		want    string // content of the target afterwards ("" = must not exist)
	}{
		{
			name:  "new file",
			setup: func(t *testing.T, dir string) string { return filepath.Join(dir, "chat.md") },
			write: func(w io.Writer) error { _, err := io.WriteString(w, "hello"); return err },
			want:  "hello",
		},
		{
			name: "replaces an existing file",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "chat.md")
				os.WriteFile(p, []byte("old"), 0o600)
				return p
			},
			write: func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err },
			want:  "new",
		},
		{
			name: "writer fails halfway: old file untouched",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "chat.md")
				os.WriteFile(p, []byte("old"), 0o644)
				return p
			},
			write: func(w io.Writer) error {
				io.WriteString(w, strings.Repeat("partial", 100_000))
				return boom
			},
			wantErr: "boom",
			want:    "old",
		},
		{
			name:    "writer fails: no file appears",
			setup:   func(t *testing.T, dir string) string { return filepath.Join(dir, "chat.md") },
			write:   func(io.Writer) error { return boom },
			wantErr: "boom",
		},
		{
			// A regular file where a folder should be: fails even for root.
			name: "unwritable folder",
			setup: func(t *testing.T, dir string) string {
				os.WriteFile(filepath.Join(dir, "notadir"), []byte("x"), 0o644)
				return filepath.Join(dir, "notadir", "chat.md")
			},
			write:   func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err },
			wantErr: "not a directory",
		},
		{
			name:    "missing folder",
			setup:   func(t *testing.T, dir string) string { return filepath.Join(dir, "nope", "chat.md") },
			write:   func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err },
			wantErr: "no such file or directory",
		},
		{
			name: "target is a folder",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "chat.md")
				os.MkdirAll(filepath.Join(p, "inside"), 0o755)
				return p
			},
			write:   func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err },
			wantErr: "it is a folder",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(t, dir)
			before := dirNames(t, dir)
			err := WriteFileAtomic(path, tt.write)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("error = %v, want one naming %s and saying %q", err, path, tt.wantErr)
				}
				if after := dirNames(t, dir); strings.Join(after, "/") != strings.Join(before, "/") {
					t.Errorf("failed write left files behind: before %q, after %q", before, after)
				}
			}
			got, readErr := os.ReadFile(path)
			switch {
			case tt.want == "" && readErr == nil && !strings.Contains(tt.wantErr, "folder"):
				t.Errorf("target exists after a failed write: %q", got)
			case tt.want != "" && string(got) != tt.want:
				t.Errorf("target = %q, want %q", got, tt.want)
			}
			if tt.want != "" && tt.wantErr == "" {
				fi, _ := os.Stat(path)
				if fi.Mode().Perm() != 0o644 {
					t.Errorf("mode %v, want 0644", fi.Mode().Perm())
				}
				if names := dirNames(t, dir); len(names) != 1 {
					t.Errorf("folder holds %q, want only the target", names)
				}
			}
		})
	}
}

package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestExecLine(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
		wantErr    string
	}{
		{"plain", "[Desktop Entry]\nName=Holdfast\nExec=holdfast\n", []string{"holdfast"}, ""},
		{"field codes dropped", "[Desktop Entry]\nExec=holdfast %U --flag\n", []string{"holdfast", "--flag"}, ""},
		{"quoted path", "[Desktop Entry]\nExec=\"/opt/My Apps/holdfast\" --x \"a \\\"b\\\"\"\n", []string{"/opt/My Apps/holdfast", "--x", `a "b"`}, ""},
		{"escaped percent", "[Desktop Entry]\nExec=holdfast 100%%\n", []string{"holdfast", "100%"}, ""},
		{"other groups ignored", "[Desktop Action new]\nExec=other\n[Desktop Entry]\nExec=holdfast\n", []string{"holdfast"}, ""},
		{"no Exec", "[Desktop Entry]\nName=x\n", nil, "no Exec line"},
		{"unterminated quote", "[Desktop Entry]\nExec=\"holdfast\n", nil, "unterminated quote"},
		{"only a field code", "[Desktop Entry]\nExec=%U\n", nil, "empty Exec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.desktop")
			if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := execLine(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("execLine = %q, %v; want an error with %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("execLine = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestWithoutVars(t *testing.T) {
	got := withoutVars([]string{"HOME=/root", "HOLDFAST_HOME=/x", "HOMEDIR=/y", "PATH=/bin"}, "HOME", "HOLDFAST_HOME")
	if want := []string{"HOMEDIR=/y", "PATH=/bin"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("withoutVars = %q, want %q", got, want)
	}
}

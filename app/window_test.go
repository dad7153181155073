package app

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadWindowState(t *testing.T) {
	tests := []struct {
		name    string
		content string // "" = no file
		want    *Geometry
		wantErr string
	}{
		{"no file", "", nil, ""},
		{"saved", `{"x":10,"y":20,"width":900,"height":700,"maximised":false}`, &Geometry{X: 10, Y: 20, Width: 900, Height: 700}, ""},
		{"maximised", `{"x":0,"y":0,"width":1000,"height":700,"maximised":true}`, &Geometry{Width: 1000, Height: 700, Maximised: true}, ""},
		{"corrupt", `{"x":1`, nil, "unexpected end"},
		{"too small", `{"width":10,"height":10}`, nil, "out of range"},
		{"absurd", `{"width":99999,"height":700}`, nil, "out of range"},
		{"far away", `{"x":-900000,"y":0,"width":900,"height":700}`, nil, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "window.json")
			if tt.content != "" {
				os.WriteFile(path, []byte(tt.content), 0o600)
			}
			got, err := loadWindowState(path)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestWindowStateRoundTrip(t *testing.T) {
	home := t.TempDir()
	ui := newFakeUI()
	ui.geometry = Geometry{X: 40, Y: 60, Width: 1000, Height: 720}
	c := NewCore(CoreConfig{Home: home, UI: ui})
	if c.beforeClose(context.Background()) {
		t.Fatal("beforeClose vetoed closing")
	}
	g, err := loadWindowState(windowStatePath(home))
	if err != nil || *g != ui.geometry {
		t.Fatalf("saved %+v, %v; want %+v", g, err, ui.geometry)
	}

	// Next launch: the saved place is restored at startup.
	ui2 := newFakeUI()
	c2 := NewCore(CoreConfig{Home: home, UI: ui2, Geometry: g, Open: failOpen})
	c2.startup(context.Background())
	if len(ui2.setGeo) != 1 || ui2.setGeo[0] != *g {
		t.Fatalf("restored %+v, want %+v", ui2.setGeo, *g)
	}

	// Closing while maximised keeps the size to come back to.
	ui2.geometry = Geometry{Width: 1920, Height: 1080, Maximised: true}
	c2.beforeClose(context.Background())
	g2, _ := loadWindowState(windowStatePath(home))
	want := Geometry{X: 40, Y: 60, Width: 1000, Height: 720, Maximised: true}
	if *g2 != want {
		t.Fatalf("saved %+v, want %+v", *g2, want)
	}

	// A window that reports nonsense (closing half-built) saves nothing.
	ui3 := newFakeUI()
	c3 := NewCore(CoreConfig{Home: home, UI: ui3})
	c3.beforeClose(context.Background())
	g3, _ := loadWindowState(windowStatePath(home))
	if *g3 != want {
		t.Fatalf("a zero geometry overwrote the saved one: %+v", *g3)
	}
}

func TestNoGeometryNoRestore(t *testing.T) {
	ui := newFakeUI()
	c := NewCore(CoreConfig{Home: t.TempDir(), UI: ui, Open: failOpen})
	c.startup(context.Background())
	if len(ui.setGeo) != 0 {
		t.Fatalf("moved a first-launch window: %+v", ui.setGeo)
	}
}

func TestInstanceID(t *testing.T) {
	a, b := instanceID("/home/u/.config/holdfast"), instanceID("/tmp/other")
	if a == b || a != instanceID("/home/u/.config/holdfast") {
		t.Fatalf("ids %q %q: want stable and distinct per folder", a, b)
	}
	for _, r := range a {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			t.Fatalf("id %q has %q, not valid in a D-Bus name", a, r)
		}
	}
}

func TestFreePath(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x")
	if got := freePath(p); got != p {
		t.Errorf("freePath = %q", got)
	}
	os.Mkdir(p, 0o755)
	os.Mkdir(p+" (2)", 0o755)
	if got := freePath(p); got != p+" (3)" {
		t.Errorf("freePath = %q, want the first free", got)
	}
}

package backend

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTokenIsCreatedPrivateAndReused(t *testing.T) {
	ctx := context.Background()
	home := t.TempDir()
	open := func(token string) *Backend {
		b, err := Open(ctx, Options{Home: home, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close(ctx) })
		return b
	}
	b1 := open("")
	info, err := os.Stat(filepath.Join(home, "token"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	if len(b1.Token()) < 32 {
		t.Fatalf("token %q is too short", b1.Token())
	}
	b1.Close(ctx)
	b2 := open("")
	if b2.Token() != b1.Token() {
		t.Fatal("stored token was not reused")
	}
	b2.Close(ctx)
	if b3 := open("explicit-token-123"); b3.Token() != "explicit-token-123" {
		t.Fatal("explicit token was not used")
	}
}

func TestOptionsFromEnv(t *testing.T) {
	cases := []struct {
		tps, hb string
		wantErr string
		wantTPS float64
		wantHB  time.Duration
	}{
		{"", "", "", 0, 0},
		{"120", "2s", "", 120, 2 * time.Second},
		{"fast", "", "HOLDFAST_DEMO_TPS", 0, 0},
		{"-3", "", "HOLDFAST_DEMO_TPS", 0, 0},
		{"", "soon", "HOLDFAST_HEARTBEAT", 0, 0},
		{"", "1ms", "HOLDFAST_HEARTBEAT", 0, 0},
	}
	for _, tc := range cases {
		t.Setenv("HOLDFAST_DEMO_TPS", tc.tps)
		t.Setenv("HOLDFAST_HEARTBEAT", tc.hb)
		t.Setenv("HOLDFAST_TOKEN", "tok")
		o, err := OptionsFromEnv("/h")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("tps=%q hb=%q: err %v; want it to name %s", tc.tps, tc.hb, err, tc.wantErr)
			}
			continue
		}
		if err != nil || o.DemoTPS != tc.wantTPS || o.Heartbeat != tc.wantHB || o.Token != "tok" || o.Home != "/h" {
			t.Errorf("tps=%q hb=%q: %+v, %v", tc.tps, tc.hb, o, err)
		}
	}
}

func TestRefusesNonLoopbackAddr(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.168.1.10:80", ":8080", "example.com:80"} {
		if _, err := Open(context.Background(), Options{Home: t.TempDir(), Addr: addr}); err == nil {
			t.Errorf("Open with addr %q succeeded; want a loopback-only error", addr)
		}
	}
}

func TestOneProcessPerDataFolder(t *testing.T) {
	ctx := context.Background()
	home := t.TempDir()
	b, err := Open(ctx, Options{Home: home})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, Options{Home: home}); !errors.Is(err, ErrHomeInUse) {
		t.Fatalf("second Open on the same folder: %v; want ErrHomeInUse", err)
	}
	b.Close(ctx)
	b2, err := Open(ctx, Options{Home: home})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	b2.Close(ctx)
}

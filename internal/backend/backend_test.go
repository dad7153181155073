package backend

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/llm"
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
		t.Setenv("HOLDFAST_TOKEN", "tok-0123456789abcdef")
		o, err := OptionsFromEnv("/h")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("tps=%q hb=%q: err %v; want it to name %s", tc.tps, tc.hb, err, tc.wantErr)
			}
			continue
		}
		if err != nil || o.DemoTPS != tc.wantTPS || o.Heartbeat != tc.wantHB || o.Token != "tok-0123456789abcdef" || o.Home != "/h" {
			t.Errorf("tps=%q hb=%q: %+v, %v", tc.tps, tc.hb, o, err)
		}
	}
}

// A short or unprintable HOLDFAST_TOKEN stops start-up with an error
// that names the variable and the rule; so does one handed to Open.
func TestTokenRules(t *testing.T) {
	t.Setenv("HOLDFAST_DEMO_TPS", "")
	t.Setenv("HOLDFAST_HEARTBEAT", "")
	cases := []struct {
		token string
		want  string // in the error; "" = accepted
	}{
		{"", ""}, // none given: the stored (or a new) token is used
		{"x", "1 characters; use at least 16"},
		{"fifteen-chars-x", "15 characters; use at least 16"},
		{"sixteen-chars-xx", ""},
		{"has a space in it, long enough", "printable ASCII"},
		{"tab\there-and-long-enough", "printable ASCII"},
		{"ünïcödé-and-long-enough", "printable ASCII"},
	}
	for _, tc := range cases {
		t.Setenv("HOLDFAST_TOKEN", tc.token)
		_, err := OptionsFromEnv(t.TempDir())
		if tc.want == "" {
			if err != nil {
				t.Errorf("token %q refused: %v", tc.token, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), "HOLDFAST_TOKEN") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("token %q: err %v; want one naming HOLDFAST_TOKEN and %q", tc.token, err, tc.want)
		}
		b, err := Open(context.Background(), Options{Home: t.TempDir(), Token: tc.token, Discover: []llm.Candidate{}})
		if tc.want == "" {
			if err != nil {
				t.Errorf("Open with token %q: %v", tc.token, err)
				continue
			}
			if len(b.Token()) < MinTokenLength {
				t.Errorf("Open with token %q uses %q", tc.token, b.Token())
			}
			b.Close(context.Background())
		} else if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open with token %q: err %v; want %q", tc.token, err, tc.want)
			if b != nil {
				b.Close(context.Background())
			}
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

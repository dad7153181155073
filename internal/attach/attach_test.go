package attach

import (
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/attach/attachtest"
	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/store"
)

func TestReceiveSniffsTheBytes(t *testing.T) {
	f, err := OpenFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
	cases := []struct {
		name     string
		data     []byte
		kind     Kind
		mime     string
		w, h     int
		text     string // contained in the kept text
		err      error
		errMatch string
	}{
		{name: "photo.png", data: attachtest.PNG(64, 48), kind: KindImage, mime: "image/png", w: 64, h: 48},
		{name: "photo.jpg", data: attachtest.JPEG(33, 20), kind: KindImage, mime: "image/jpeg", w: 33, h: 20},
		{name: "tiny.gif", data: gif, kind: KindImage, mime: "image/gif", w: 1, h: 1},
		{name: "report.pdf", data: attachtest.PDF("Hello PDF page one", "Second page here"), kind: KindPDF, mime: "application/pdf", text: "Hello PDF page one"},
		{name: "main.go", data: []byte(attachtest.Source), kind: KindText, mime: "text/plain; charset=utf-8", text: "hello from main.go"},
		{name: "bom.txt", data: []byte("\uFEFFwith a BOM"), kind: KindText, mime: "text/plain; charset=utf-8", text: "with a BOM"},
		{name: "photo.png", data: []byte("PK\x03\x04 zip pretending"), err: ErrUnsupported, errMatch: "ZIP"},
		{name: "a.exe", data: []byte("MZ\x90\x00\x03\x00\x00\x00"), err: ErrUnsupported, errMatch: "program"},
		{name: "latin1.txt", data: []byte("caf\xe9"), err: ErrUnsupported},
		{name: "nul.txt", data: []byte("text\x00with nul"), err: ErrUnsupported},
		{name: "empty", data: nil, err: ErrEmpty},
		{name: "broken.png", data: []byte("\x89PNG\r\n\x1a\nnot really"), err: ErrBadImage},
		{name: "huge.png", data: pngHeader(9000, 9000), err: ErrTooManyPx},
		{name: "big.bin", data: bytes.Repeat([]byte("a"), MaxFileBytes+1), err: ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc, err := f.Receive(context.Background(), bytes.NewReader(tc.data), tc.name)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.errMatch) {
					t.Fatalf("err %v; want %v mentioning %q", err, tc.err, tc.errMatch)
				}
				if left, _ := filepath.Glob(filepath.Join(f.Dir(), "tmp", "*")); len(left) > 0 {
					t.Errorf("a refused upload left %v", left)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Discard(rc)
			if rc.Info.Kind != tc.kind || rc.Info.MIME != tc.mime || rc.Info.Width != tc.w || rc.Info.Height != tc.h {
				t.Errorf("info %+v; want %s %s %d×%d", rc.Info, tc.kind, tc.mime, tc.w, tc.h)
			}
			if rc.Size != int64(len(tc.data)) || !ValidID(rc.ID) {
				t.Errorf("size %d id %q", rc.Size, rc.ID)
			}
			if !strings.Contains(rc.Text, tc.text) {
				t.Errorf("text %q; want it to contain %q", rc.Text, tc.text)
			}
		})
	}
}

// pngHeader is the start of a PNG claiming w × h pixels (a bomb's header).
func pngHeader(w, h int) []byte {
	full := attachtest.PNG(1, 1)
	b := append([]byte(nil), full...)
	b[16], b[17], b[18], b[19] = byte(w>>24), byte(w>>16), byte(w>>8), byte(w)
	b[20], b[21], b[22], b[23] = byte(h>>24), byte(h>>16), byte(h>>8), byte(h)
	sum := crc32.ChecksumIEEE(b[12:29])
	b[29], b[30], b[31], b[32] = byte(sum>>24), byte(sum>>16), byte(sum>>8), byte(sum)
	return b
}

func TestCleanName(t *testing.T) {
	cases := []struct{ in, want string }{
		{"photo.png", "photo.png"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\me\notes.txt`, "notes.txt"},
		{"a\x00b\x1b[31mc.txt", "ab[31mc.txt"},
		{"evil\u202egpj.exe", "evilgpj.exe"},
		{"..", "file.txt"},
		{".hidden", "hidden"},
		{"   ", "file.txt"},
		{strings.Repeat("é", 200), strings.Repeat("é", 127)},
	}
	for _, tc := range cases {
		if got := CleanName(tc.in, KindText); got != tc.want {
			t.Errorf("CleanName(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestDerivedImages(t *testing.T) {
	f, _ := OpenFiles(t.TempDir())
	rc, err := f.Receive(context.Background(), bytes.NewReader(attachtest.PNG(2400, 800)), "wide.png")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Keep(rc); err != nil {
		t.Fatal(err)
	}
	thumb, mime, err := f.Thumbnail(rc.ID, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(thumb))
	if err != nil || mime != "image/jpeg" || cfg.Width != ThumbEdge || cfg.Height != ThumbEdge/3 {
		t.Errorf("thumbnail %s %dx%d (%v); want a %d×%d JPEG", mime, cfg.Width, cfg.Height, err, ThumbEdge, ThumbEdge/3)
	}
	data, mime, err := f.ForModel(rc.ID, "image/png", rc.Size, 2400, 800, ImageLimit{MaxEdge: 1568, MaxBytes: 5_000_000})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != 1568 || cfg.Height != 522 {
		t.Errorf("for the model: %s %dx%d (%v); want 1568×522", mime, cfg.Width, cfg.Height, err)
	}
	// Small enough: the original goes as it is.
	small, _ := f.Receive(context.Background(), bytes.NewReader(attachtest.PNG(100, 80)), "small.png")
	f.Keep(small)
	data, mime, _ = f.ForModel(small.ID, "image/png", small.Size, 100, 80, ImageLimit{MaxEdge: 1568, MaxBytes: 5_000_000})
	if cfg, err := png.DecodeConfig(bytes.NewReader(data)); err != nil || mime != "image/png" || cfg.Width != 100 {
		t.Errorf("small image changed: %s %v %v", mime, cfg, err)
	}
}

type testEnv struct {
	st  *store.Store
	log *eventlog.Log
	svc *Service
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "holdfast.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log, err := eventlog.Open(context.Background(), st, eventlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	files, err := OpenFiles(filepath.Join(dir, "attachments"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close(); st.Close() })
	return &testEnv{st: st, log: log, svc: NewService(files, log, st, time.Hour, nil)}
}

func TestUploadIsIdempotentAndSweepKeepsLeases(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	data := attachtest.PNG(20, 10)
	a, err := e.svc.Upload(ctx, "../x/one.png", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.Upload(ctx, "two.png", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || a.Name != "one.png" || b.Name != "two.png" || a.Kind != "image" || a.Width != 20 {
		t.Fatalf("uploads %+v and %+v; want one file, two names", a, b)
	}
	ids, _ := e.svc.Files().IDs()
	if len(ids) != 1 {
		t.Fatalf("%d files on disk; want 1", len(ids))
	}
	// Leased: the sweep keeps it.
	if n, err := e.svc.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep removed %d (%v); want 0 while leased", n, err)
	}
	// An orphan file (a crash between keeping and recording) goes.
	orphan := strings.Repeat("ab", 32)
	os.MkdirAll(filepath.Dir(e.svc.Files().Path(orphan)), 0o700)
	os.WriteFile(e.svc.Files().Path(orphan), []byte("x"), 0o600)
	if n, _ := e.svc.Sweep(ctx); n != 1 {
		t.Fatalf("sweep removed %d; want the orphan", n)
	}
	// Lease over: the unused file goes.
	e.svc.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if n, _ := e.svc.Sweep(ctx); n != 1 {
		t.Fatalf("sweep removed %d; want the expired upload", n)
	}
	if _, err := os.Stat(e.svc.Files().Path(a.ID)); !os.IsNotExist(err) {
		t.Errorf("swept file still on disk (%v)", err)
	}
	if _, err := e.svc.Get(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("swept row: %v", err)
	}
}

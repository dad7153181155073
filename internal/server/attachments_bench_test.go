package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/holdfast-chat/holdfast/internal/attach/attachtest"
	"github.com/holdfast-chat/holdfast/internal/backend"
)

func benchServer(b *testing.B) string {
	b.Helper()
	be, err := backend.Open(context.Background(), backend.Options{
		Home: b.TempDir(), Token: token, Heartbeat: time.Second, DemoTPS: 100000, Version: "bench",
		Static: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}},
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := be.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		be.Close(ctx)
	})
	return be.BaseURL()
}

func benchDo(b *testing.B, method, url string, body io.Reader, want int) []byte {
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, out)
	}
	return out
}

// BenchmarkUpload10MB: one new 10 MB PNG through POST /api/attachments on
// loopback (streamed to disk, hashed, sniffed, fsynced, recorded). Run
// with -benchtime=Nx; each iteration uploads a different image.
func BenchmarkUpload10MB(b *testing.B) {
	base := benchServer(b)
	imgs := make([][]byte, min(b.N, 8))
	for i := range imgs {
		imgs[i] = attachtest.NoisePNG(1600, 1600, uint32(i+1))
	}
	b.SetBytes(int64(len(imgs[0])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchDo(b, "POST", fmt.Sprintf("%s/api/attachments?name=n%d.png", base, i), bytes.NewReader(imgs[i%len(imgs)]), 201)
	}
}

// BenchmarkOpenImageChat: the snapshot a chat with 200 image messages
// opens with (one page of 200 messages with their attachment facts), then
// its 200 thumbnails, as the browser asks for them. The full images are
// never read to open a chat.
func BenchmarkOpenImageChat(b *testing.B) {
	base := benchServer(b)
	var sess struct{ ID string }
	json.Unmarshal(benchDo(b, "POST", base+"/api/sessions", strings.NewReader(`{}`), 201), &sess)
	var ids []string
	for i := 0; i < 200; i++ {
		var a struct{ ID string }
		json.Unmarshal(benchDo(b, "POST", fmt.Sprintf("%s/api/attachments?name=p%d.png", base, i), bytes.NewReader(attachtest.NoisePNG(300, 200, uint32(i+1))), 201), &a)
		ids = append(ids, a.ID)
		body := fmt.Sprintf(`{"content":"/echo ok","client_id":"c%d","attachments":[{"id":%q,"name":"p%d.png"}]}`, i, a.ID, i)
		benchDo(b, "POST", base+"/api/sessions/"+sess.ID+"/messages", strings.NewReader(body), 201)
		time.Sleep(2 * time.Millisecond)
	}
	// Thumbnails are made on first use: warm them as a first open would.
	for _, id := range ids {
		benchDo(b, "GET", base+"/api/attachments/"+id+"/thumb", nil, 200)
	}
	b.Run("snapshot", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var page struct{ Messages []json.RawMessage }
			json.Unmarshal(benchDo(b, "GET", base+"/api/sessions/"+sess.ID+"/messages?limit=400", nil, 200), &page)
			if len(page.Messages) < 400 {
				b.Fatalf("page of %d messages", len(page.Messages))
			}
		}
	})
	// The browser loads thumbnails lazily (the ones in view) and several
	// at once; this asks for all 200, one after another: an upper bound.
	b.Run("200 thumbnails", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, id := range ids {
				benchDo(b, "GET", base+"/api/attachments/"+id+"/thumb", nil, 200)
			}
		}
	})
}

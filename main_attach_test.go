package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/attach/attachtest"
	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
)

func (p *proc) upload(t *testing.T, name string, data []byte) string {
	t.Helper()
	req, _ := http.NewRequest("POST", p.base+"/api/attachments?name="+url.QueryEscape(name), bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a struct{ ID string }
	if resp.StatusCode != 201 || json.Unmarshal(b, &a) != nil || a.ID == "" {
		t.Fatalf("upload %s: %d %s", name, resp.StatusCode, b)
	}
	return a.ID
}

type attachMsg struct {
	ID, Role, Status, Content string
	Attachments               []struct{ ID, Name string }
}

func (p *proc) settled(t *testing.T, sid string) []attachMsg {
	t.Helper()
	var page struct{ Messages []attachMsg }
	ssetest.Eventually(t, "the answer to end", 60*time.Second, func() bool {
		p.api(t, "GET", "/api/sessions/"+sid+"/messages", "", &page)
		n := len(page.Messages)
		return n > 0 && page.Messages[n-1].Status == "complete"
	})
	return page.Messages
}

// TestKillWithAttachments: kill -9 between upload and send, then during
// the answer. The uploads survive the first kill (the message can still
// name them), and crash recovery sends the same files again: the answer
// equals an uninterrupted run's, which names every file.
func TestKillWithAttachments(t *testing.T) {
	bin := buildBinary(t)
	img, src := attachtest.PNG(64, 48), []byte(attachtest.Source)
	body := func(imgID, srcID string) string {
		return `{"content":"What are these?","client_id":"k1","attachments":[{"id":"` + imgID + `","name":"shot.png"},{"id":"` + srcID + `","name":"main.go"}]}`
	}

	// The reference: the same message, never interrupted.
	ref := serve(t, bin, t.TempDir(), "127.0.0.1:0", 5000)
	var rs struct{ ID string }
	ref.api(t, "POST", "/api/sessions", `{}`, &rs)
	ref.api(t, "POST", "/api/sessions/"+rs.ID+"/messages", body(ref.upload(t, "shot.png", img), ref.upload(t, "main.go", src)), nil)
	want := ref.settled(t, rs.ID)[1].Content
	for _, s := range []string{"I received 2 file(s)", "**shot.png**: image (image/png)", "64×48 pixels", "**main.go**: text"} {
		if !strings.Contains(want, s) {
			t.Fatalf("reference answer lacks %q:\n%s", s, want)
		}
	}

	home, addr := t.TempDir(), freePort(t)
	p := serve(t, bin, home, addr, 60)
	imgID, srcID := p.upload(t, "shot.png", img), p.upload(t, "main.go", src)
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited

	// Between upload and send: the files are still there to name.
	p2 := serve(t, bin, home, addr, 60)
	var sess struct{ ID string }
	p2.api(t, "POST", "/api/sessions", `{}`, &sess)
	p2.api(t, "POST", "/api/sessions/"+sess.ID+"/messages", body(imgID, srcID), nil)
	ssetest.Eventually(t, "part of the answer", 30*time.Second, func() bool {
		var page struct{ Messages []attachMsg }
		p2.api(t, "GET", "/api/sessions/"+sess.ID+"/messages", "", &page)
		return len(page.Messages) == 2 && len(page.Messages[1].Content) > 40 && page.Messages[1].Status == "streaming"
	})
	p2.cmd.Process.Signal(syscall.SIGKILL)
	<-p2.exited

	// During the answer: recovery continues it with the same files.
	p3 := serve(t, bin, home, addr, 2000)
	msgs := p3.settled(t, sess.ID)
	if len(msgs) != 2 || len(msgs[0].Attachments) != 2 || msgs[0].Attachments[0].ID != imgID {
		t.Fatalf("after two kills the chat holds %+v", msgs)
	}
	if msgs[1].Content != want {
		t.Fatalf("recovered answer differs from an uninterrupted one:\n got %q\nwant %q", msgs[1].Content, want)
	}
	// Regenerate sends the same files again.
	var regen struct{ ID string }
	p3.api(t, "POST", "/api/messages/"+msgs[1].ID+"/regenerate", `{}`, &regen)
	ssetest.Eventually(t, "the regenerated answer", 60*time.Second, func() bool {
		var m attachMsg
		var page struct{ Messages []attachMsg }
		p3.api(t, "GET", "/api/sessions/"+sess.ID+"/messages", "", &page)
		for _, x := range page.Messages {
			if x.ID == regen.ID {
				m = x
			}
		}
		return m.Status == "complete" && m.Content == want
	})
}

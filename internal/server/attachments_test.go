package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/attach/attachtest"
)

type uploaded struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	MIME   string `json:"mime"`
	Kind   string `json:"kind"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

func (h *harness) upload(name string, data []byte, wantStatus int, out any) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest("POST", h.base+"/api/attachments?name="+url.QueryEscape(name), bytes.NewReader(data))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "image/png") // a lie: the server sniffs
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	json.NewDecoder(resp.Body).Decode(&raw)
	if resp.StatusCode != wantStatus {
		h.t.Fatalf("upload %q: %d %s; want %d", name, resp.StatusCode, raw, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("upload %q: %v in %s", name, err, raw)
		}
	}
	return resp
}

type fileMessage struct {
	ID          string     `json:"id"`
	Role        string     `json:"role"`
	Content     string     `json:"content"`
	Status      string     `json:"status"`
	Attachments []uploaded `json:"attachments"`
}

// answered waits for the chat's last answer to end and returns the page.
func (h *harness) answered(sid string) []fileMessage {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var page struct {
			Messages []fileMessage `json:"messages"`
		}
		h.jsonDo("GET", "/api/sessions/"+sid+"/messages", "", 200, &page)
		if n := len(page.Messages); n > 0 && page.Messages[n-1].Status != "streaming" {
			return page.Messages
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("no answer in time: %+v", page.Messages)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUploadAndSendRealFiles: a real PNG, JPEG, PDF and source file go
// through the API, are sniffed (whatever the client claims), reach the
// model with the message (the demo names them), come back in the
// snapshot, and are served inert.
func TestUploadAndSendRealFiles(t *testing.T) {
	h := start(t, time.Second, 0)
	files := []struct {
		name, kind, mime string
		data             []byte
		w, hgt           int
	}{
		{"photo.png", "image", "image/png", attachtest.PNG(640, 480), 640, 480},
		{"snap.jpg", "image", "image/jpeg", attachtest.JPEG(300, 200), 300, 200},
		{"report.pdf", "pdf", "application/pdf", attachtest.PDF("Quarterly revenue grew"), 0, 0},
		{"main.go", "text", "text/plain; charset=utf-8", []byte(attachtest.Source), 0, 0},
	}
	var refs []map[string]string
	for _, f := range files {
		var u uploaded
		h.upload(f.name, f.data, 201, &u)
		if u.Kind != f.kind || u.MIME != f.mime || u.Size != int64(len(f.data)) || u.Width != f.w || u.Height != f.hgt || len(u.ID) != 64 {
			t.Fatalf("%s uploaded as %+v", f.name, u)
		}
		var again uploaded
		h.upload(f.name, f.data, 201, &again) // idempotent by hash
		if again.ID != u.ID {
			t.Fatalf("%s: the same bytes got id %s, then %s", f.name, u.ID, again.ID)
		}
		refs = append(refs, map[string]string{"id": u.ID, "name": f.name})
	}
	sid := h.newSession().ID
	body, _ := json.Marshal(map[string]any{"content": "What are these?", "client_id": "c1", "attachments": refs})
	var out struct {
		User fileMessage `json:"user"`
	}
	h.jsonDo("POST", "/api/sessions/"+sid+"/messages", string(body), 201, &out)
	if len(out.User.Attachments) != 4 || out.User.Attachments[2].Name != "report.pdf" {
		t.Fatalf("sent message carries %+v", out.User.Attachments)
	}
	msgs := h.answered(sid)
	answer := msgs[len(msgs)-1].Content
	for _, want := range []string{"I received 4 file(s)", "**photo.png**: image (image/png)", "640×480 pixels", "**snap.jpg**: image (image/jpeg)",
		"**report.pdf**: PDF", "**main.go**: text, 9 lines, beginning “package main”"} {
		if !strings.Contains(answer, want) {
			t.Errorf("answer lacks %q:\n%s", want, answer)
		}
	}
	if got := msgs[0].Attachments; len(got) != 4 || got[0].ID != refs[0]["id"] {
		t.Fatalf("snapshot carries %+v", got)
	}

	// Served inert: an image inline, everything else as a download, with
	// nosniff and a sandboxing CSP.
	for i, f := range files {
		resp, data := h.do("GET", "/api/attachments/"+refs[i]["id"]+"?name="+url.QueryEscape(f.name), "")
		if resp.StatusCode != 200 || !bytes.Equal(data, f.data) {
			t.Fatalf("%s: %d, %d bytes", f.name, resp.StatusCode, len(data))
		}
		disp := resp.Header.Get("Content-Disposition")
		if inline := strings.HasPrefix(disp, "inline"); inline != (f.kind == "image") {
			t.Errorf("%s: Content-Disposition %q", f.name, disp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("%s: headers %v", f.name, resp.Header)
		}
	}
	if resp, data := h.do("GET", "/api/attachments/"+refs[0]["id"]+"/thumb", ""); resp.StatusCode != 200 || len(data) == 0 || len(data) >= len(files[0].data) {
		t.Errorf("thumbnail: %d, %d bytes", resp.StatusCode, len(data))
	}

	// Search finds the message by the PDF's text.
	var found struct {
		Groups []struct {
			Hits []struct {
				File string `json:"file"`
			} `json:"hits"`
		} `json:"groups"`
	}
	h.jsonDo("GET", "/api/search?q=revenue", "", 200, &found)
	byFile := 0
	for _, g := range found.Groups {
		for _, hit := range g.Hits {
			if hit.File == "report.pdf" {
				byFile++
			}
		}
	}
	if byFile != 1 { // (the demo's answer quotes the text too: a text hit)
		t.Errorf("search by a PDF's text: %+v", found)
	}

	// Deleting the chat frees the files nothing else references.
	h.jsonDo("DELETE", "/api/sessions/"+sid, "", 204, nil)
	for i := range files {
		if resp, _ := h.do("GET", "/api/attachments/"+refs[i]["id"], ""); resp.StatusCode != 404 {
			t.Errorf("%s after its chat was deleted: %d", files[i].name, resp.StatusCode)
		}
	}
}

// TestHostileUploads: each file of the list is refused with a
// clear JSON error, or kept as inert text with a clean name.
func TestHostileUploads(t *testing.T) {
	h := start(t, time.Second, 0)
	for _, f := range attachtest.HostileFiles() {
		t.Run(f.Case, func(t *testing.T) {
			if f.Refused != "" {
				var e struct {
					Error struct {
						Code    string `json:"code"`
						Message string `json:"message"`
					} `json:"error"`
				}
				req, _ := http.NewRequest("POST", h.base+"/api/attachments?name="+url.QueryEscape(f.Name), bytes.NewReader(f.Data))
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if resp.StatusCode < 400 || json.NewDecoder(resp.Body).Decode(&e) != nil || e.Error.Code != f.Refused || e.Error.Message == "" {
					t.Fatalf("%s: %d %+v; want the error %s", f.Name, resp.StatusCode, e, f.Refused)
				}
				return
			}
			var u uploaded
			h.upload(f.Name, f.Data, 201, &u)
			if u.Kind != "text" || u.MIME != "text/plain; charset=utf-8" {
				t.Fatalf("%s kept as %+v", f.Name, u)
			}
			if strings.ContainsAny(u.Name, "/\\\x00\x1b\u202e") || strings.Contains(u.Name, "..") {
				t.Fatalf("name %q is not clean", u.Name)
			}
			resp, _ := h.do("GET", "/api/attachments/"+u.ID+"?name="+url.QueryEscape(f.Name), "")
			if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("served as %q", ct)
			}
			if d := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(d, "attachment") || strings.Contains(d, "..") {
				t.Errorf("Content-Disposition %q", d)
			}
		})
	}
	// The JSON body limit still holds for messages; only uploads stream.
	big := `{"content":"` + strings.Repeat("x", 2<<20) + `"}`
	if resp, _ := h.do("POST", "/api/sessions/"+h.newSession().ID+"/messages", big); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MiB JSON body: %d", resp.StatusCode)
	}
	// Unknown ids and too many files are clear errors before anything is stored.
	sid := h.newSession().ID
	unknown := `{"content":"x","attachments":[{"id":"` + strings.Repeat("0", 64) + `","name":"a.png"}]}`
	if resp, b := h.do("POST", "/api/sessions/"+sid+"/messages", unknown); resp.StatusCode != 422 || !strings.Contains(string(b), "unknown_attachment") {
		t.Errorf("unknown attachment: %d %s", resp.StatusCode, b)
	}
	var u uploaded
	h.upload("a.txt", []byte("a"), 201, &u)
	refs := make([]map[string]string, 11)
	for i := range refs {
		refs[i] = map[string]string{"id": u.ID, "name": "a.txt"}
	}
	many, _ := json.Marshal(map[string]any{"content": "x", "attachments": refs})
	if resp, b := h.do("POST", "/api/sessions/"+sid+"/messages", string(many)); resp.StatusCode != 400 || !strings.Contains(string(b), "too_many_attachments") {
		t.Errorf("11 files: %d %s", resp.StatusCode, b)
	}
}

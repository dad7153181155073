package server_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/attach/attachtest"
	"github.com/holdfast-chat/holdfast/internal/export"
	"github.com/holdfast-chat/holdfast/internal/importgen"
	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
	"github.com/holdfast-chat/holdfast/internal/store"
)

type importStatus struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	State    string `json:"state"`
	Error    string `json:"error"`
	Code     string `json:"error_code"`
	Progress struct {
		Total, Done, Imported, Skipped int
	} `json:"progress"`
	Summary *struct {
		Imported, Duplicates, Failed, Total int
		Files                               int `json:"files"`
		MissingFiles                        int `json:"missing_files"`
		Cancelled                           bool
		Skipped                             []struct{ Reason string }
	} `json:"summary"`
}

func (h *harness) startImport(query string, body []byte, want int) importStatus {
	h.t.Helper()
	resp, b := h.do("POST", "/api/imports?"+query, string(body), "Content-Type", "application/octet-stream")
	if resp.StatusCode != want {
		h.t.Fatalf("start import: %d %s; want %d", resp.StatusCode, b, want)
	}
	var out struct{ Import importStatus }
	json.Unmarshal(b, &out)
	return out.Import
}

// waitImport polls the job until it ends (as the UI does).
func (h *harness) waitImport(id string) importStatus {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var out struct{ Import importStatus }
		h.jsonDo("GET", "/api/imports/"+id, "", 200, &out)
		if out.Import.State != "running" {
			return out.Import
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("import still running: %+v", out.Import)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestImportEndpoint(t *testing.T) {
	h := start(t, time.Second, 0)
	fixture, err := os.ReadFile(filepath.Join("..", "importer", "testdata", "chatgpt", "conversations.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := h.stream(ssetest.Options{})
	st := h.startImport("name=conversations.json", fixture, http.StatusAccepted)
	if st.ID == "" || st.Name != "conversations.json" {
		t.Fatalf("status %+v", st)
	}
	done := h.waitImport(st.ID)
	if done.State != "done" || done.Summary == nil || done.Summary.Imported != 3 || done.Summary.Failed != 2 ||
		done.Progress.Done != 5 || done.Progress.Total != 5 || len(done.Summary.Skipped) != 2 {
		t.Fatalf("finished %+v %+v", done, done.Summary)
	}
	// Every window learns of the new chats on its stream.
	created := 0
	until(s, func(e sseEvent) bool {
		if e.Event == "session.created" {
			created++
		}
		return created == 3
	})
	var list struct {
		Sessions []struct {
			Title, Model string
			CreatedAt    time.Time `json:"created_at"`
		} `json:"sessions"`
	}
	h.jsonDo("GET", "/api/sessions", "", 200, &list)
	if len(list.Sessions) != 3 {
		t.Fatalf("sessions %+v", list.Sessions)
	}
	for _, s := range list.Sessions {
		dated := !strings.HasSuffix(s.Title, "no times") // the fixture's one conversation without dates
		if s.Model != "demo/demo" || dated && s.CreatedAt.After(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("imported chat %+v: want the default model and its original date", s)
		}
	}
	// Again: nothing new.
	again := h.waitImport(h.startImport("name=conversations.json&format=chatgpt", fixture, http.StatusAccepted).ID)
	if again.Summary == nil || again.Summary.Imported != 0 || again.Summary.Duplicates != 3 {
		t.Fatalf("second import %+v", again.Summary)
	}
	// An unknown file fails with the reason; a bad format name is refused.
	bad := h.waitImport(h.startImport("name=x.json", []byte(`{"what": 1}`), http.StatusAccepted).ID)
	if bad.State != "failed" || !strings.Contains(bad.Error, "could not tell which app exported this file") || bad.Code != "unknown_format" {
		t.Fatalf("unknown file: %+v", bad)
	}
	h.startImport("format=icq", fixture, http.StatusBadRequest)
	if resp, _ := h.do("GET", "/api/imports/imp_nope", ""); resp.StatusCode != 404 {
		t.Errorf("unknown import: %d", resp.StatusCode)
	}
	// Token, Host and Origin checks apply as everywhere.
	if resp, _ := h.do("POST", "/api/imports", string(fixture), "Authorization", ""); resp.StatusCode != 401 {
		t.Errorf("without token: %d", resp.StatusCode)
	}
	if resp, _ := h.do("POST", "/api/imports", string(fixture), "Origin", "https://evil.example"); resp.StatusCode != 403 {
		t.Errorf("foreign origin: %d", resp.StatusCode)
	}
	if resp, _ := h.do("POST", "/api/imports", string(fixture), "Host", "evil.example"); resp.StatusCode != 403 {
		t.Errorf("foreign host: %d", resp.StatusCode)
	}
	// Uploads are removed once read.
	if left, _ := filepath.Glob(filepath.Join(h.b.Home(), "imports", "*")); len(left) != 0 {
		t.Errorf("uploads left: %v", left)
	}
}

// TestImportCancelAndBusy: a second import waits for none (409), cancel
// stops the first after whole chats, and the stream stays live.
func TestImportCancelAndBusy(t *testing.T) {
	h := start(t, 200*time.Millisecond, 0)
	path := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := importgen.WriteChatGPT(f, importgen.Spec{Convs: 3000, Msgs: 10, UserLen: 100, AnswerLen: 300}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data, _ := os.ReadFile(path)
	s := h.stream(ssetest.Options{})
	st := h.startImport("name=big.json", data, http.StatusAccepted)
	h.startImport("name=other.json", []byte("[]"), http.StatusConflict)
	// Heartbeats keep coming while the import writes.
	beats := 0
	until(s, func(e sseEvent) bool {
		if e.Event == "heartbeat" {
			beats++
		}
		return beats == 2
	})
	h.jsonDo("POST", "/api/imports/"+st.ID+"/cancel", "", 202, nil)
	done := h.waitImport(st.ID)
	if done.State != "cancelled" && done.State != "done" {
		t.Fatalf("after cancel: %+v", done)
	}
	var list struct {
		Sessions []struct {
			ID           string
			MessageCount int `json:"message_count"`
		} `json:"sessions"`
		NextCursor string `json:"next_cursor"`
	}
	h.jsonDo("GET", "/api/sessions?limit=200", "", 200, &list)
	for _, s := range list.Sessions {
		if s.MessageCount != 10 {
			t.Fatalf("chat %s has %d messages: half imported", s.ID, s.MessageCount)
		}
	}
	if done.State == "cancelled" && done.Summary.Imported >= 3000 {
		t.Errorf("cancelled but imported everything: %+v", done.Summary)
	}
}

// holdfastExport is a Holdfast JSON export of one chat whose question
// carries a PNG, and the PNG's bytes.
func holdfastExport(t *testing.T) (doc, png []byte, path string) {
	t.Helper()
	png = attachtest.PNG(8, 6)
	sum := sha256.Sum256(png)
	id := hex.EncodeToString(sum[:])
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	c := export.Chat{
		Session: store.Session{ID: "s_zip", Title: "Zipped", TitleSource: store.TitleUser, Model: "demo/demo",
			CreatedAt: at, UpdatedAt: at, LastActivityAt: at, CurrentLeafID: "m_z2"},
		Messages: []store.Message{
			{ID: "m_z1", SessionID: "s_zip", Role: store.RoleUser, Content: "What is this?", Status: store.StatusComplete, CreatedAt: at, UpdatedAt: at,
				Attachments: []store.Attachment{{ID: id, Name: "tiny.png", Size: int64(len(png)), MIME: "image/png", Kind: "image", Width: 8, Height: 6}}},
			{ID: "m_z2", SessionID: "s_zip", ParentID: "m_z1", Depth: 1, Role: store.RoleAssistant, Content: "A tiny picture.", Status: store.StatusComplete,
				Model: "demo/demo", CreatedAt: at, UpdatedAt: at},
		},
		AppVersion: "test",
		FilesDir:   "chat files",
	}
	var buf bytes.Buffer
	if err := export.Write(&buf, export.JSON, c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), png, "chat files/" + id[:12] + "-tiny.png"
}

// TestImportHoldfastZipWithFiles: an upload has no folder beside it, so
// a Holdfast export's files come in a zip with it; the plain JSON alone
// imports with the file named in the text.
func TestImportHoldfastZipWithFiles(t *testing.T) {
	h := start(t, time.Second, 0)
	doc, png, member := holdfastExport(t)
	if !bytes.Contains(doc, []byte(member)) {
		t.Fatalf("the export does not link %s:\n%s", member, doc)
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for name, data := range map[string][]byte{"chat.json": doc, member: png} {
		w, _ := zw.Create(name)
		w.Write(data)
	}
	zw.Close()

	plain := h.waitImport(h.startImport("name=chat.json", doc, http.StatusAccepted).ID)
	if plain.State != "done" || plain.Summary.Imported != 1 || plain.Summary.Files != 0 || plain.Summary.MissingFiles != 1 {
		t.Fatalf("plain JSON upload: %+v %+v", plain, plain.Summary)
	}
	msg, err := h.b.Store().GetMessage(t.Context(), "m_z1")
	if err != nil || len(msg.Attachments) != 0 || !strings.Contains(msg.Content, "📎 Attachment: `tiny.png`") {
		t.Fatalf("without its files the question names the file: %+v %v", msg, err)
	}
	// The same chat again, now from the zip, into a fresh app.
	h2 := start(t, time.Second, 0)
	zipped := h2.waitImport(h2.startImport("name=chat.zip", zbuf.Bytes(), http.StatusAccepted).ID)
	if zipped.State != "done" || zipped.Summary.Imported != 1 || zipped.Summary.Files != 1 || zipped.Summary.MissingFiles != 0 {
		t.Fatalf("zip upload: %+v %+v", zipped, zipped.Summary)
	}
	msg, err = h2.b.Store().GetMessage(t.Context(), "m_z1")
	if err != nil || len(msg.Attachments) != 1 || msg.Attachments[0].Name != "tiny.png" || msg.Content != "What is this?" {
		t.Fatalf("from the zip the question carries its file: %+v %v", msg, err)
	}
	// The file is served like any upload.
	resp, body := h2.do("GET", "/api/attachments/"+msg.Attachments[0].ID, "")
	if resp.StatusCode != 200 || !bytes.Equal([]byte(body), png) {
		t.Fatalf("serving the imported file: %d, %d bytes", resp.StatusCode, len(body))
	}
	// And it reaches the model again: a regenerated answer gets it (the
	// demo model names the files it received).
	h2.jsonDo("POST", "/api/messages/m_z2/regenerate", `{"client_id":"re1"}`, 201, nil)
	msgs := h2.answered("s_zip")
	if answer := msgs[len(msgs)-1].Content; !strings.Contains(answer, "I received 1 file(s)") || !strings.Contains(answer, "**tiny.png**: image (image/png)") {
		t.Fatalf("the regenerated answer did not get the imported file:\n%s", answer)
	}
}

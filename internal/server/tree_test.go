package server_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
)

type treeMessage struct {
	ID           string   `json:"id"`
	ParentID     *string  `json:"parent_id"`
	Depth        int      `json:"depth"`
	Siblings     []string `json:"siblings"`
	SiblingIndex *int     `json:"sibling_index"`
	Content      string   `json:"content"`
	Status       string   `json:"status"`
	CreatedAt    string   `json:"created_at"`
}

type pathPage struct {
	Messages []treeMessage `json:"messages"`
	HasMore  bool          `json:"has_more"`
	HasNewer bool          `json:"has_newer"`
	LeafID   *string       `json:"leaf_id"`
	Current  bool          `json:"current"`
}

type fullSession struct {
	ID             string   `json:"id"`
	Title          string   `json:"title"`
	TitleSource    string   `json:"title_source"`
	Temperature    *float64 `json:"temperature"`
	TopP           *float64 `json:"top_p"`
	MaxTokens      *int     `json:"max_tokens"`
	Pinned         bool     `json:"pinned"`
	Archived       bool     `json:"archived"`
	CurrentLeafID  *string  `json:"current_leaf_id"`
	LastActivityAt string   `json:"last_activity_at"`
	MessageCount   int      `json:"message_count"`
}

func (h *harness) page(sid, query string) pathPage {
	h.t.Helper()
	var p pathPage
	h.jsonDo("GET", "/api/sessions/"+sid+"/messages"+query, "", 200, &p)
	return p
}

func (h *harness) getSession(sid string) fullSession {
	h.t.Helper()
	var s fullSession
	h.jsonDo("GET", "/api/sessions/"+sid, "", 200, &s)
	return s
}

// settle waits until nothing in the chat streams.
func (h *harness) settle(sid string) pathPage {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		p := h.page(sid, "")
		busy := false
		for _, m := range p.Messages {
			busy = busy || m.Status == "streaming"
		}
		if !busy {
			return p
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("chat %s still streaming", sid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// eventHead is the event log's head, from the health endpoint.
func (h *harness) eventHead() string {
	h.t.Helper()
	var health struct{ Head string }
	h.jsonDo("GET", "/api/health", "", 200, &health)
	return health.Head
}

func texts(p pathPage) string {
	var out []string
	for _, m := range p.Messages {
		out = append(out, strings.TrimPrefix(m.Content, "/echo "))
	}
	return strings.Join(out, " ")
}

func wantError(t *testing.T, h *harness, method, path, body string, status int, code string) {
	t.Helper()
	resp, b := h.do(method, path, body)
	var e struct {
		Error struct{ Code, Message string }
	}
	if resp.StatusCode != status || json.Unmarshal(b, &e) != nil || e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("%s %s: %d %s; want %d %s", method, path, resp.StatusCode, b, status, code)
	}
}

func TestTreeEndpoints(t *testing.T) {
	h := start(t, time.Second, 20000)
	sess := h.newSession()
	other := h.newSession()
	first := h.send(sess.ID, "/echo one", "c1")
	h.settle(sess.ID)
	second := h.send(sess.ID, "/echo two", "c2")
	p := h.settle(sess.ID)
	if texts(p) != "one one two two" || p.Messages[2].ParentID == nil || *p.Messages[2].ParentID != first.Assistant.ID ||
		p.Messages[3].Depth != 3 || len(p.Messages[3].Siblings) != 1 || p.Messages[0].CreatedAt == "" || !p.Current {
		t.Fatalf("linear chat page: %+v", p)
	}
	st := h.stream(ssetest.Options{Query: url.Values{"session": {sess.ID}}})

	// Regenerate: a sibling, shown; the old answer stays.
	var re treeMessage
	h.jsonDo("POST", "/api/messages/"+second.Assistant.ID+"/regenerate", `{"client_id":"r1"}`, 201, &re)
	if len(re.Siblings) != 2 || *re.SiblingIndex != 1 || re.Siblings[0] != second.Assistant.ID {
		t.Fatalf("regenerated answer %+v", re)
	}
	until(st, func(ev sseEvent) bool { return ev.Event == "branch.switched" && strings.Contains(ev.Data, re.ID) })
	h.jsonDo("POST", "/api/messages/"+second.Assistant.ID+"/regenerate", `{"client_id":"r1"}`, 200, nil) // a resend
	p = h.settle(sess.ID)
	if p.Messages[3].ID != re.ID || h.getSession(sess.ID).MessageCount != 5 {
		t.Fatalf("after regenerate: %+v", p)
	}

	// Edit the first message: a new version and its answer, shown.
	var edited sent
	h.jsonDo("POST", "/api/messages/"+first.User.ID+"/edit", `{"content":"/echo uno","client_id":"e1"}`, 201, &edited)
	p = h.settle(sess.ID)
	if texts(p) != "uno uno" || len(p.Messages[0].Siblings) != 2 {
		t.Fatalf("after edit: %q %+v", texts(p), p.Messages[0])
	}

	// Switch back to the first version: its branch as it was left.
	var sw struct {
		Session fullSession `json:"session"`
		Page    pathPage    `json:"page"`
	}
	h.jsonDo("POST", "/api/sessions/"+sess.ID+"/switch", fmt.Sprintf(`{"message_id":%q}`, first.User.ID), 200, &sw)
	if texts(sw.Page) != "one one two two" || sw.Page.Messages[3].ID != re.ID || !sw.Page.Current || *sw.Session.CurrentLeafID != re.ID {
		t.Fatalf("switch answered %+v", sw)
	}
	until(st, func(ev sseEvent) bool {
		return ev.Event == "branch.switched" && strings.Contains(ev.Data, `"message_id":"`+first.User.ID)
	})

	// Pages of the path: around, before, after; and of another branch.
	around := h.page(sess.ID, "?around="+first.Assistant.ID+"&limit=3")
	if texts(around) != "one one two" || around.HasMore || !around.HasNewer || !around.Current {
		t.Fatalf("around: %+v", around)
	}
	if b := h.page(sess.ID, "?before="+re.ID+"&limit=2"); texts(b) != "one two" || !b.HasMore {
		t.Fatalf("before: %+v", b)
	}
	if a := h.page(sess.ID, "?after="+first.User.ID+"&limit=2"); texts(a) != "one two" || !a.HasNewer {
		t.Fatalf("after: %+v", a)
	}
	if o := h.page(sess.ID, "?around="+edited.User.ID); texts(o) != "uno uno" || o.Current {
		t.Fatalf("a page of another branch: %+v", o)
	}

	// Delete the shown branch's second turn: the path ends at one one.
	var del struct {
		Deleted int         `json:"deleted"`
		Session fullSession `json:"session"`
	}
	h.jsonDo("DELETE", "/api/messages/"+second.User.ID, "", 200, &del)
	if del.Deleted != 3 || *del.Session.CurrentLeafID != first.Assistant.ID || del.Session.MessageCount != 4 {
		t.Fatalf("delete answered %+v", del)
	}
	until(st, func(ev sseEvent) bool { return ev.Event == "message.deleted" && strings.Contains(ev.Data, `"count":3`) })

	// Bad requests answer with JSON and change nothing.
	before := h.getSession(sess.ID)
	head := h.eventHead()
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"switch to a deleted sibling", "POST", "/api/sessions/" + sess.ID + "/switch", fmt.Sprintf(`{"message_id":%q}`, second.User.ID), 404, "not_found"},
		{"switch to a message of another chat", "POST", "/api/sessions/" + other.ID + "/switch", fmt.Sprintf(`{"message_id":%q}`, first.User.ID), 409, "conflict"},
		{"switch without a message", "POST", "/api/sessions/" + sess.ID + "/switch", `{}`, 400, "bad_request"},
		{"switch with bad JSON", "POST", "/api/sessions/" + sess.ID + "/switch", `{"message_id":`, 400, "bad_request"},
		{"switch in an unknown chat", "POST", "/api/sessions/s_nope/switch", fmt.Sprintf(`{"message_id":%q}`, first.User.ID), 409, "conflict"},
		{"page around a deleted message", "GET", "/api/sessions/" + sess.ID + "/messages?around=" + second.User.ID, "", 404, "not_found"},
		{"page of another chat's message", "GET", "/api/sessions/" + other.ID + "/messages?before=" + first.User.ID, "", 409, "conflict"},
		{"two anchors", "GET", "/api/sessions/" + sess.ID + "/messages?before=" + first.User.ID + "&after=" + first.User.ID, "", 400, "bad_request"},
		{"delete a deleted message", "DELETE", "/api/messages/" + second.User.ID, "", 404, "not_found"},
		{"regenerate a deleted answer", "POST", "/api/messages/" + re.ID + "/regenerate", `{}`, 404, "not_found"},
		{"edit an answer", "POST", "/api/messages/" + first.Assistant.ID + "/edit", `{"content":"x"}`, 409, "conflict"},
		{"send under another chat's message", "POST", "/api/sessions/" + other.ID + "/messages", fmt.Sprintf(`{"content":"x","parent_id":%q}`, first.User.ID), 409, "conflict"},
		{"send under a deleted message", "POST", "/api/sessions/" + sess.ID + "/messages", fmt.Sprintf(`{"content":"x","parent_id":%q}`, re.ID), 404, "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, h, tc.method, tc.path, tc.body, tc.status, tc.code)
		})
	}
	after := h.getSession(sess.ID)
	if *after.CurrentLeafID != *before.CurrentLeafID || after.MessageCount != before.MessageCount || h.eventHead() != head {
		t.Fatalf("bad requests changed the chat: %+v -> %+v, head %s -> %s", before, after, head, h.eventHead())
	}
}

func TestSearchEndpoint(t *testing.T) {
	h := start(t, time.Second, 20000)
	a := h.newSession()
	h.send(a.ID, "/echo the durable zebra <b>crossing</b>", "")
	h.settle(a.ID)
	b := h.newSession()
	h.send(b.ID, "/echo 数据库的心跳检测", "")
	h.settle(b.ID)
	h.jsonDo("PATCH", "/api/sessions/"+b.ID, `{"archived":true}`, 200, nil)

	var res struct {
		Titles []struct {
			Session fullSession `json:"session"`
		} `json:"titles"`
		Groups []struct {
			Session fullSession `json:"session"`
			Hits    []struct {
				MessageID string `json:"message_id"`
				SessionID string `json:"session_id"`
				Role      string `json:"role"`
				Snippet   []struct {
					Text  string `json:"text"`
					Match bool   `json:"match"`
				} `json:"snippet"`
			} `json:"hits"`
		} `json:"groups"`
		NextCursor *string `json:"next_cursor"`
		Partial    bool    `json:"partial"`
	}
	h.jsonDo("GET", "/api/search?q="+url.QueryEscape("ZEBRA"), "", 200, &res)
	if len(res.Groups) != 1 || res.Groups[0].Session.ID != a.ID || len(res.Groups[0].Hits) != 2 || res.NextCursor != nil {
		t.Fatalf("search: %+v", res)
	}
	hit := res.Groups[0].Hits[0]
	var marked, whole string
	for _, s := range hit.Snippet {
		whole += s.Text
		if s.Match {
			marked += s.Text
		}
	}
	if marked != "zebra" || !strings.Contains(whole, "<b>crossing</b>") || hit.Role != "assistant" {
		t.Fatalf("snippet %+v (the newest hit, the answer, comes first)", hit)
	}
	// Archived chats are found (and say so); the title is found too.
	h.jsonDo("GET", "/api/search?q="+url.QueryEscape("心跳"), "", 200, &res)
	if len(res.Groups) != 1 || !res.Groups[0].Session.Archived || len(res.Titles) != 1 {
		t.Fatalf("search in an archived chat: %+v", res)
	}

	// Hostile queries get an answer, never a 500.
	for _, q := range []string{`"`, `"unbalanced`, `a"b"c"`, `AND OR NOT`, `zebra*`, `NEAR(zebra durable)`, `^zebra`, `content:zebra`,
		`(zebra`, `{zebra}`, `-zebra`, `+`, `the of a`, `%_\`, "zebra\x00", "\u202e", "😀", strings.Repeat("ab ", 66)} {
		resp, body := h.do("GET", "/api/search?q="+url.QueryEscape(q), "")
		if resp.StatusCode != 200 || !json.Valid(body) {
			t.Errorf("query %q: %d %s", q, resp.StatusCode, body)
		}
	}
	wantError(t, h, "GET", "/api/search?q="+strings.Repeat("x", 10_000), "", 400, "query_too_long")
	wantError(t, h, "GET", "/api/search?q=", "", 400, "bad_request")
	wantError(t, h, "GET", "/api/search?q=%20%20", "", 400, "bad_request")
	wantError(t, h, "GET", "/api/search?q=zebra&cursor=nonsense", "", 400, "bad_request")
	wantError(t, h, "GET", "/api/search?q=zebra&limit=x", "", 400, "bad_request")
	wantError(t, h, "POST", "/api/search?q=zebra", "", 405, "method_not_allowed")
}

func TestSessionsEndpoint(t *testing.T) {
	h := start(t, time.Second, 20000)
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, h.newSession().ID)
		time.Sleep(2 * time.Millisecond) // distinct activity times
	}
	list := func(query string) ([]fullSession, *string) {
		var out struct {
			Sessions   []fullSession `json:"sessions"`
			NextCursor *string       `json:"next_cursor"`
		}
		hdr := h.jsonDo("GET", "/api/sessions"+query, "", 200, &out)
		if hdr.Get("X-Event-Head") == "" {
			t.Fatal("no X-Event-Head")
		}
		return out.Sessions, out.NextCursor
	}
	var seen []string
	query := "?limit=3"
	for pages := 0; ; pages++ {
		page, next := list(query)
		for _, s := range page {
			seen = append(seen, s.ID)
		}
		if next == nil {
			break
		}
		query = "?limit=3&cursor=" + url.QueryEscape(*next)
	}
	if len(seen) != 7 || seen[0] != ids[6] || seen[6] != ids[0] {
		t.Fatalf("paged list %v; want newest first %v", seen, ids)
	}
	// Pin goes first, archive leaves the list and is listed apart, restore.
	var s fullSession
	h.jsonDo("PATCH", "/api/sessions/"+ids[0], `{"pinned":true}`, 200, &s)
	if !s.Pinned {
		t.Fatalf("pin: %+v", s)
	}
	h.jsonDo("PATCH", "/api/sessions/"+ids[3], `{"archived":true}`, 200, nil)
	all, _ := list("")
	if len(all) != 6 || all[0].ID != ids[0] {
		t.Fatalf("after pin and archive: first %s of %d", all[0].ID, len(all))
	}
	archived, _ := list("?archived=1")
	if len(archived) != 1 || archived[0].ID != ids[3] || !archived[0].Archived {
		t.Fatalf("archived list %+v", archived)
	}
	h.jsonDo("PATCH", "/api/sessions/"+ids[3], `{"archived":false}`, 200, nil)
	if all, _ = list(""); len(all) != 7 {
		t.Fatalf("restored: %d", len(all))
	}

	// Per-chat settings: set, clear with null, refuse out of range.
	h.jsonDo("PATCH", "/api/sessions/"+ids[1], `{"temperature":0,"top_p":0.9,"max_tokens":256,"title":"Mine"}`, 200, &s)
	if s.Temperature == nil || *s.Temperature != 0 || *s.TopP != 0.9 || *s.MaxTokens != 256 || s.TitleSource != "user" {
		t.Fatalf("settings: %+v", s)
	}
	h.jsonDo("PATCH", "/api/sessions/"+ids[1], `{"temperature":null}`, 200, &s)
	if s.Temperature != nil || s.TopP == nil {
		t.Fatalf("null clears only that: %+v", s)
	}
	var created fullSession
	h.jsonDo("POST", "/api/sessions", `{"max_tokens":64}`, 201, &created)
	if created.MaxTokens == nil || *created.MaxTokens != 64 || created.TitleSource != "auto" || created.CurrentLeafID != nil {
		t.Fatalf("created %+v", created)
	}
	for _, body := range []string{`{"temperature":3}`, `{"top_p":1.5}`, `{"max_tokens":0}`, `{"temperature":"hot"}`, `{"pinned":"yes"}`} {
		wantError(t, h, "PATCH", "/api/sessions/"+ids[1], body, 400, "bad_request")
	}
	wantError(t, h, "GET", "/api/sessions?cursor=!!", "", 400, "bad_request")
	wantError(t, h, "GET", "/api/sessions?cursor=bm9wZQ", "", 400, "bad_request")
	wantError(t, h, "GET", "/api/sessions?archived=maybe", "", 400, "bad_request")
	wantError(t, h, "GET", "/api/sessions?limit=0", "", 400, "bad_request")
}

// The first answer names the chat; a rename wins for good.
func TestGeneratedTitle(t *testing.T) {
	h := start(t, time.Second, 20000)
	sess := h.newSession()
	h.send(sess.ID, "Wie funktioniert das Speichern von Antworten in dieser App genau?", "")
	h.settle(sess.ID)
	deadline := time.Now().Add(10 * time.Second)
	for h.getSession(sess.ID).TitleSource != "generated" {
		if time.Now().After(deadline) {
			t.Fatalf("no generated title: %+v", h.getSession(sess.ID))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := h.getSession(sess.ID).Title; got != "Wie funktioniert das Speichern von Antworten in dieser" {
		t.Fatalf("title %q; want the demo's (its first eight words, in the chat's language)", got)
	}
}

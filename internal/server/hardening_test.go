package server_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

type apiError struct {
	Error struct{ Code, Message string }
}

// A search query is bounded, on the session list's filter and on
// /api/search alike: a long one is a 400 with a short JSON error naming
// the limit, not a 500 from the database; one at the limit is searched.
func TestSearchQueryBounded(t *testing.T) {
	h := start(t, time.Second, 1000)
	sess := h.newSession()
	h.send(sess.ID, "/echo needle in a haystack", "c1")
	cases := []struct {
		name   string
		q      string
		status int
	}{
		{"100,000 characters", strings.Repeat("%_", 50_000), 400},
		{"201 characters", strings.Repeat("a", 201), 400},
		{"201 Chinese characters", strings.Repeat("针", 201), 400},
		{"200 Chinese characters", strings.Repeat("针", 200), 200},
		{"200 characters and spaces around", "   " + strings.Repeat("a", 200) + "  ", 200},
		{"not UTF-8", "needle\xff", 200},
		{"a word", "needle", 200},
	}
	for _, path := range []string{"/api/sessions", "/api/search"} {
		for _, tc := range cases {
			t.Run(path+" "+tc.name, func(t *testing.T) {
				resp, body := h.do("GET", path+"?"+url.Values{"q": {tc.q}}.Encode(), "")
				if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
					t.Fatalf("%d %s %.200s; want %d JSON", resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.status)
				}
				if tc.status == 400 {
					var e apiError
					if json.Unmarshal(body, &e) != nil || e.Error.Code != "query_too_long" || !strings.Contains(e.Error.Message, "200") || len(body) > 300 {
						t.Fatalf("body %.300s; want a short query_too_long naming the limit", body)
					}
				}
			})
		}
	}
	var found struct{ Sessions []session }
	h.jsonDo("GET", "/api/sessions?q=needle", "", 200, &found)
	if len(found.Sessions) != 1 {
		t.Fatalf("search found %d sessions; want 1", len(found.Sessions))
	}
}

// The token goes in `Authorization: Bearer T`; the scheme is required
// (any case, as RFC 9110 has it), and a bare token is refused.
func TestBearerRequired(t *testing.T) {
	h := start(t, time.Second, 1000)
	cases := []struct {
		auth   string
		status int
	}{
		{"Bearer " + token, 200},
		{"bearer " + token, 200},
		{"BEARER " + token, 200},
		{token, 401},
		{"Basic " + token, 401},
		{"Token " + token, 401},
		{"Bearer", 401},
		{"Bearer  " + token, 401},
		{"Bearer " + token + " extra", 401},
		{"Bearer" + token, 401},
	}
	for _, tc := range cases {
		resp, body := h.do("GET", "/api/health", "", "Authorization", tc.auth)
		var e apiError
		if resp.StatusCode != tc.status || (tc.status == 401 && (json.Unmarshal(body, &e) != nil || e.Error.Code != "unauthorized")) {
			t.Errorf("Authorization %q: %d %s; want %d", tc.auth, resp.StatusCode, body, tc.status)
		}
	}
	// A header that is there but wrong is not rescued by a right ?token=.
	if resp, _ := h.do("GET", "/api/health?token="+token, "", "Authorization", token); resp.StatusCode != 401 {
		t.Errorf("bare token in the header with ?token=: %d; want 401", resp.StatusCode)
	}
}

// An unknown id is never repeated whole: a 10,000-character one in any
// path, or a long model name in a body, comes back clipped.
func TestLongIDsClippedInErrors(t *testing.T) {
	h := start(t, time.Second, 1000)
	long := "s_" + strings.Repeat("X", 10_000)
	cases := []struct{ method, path, body string }{
		{"GET", "/api/sessions/" + long, ""},
		{"PATCH", "/api/sessions/" + long, `{"title":"x"}`},
		{"DELETE", "/api/sessions/" + long, ""},
		{"GET", "/api/sessions/" + long + "/messages", ""},
		{"POST", "/api/sessions/" + long + "/messages", `{"content":"hi"}`},
		{"GET", "/api/sessions/" + long + "/export", ""},
		{"POST", "/api/messages/" + long + "/stop", ""},
		{"POST", "/api/messages/m_1/" + long, ""},
		{"POST", "/api/streams/" + long + "/pause", ""},
		{"GET", "/api/" + long, ""},
		{"POST", "/api/sessions", `{"model":"nope/` + strings.Repeat("m", 100_000) + `"}`},
	}
	for _, tc := range cases {
		resp, body := h.do(tc.method, tc.path, tc.body)
		var e apiError
		if resp.StatusCode < 400 || json.Unmarshal(body, &e) != nil || e.Error.Code == "" {
			t.Errorf("%s %.60s: %d %.200s; want a JSON error", tc.method, tc.path, resp.StatusCode, body)
			continue
		}
		if len(body) > 1200 || strings.Contains(string(body), strings.Repeat("X", 200)) {
			t.Errorf("%s %.60s: %d-byte answer repeats the id: %.300s", tc.method, tc.path, len(body), body)
		}
	}
}

// Every /api path answers JSON: no redirect from the mux's path
// cleaning, no plain-text body, a JSON 404 or 405 for what does not exist.
func TestEveryAPIPathAnswersJSON(t *testing.T) {
	h := start(t, time.Second, 1000)
	sess := h.newSession()
	cases := []struct {
		method, target string
		status         int
	}{
		{"GET", "/api", 404},
		{"GET", "/api/", 404},
		{"GET", "/api//health", 404},
		{"GET", "/api/./health", 404},
		{"GET", "/api/sessions/../health", 404},
		{"GET", "/api/sessions/%2e%2e/health", 404},
		{"GET", "/api/health/", 404},
		{"GET", "/api/health/.", 404},
		{"GET", "/api/sessions/", 404},
		{"GET", "/api/sessions//messages", 404},
		{"GET", "/api/sessions/" + sess.ID + "/", 404},
		{"GET", "/api/sessions/" + sess.ID + "/messages/", 404},
		{"GET", "/api/messages/m_1", 405}, // only DELETE there
		{"GET", "/api/messages/m_1/stop/x", 404},
		{"GET", "/api/search/", 404},
		{"GET", "/api/nothing?x=%zz", 404},
		{"POST", "/api/health", 405},
		{"DELETE", "/api/events", 405},
		{"PUT", "/api/sessions", 405},
		{"GET", "/api/messages/m_1/stop", 405},
		{"OPTIONS", "/api/sessions", 405}, // no Origin: not a CORS preflight
		{"BREW", "/api/sessions", 405},
		{"GET", "/api/sessions?q=%zz", 200},
	}
	for _, tc := range cases {
		// A raw socket: Go's client would clean some of these paths.
		resp, body := h.raw(tc.method + " " + tc.target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\nConnection: close\r\n\r\n")
		var e apiError
		ok := resp.StatusCode == tc.status && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") &&
			resp.Header.Get("X-Content-Type-Options") == "nosniff"
		if tc.status >= 400 {
			ok = ok && json.Unmarshal([]byte(body), &e) == nil && e.Error.Code != ""
		}
		if !ok {
			t.Errorf("%s %s: %d %s %q; want %d JSON", tc.method, tc.target, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.status)
		}
	}
	// Without the token, an unclean path is refused like any other.
	resp, _ := h.raw("GET /api//health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 401 {
		t.Errorf("unclean path without a token: %d; want 401", resp.StatusCode)
	}
}

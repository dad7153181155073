package llm

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	tests := []struct {
		name   string
		header []string
		want   time.Duration
	}{
		{"seconds", []string{"Retry-After", "30"}, 30 * time.Second},
		{"fractional seconds", []string{"Retry-After", "1.5"}, 1500 * time.Millisecond},
		{"date against the local clock", []string{"Retry-After", now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second},
		{"date against the answer's Date", []string{"Retry-After", "Wed, 01 Jan 2025 00:01:00 GMT", "Date", "Wed, 01 Jan 2025 00:00:00 GMT"}, time.Minute},
		{"date in the past", []string{"Retry-After", now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		{"milliseconds win", []string{"Retry-After-Ms", "1200", "Retry-After", "2"}, 1200 * time.Millisecond},
		{"negative", []string{"Retry-After", "-5"}, 0},
		{"garbage", []string{"Retry-After", "soon"}, 0},
		{"absent", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for i := 0; i+1 < len(tt.header); i += 2 {
				h.Set(tt.header[i], tt.header[i+1])
			}
			if got := parseRetryAfter(h, now); got != tt.want {
				t.Errorf("parseRetryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseErrorBody(t *testing.T) {
	tests := []struct {
		body     string
		typ, msg string
		code     int
	}{
		{`{"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}}`, "invalid_request_error/invalid_api_key", "bad key", 0},
		{`{"error":{"message":"quota","type":"insufficient_quota","code":"insufficient_quota"}}`, "insufficient_quota", "quota", 0},
		{`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, "overloaded_error", "Overloaded", 0},
		{`{"error":{"code":502,"message":"Provider returned error"}}`, "", "Provider returned error", 502},
		{`{"error":"model not found"}`, "", "model not found", 0},
		{`{"object":"error","message":"too long","type":"BadRequestError","code":400}`, "BadRequestError", "too long", 400},
		{`{"detail":"Not Found"}`, "", "Not Found", 0},
		{"404 page not found\n", "", "404 page not found", 0},
		{"", "", "", 0},
	}
	for _, tt := range tests {
		typ, msg, code := parseErrorBody([]byte(tt.body))
		if typ != tt.typ || msg != tt.msg || code != tt.code {
			t.Errorf("parseErrorBody(%s) = %q, %q, %d; want %q, %q, %d", tt.body, typ, msg, code, tt.typ, tt.msg, tt.code)
		}
	}
}

func TestErrorClassificationHelpers(t *testing.T) {
	auth := &Error{Provider: "p", Kind: KindAuth, Message: "m"}
	wrapped := fmt.Errorf("chat: %w", auth)
	if !IsAuth(wrapped) || IsTransient(wrapped) || IsTimeout(wrapped) || KindOf(wrapped) != KindAuth {
		t.Error("classification does not see through wrapping")
	}
	for _, err := range []error{nil, errors.New("plain"), fmt.Errorf("x: %w", ErrTruncated)} {
		if KindOf(err) != "" || IsAuth(err) || IsTransient(err) {
			t.Errorf("KindOf(%v) = %q, want none", err, KindOf(err))
		}
	}
	tr := truncatedError("p", "why", errors.New("cause"))
	if !errors.Is(tr, ErrTruncated) || KindOf(tr) != KindTruncated {
		t.Errorf("truncatedError = %v", tr)
	}
}

// Base URLs may carry secrets in user info or the query; messages never
// show them.
func TestDisplayURLHidesSecrets(t *testing.T) {
	tests := map[string]string{
		"https://user:s3cret@example.com/v1?api-key=s3cret": "https://example.com/v1",
		"http://127.0.0.1:11434/v1/":                        "http://127.0.0.1:11434/v1",
		"::bad":                                             "the server",
	}
	for in, want := range tests {
		if got := displayURL(in); got != want {
			t.Errorf("displayURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLongErrorBodyIsClipped(t *testing.T) {
	page := "<html>x" + strings.Repeat("é", 2000) + "</html>"
	_, msg, _ := parseErrorBody([]byte(page))
	if len(msg) > 510 || !strings.HasSuffix(msg, "…") || !utf8.ValidString(msg) {
		t.Errorf("message of %d bytes, valid UTF-8 %v: %q…", len(msg), utf8.ValidString(msg), msg[:20])
	}
}

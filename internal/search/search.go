// Package search answers GET /api/search: it parses a query, asks the
// store's full-text index for messages and titles, groups the hits by chat
// and cuts a plain-text snippet around each match.
package search

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// Page sizes.
const (
	DefaultLimit = 30
	MaxLimit     = 100
	// MaxTitles is how many title matches the first page carries.
	MaxTitles = 20
)

// ErrBadCursor means a cursor was not one a search handed out.
var ErrBadCursor = errors.New("bad search cursor")

// Store is what a search reads.
type Store interface {
	SearchMessages(ctx context.Context, r store.SearchRequest) (store.SearchPage, error)
	SearchTitles(ctx context.Context, q store.Query, limit int) ([]store.Session, error)
	GetSessions(ctx context.Context, ids []string) (map[string]store.Session, error)
}

var _ Store = (*store.Store)(nil)

// Service runs searches.
type Service struct {
	Store Store
}

// Result is one page of a search (the JSON of GET /api/search).
type Result struct {
	Query      string       `json:"query"`
	Titles     []TitleMatch `json:"titles"`
	Groups     []Group      `json:"groups"`
	NextCursor *string      `json:"next_cursor"`
	Partial    bool         `json:"partial"`
	// Indexing is how many messages of imported chats wait for the search
	// index (the background indexer is at work): they are searched all
	// the same, by their text, so results are complete, only slower.
	Indexing int `json:"indexing"`
}

// TitleMatch is a chat whose title matches.
type TitleMatch struct {
	Session store.Session `json:"session"`
	Title   []Segment     `json:"title"`
}

// Group is the hits of one chat on a page.
type Group struct {
	Session store.Session `json:"session"`
	Hits    []Hit         `json:"hits"`
}

// Hit is one message found.
type Hit struct {
	MessageID string     `json:"message_id"`
	SessionID string     `json:"session_id"`
	Role      store.Role `json:"role"`
	CreatedAt string     `json:"created_at"`
	Snippet   []Segment  `json:"snippet"`
	// File is the name of the attached file that matched, when the
	// message's text did not; Snippet is then from the file's name and
	// text.
	File string `json:"file,omitempty"`
}

// Search runs one page of a search. cursor is "" for the first page or a
// Result.NextCursor; limit 0 means DefaultLimit. Bad input comes back as
// store.ErrEmptyQuery, store.ErrQueryTooLong or ErrBadCursor.
func (s Service) Search(ctx context.Context, text, cursor string, limit int) (Result, error) {
	q, err := store.ParseQuery(text)
	if err != nil {
		return Result{}, err
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	var before int64
	if cursor != "" {
		if before, err = parseCursor(cursor); err != nil {
			return Result{}, err
		}
	}
	res := Result{Query: strings.TrimSpace(text), Titles: []TitleMatch{}, Groups: []Group{}}
	if cursor == "" {
		titles, err := s.Store.SearchTitles(ctx, q, MaxTitles)
		if err != nil {
			return Result{}, err
		}
		for _, sess := range titles {
			res.Titles = append(res.Titles, TitleMatch{Session: sess, Title: Highlight(sess.Title, q.Terms)})
		}
	}
	page, err := s.Store.SearchMessages(ctx, store.SearchRequest{Query: q, Limit: limit, Before: before})
	if err != nil {
		return Result{}, err
	}
	res.Partial = page.Partial
	res.Indexing = page.Pending
	if page.Next > 0 {
		c := formatCursor(page.Next)
		res.NextCursor = &c
	}
	var ids []string
	at := map[string]int{}
	for _, h := range page.Hits {
		if _, ok := at[h.SessionID]; !ok {
			at[h.SessionID] = len(res.Groups)
			res.Groups = append(res.Groups, Group{Session: store.Session{ID: h.SessionID}, Hits: []Hit{}})
			ids = append(ids, h.SessionID)
		}
		g := &res.Groups[at[h.SessionID]]
		text := h.Content
		if h.File != "" {
			text = h.File + "\n" + h.Content
		}
		g.Hits = append(g.Hits, Hit{MessageID: h.MessageID, SessionID: h.SessionID, Role: h.Role,
			CreatedAt: h.CreatedAt.Format("2006-01-02T15:04:05.000Z07:00"), Snippet: Snippet(text, q.Terms, SnippetRunes), File: h.File})
	}
	sessions, err := s.Store.GetSessions(ctx, ids)
	if err != nil {
		return Result{}, err
	}
	kept := res.Groups[:0]
	for _, g := range res.Groups {
		if sess, ok := sessions[g.Session.ID]; ok { // deleted since: drop
			g.Session = sess
			kept = append(kept, g)
		}
	}
	res.Groups = kept
	return res, nil
}

func formatCursor(n int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("m" + strconv.FormatInt(n, 10)))
}

func parseCursor(c string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) < 2 || raw[0] != 'm' {
		return 0, fmt.Errorf("%w: %q", ErrBadCursor, c)
	}
	n, err := strconv.ParseInt(string(raw[1:]), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: %q", ErrBadCursor, c)
	}
	return n, nil
}

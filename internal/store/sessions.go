package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadCursor means a page cursor was not one this store handed out.
var ErrBadCursor = errors.New("bad page cursor")

// maxSessionPage bounds one page of sessions.
const maxSessionPage = 500

// SessionQuery asks for one page of sessions: pinned first, then most
// recent activity first, ties broken by id.
type SessionQuery struct {
	Limit    int    // 1..500; 0 means 100
	Cursor   string // from the previous page's NextCursor; "" for the first page
	Archived bool   // only archived sessions (default: only the others)
	// AllArchived lists archived and other sessions together (exports).
	AllArchived bool
	// Query keeps sessions whose title or messages match (ParseQuery's rules).
	Query string
}

// SessionPage is one page of sessions and the event head read with it.
type SessionPage struct {
	Sessions   []Session
	NextCursor string // "" on the last page
	Head       int64
}

// sessionKey is where a page of sessions ends, in the list's order.
type sessionKey struct {
	pinned   int64
	activity int64
	id       string
}

func (k sessionKey) cursor() string {
	raw := strconv.FormatInt(k.pinned, 10) + "." + strconv.FormatInt(k.activity, 10) + "." + k.id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func parseSessionCursor(c string) (sessionKey, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return sessionKey{}, fmt.Errorf("%w: %v", ErrBadCursor, err)
	}
	parts := strings.SplitN(string(raw), ".", 3)
	if len(parts) != 3 || parts[2] == "" {
		return sessionKey{}, fmt.Errorf("%w: %q", ErrBadCursor, c)
	}
	var k sessionKey
	if k.pinned, err = strconv.ParseInt(parts[0], 10, 64); err != nil {
		return sessionKey{}, fmt.Errorf("%w: %q", ErrBadCursor, c)
	}
	if k.activity, err = strconv.ParseInt(parts[1], 10, 64); err != nil {
		return sessionKey{}, fmt.Errorf("%w: %q", ErrBadCursor, c)
	}
	k.id = parts[2]
	return k, nil
}

// SessionsPage reads one page of sessions with the event head from the
// same transaction. The order is a total order on (pinned, activity, id),
// so a cursor resumes exactly after the last session of its page.
func (s *Store) SessionsPage(ctx context.Context, q SessionQuery) (SessionPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, maxSessionPage)
	var after *sessionKey
	if q.Cursor != "" {
		k, err := parseSessionCursor(q.Cursor)
		if err != nil {
			return SessionPage{}, err
		}
		after = &k
	}
	var match *Query
	if strings.TrimSpace(q.Query) != "" {
		pq, err := ParseQuery(q.Query)
		if err != nil {
			return SessionPage{}, err
		}
		match = &pq
	}
	var page SessionPage
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		if page.Head, err = head(ctx, tx); err != nil {
			return err
		}
		sqlq := `SELECT ` + sessionCols + `, s.pinned FROM sessions s`
		var where []string
		var args []any
		if !q.AllArchived {
			// Equality on the index's first column keeps the walk ordered.
			where = append(where, `s.archived = ?`)
			args = append(args, q.Archived)
		}
		if after != nil {
			where = append(where, `(s.pinned, s.last_activity_at, s.id) < (?, ?, ?)`)
			args = append(args, after.pinned, after.activity, after.id)
		}
		if match != nil {
			cond, cargs := match.sessionFilter("s")
			where = append(where, cond)
			args = append(args, cargs...)
		}
		if len(where) > 0 {
			sqlq += ` WHERE ` + strings.Join(where, ` AND `)
		}
		sqlq += ` ORDER BY s.pinned DESC, s.last_activity_at DESC, s.id DESC LIMIT ?`
		args = append(args, limit+1)
		rows, err := tx.QueryContext(ctx, sqlq, args...)
		if err != nil {
			return fmt.Errorf("list sessions: %w", err)
		}
		defer rows.Close()
		page.Sessions = []Session{}
		var last sessionKey
		for rows.Next() {
			if len(page.Sessions) == limit {
				page.NextCursor = last.cursor()
				break
			}
			var pinned int64
			sess, err := scanSession(scanPlus{rows, &pinned})
			if err != nil {
				return err
			}
			page.Sessions = append(page.Sessions, sess)
			last = sessionKey{pinned: pinned, activity: sess.LastActivityAt.UnixMilli(), id: sess.ID}
		}
		return rows.Err()
	})
	return page, err
}

// scanPlus scans a session row followed by extra columns.
type scanPlus struct {
	r     scanner
	extra *int64
}

func (p scanPlus) Scan(dest ...any) error { return p.r.Scan(append(dest, p.extra)...) }

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Search limits.
const (
	// MaxQueryRunes bounds a search query.
	MaxQueryRunes = 200
	// ScanBound is how many messages one page of a search looks at when
	// the index cannot narrow it down (a query of only 1-2 character
	// terms), or how many index matches it filters by short terms.
	ScanBound = 50_000
	// minIndexed is the shortest term the trigram index can find.
	minIndexed = 3
)

// Search errors.
var (
	ErrEmptyQuery    = errors.New("the search query is empty")
	ErrQueryTooLong  = fmt.Errorf("the search query is over %d characters", MaxQueryRunes)
	errNoIndexedTerm = errors.New("no indexed term")
)

// Query is a parsed search: every term must occur in the text, as literal
// text, case-insensitively. Terms of 3+ characters are looked up in the
// trigram index; shorter ones filter what that found (or a bounded scan).
type Query struct {
	Terms []string // every term, in the order given
	long  []string
	short []string
}

// ParseQuery splits text into terms at white space; "double quotes" keep
// a phrase with its spaces together. Nothing else is syntax: FTS5's
// operators, stars, colons and stray quotes are plain text.
func ParseQuery(text string) (Query, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Query{}, ErrEmptyQuery
	}
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	// SQLite ends a string at NUL; no message text holds one anyway.
	text = strings.TrimSpace(strings.ReplaceAll(text, "\x00", " "))
	if text == "" {
		return Query{}, ErrEmptyQuery
	}
	if n := utf8.RuneCountInString(text); n > MaxQueryRunes {
		return Query{}, fmt.Errorf("%w (it has %d)", ErrQueryTooLong, n)
	}
	var q Query
	seen := map[string]bool{}
	add := func(t string) {
		t = strings.TrimSpace(t)
		key := strings.ToLower(t)
		if t == "" || seen[key] {
			return
		}
		seen[key] = true
		q.Terms = append(q.Terms, t)
		if utf8.RuneCountInString(t) >= minIndexed {
			q.long = append(q.long, t)
		} else {
			q.short = append(q.short, t)
		}
	}
	rest := text
	for rest != "" {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" {
			break
		}
		if rest[0] == '"' {
			if end := strings.IndexByte(rest[1:], '"'); end >= 0 {
				add(rest[1 : 1+end])
				rest = rest[2+end:]
				continue
			}
			// An unbalanced quote is just a character of the term.
		}
		end := strings.IndexFunc(rest, unicode.IsSpace)
		if end < 0 {
			end = len(rest)
		}
		add(rest[:end])
		rest = rest[end:]
	}
	if len(q.Terms) == 0 {
		// Only quotes and spaces: search for the text itself.
		add(text)
	}
	return q, nil
}

// Indexed reports whether the index can narrow the search (a term of 3+
// characters); if not, a search scans a bounded number of messages.
func (q Query) Indexed() bool { return len(q.long) > 0 }

// match is the FTS5 expression: every long term as a quoted phrase
// (implicit AND), so no user text is ever read as FTS5 syntax.
func (q Query) match() string {
	parts := make([]string, len(q.long))
	for i, t := range q.long {
		parts[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	return strings.Join(parts, " ")
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// likeAll is a condition that col contains every term in terms.
func likeAll(col string, terms []string) (string, []any) {
	conds := make([]string, len(terms))
	args := make([]any, len(terms))
	for i, t := range terms {
		conds[i] = col + ` LIKE ? ESCAPE '\'`
		args[i] = "%" + escapeLike(t) + "%"
	}
	return strings.Join(conds, " AND "), args
}

// sessionFilter is a condition on sessions alias a: its title or one of
// the ScanBound newest matching messages matches. Used by the session
// list's legacy q parameter (GET /api/search is the search).
func (q Query) sessionFilter(a string) (string, []any) {
	var titleCond, msgCond string
	var titleArgs, msgArgs []any
	if q.Indexed() {
		titleCond = a + `.n IN (SELECT rowid FROM sessions_fts WHERE sessions_fts MATCH ?)`
		titleArgs = []any{q.match()}
		msgCond = a + `.id IN (SELECT m.session_id FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ` +
			strconv.Itoa(ScanBound) + `) f JOIN messages m ON m.n = f.rowid WHERE 1`
		msgArgs = []any{q.match()}
		if len(q.short) > 0 {
			c, args := likeAll("m.content", q.short)
			msgCond += ` AND ` + c
			msgArgs = append(msgArgs, args...)
			c, args = likeAll(a+".title", q.short)
			titleCond = `(` + titleCond + ` AND ` + c + `)`
			titleArgs = append(titleArgs, args...)
		}
		msgCond += `)`
		// Messages waiting for the index are read instead.
		c, args := likeAll("m.content", append(append([]string{}, q.long...), q.short...))
		msgCond = `(` + msgCond + ` OR ` + a + `.id IN (SELECT m.session_id FROM fts_pending p JOIN messages m ON m.n = p.n WHERE m.status <> 'streaming' AND ` + c + `))`
		msgArgs = append(msgArgs, args...)
	} else {
		titleCond, titleArgs = likeAll(a+".title", q.short)
		titleCond = `(` + titleCond + `)`
		c, args := likeAll("m.content", q.short)
		msgCond = a + `.id IN (SELECT m.session_id FROM (SELECT n FROM messages ORDER BY n DESC LIMIT ` + strconv.Itoa(ScanBound) + `) w
			JOIN messages m ON m.n = w.n WHERE m.status <> 'streaming' AND ` + c + `)`
		msgArgs = args
	}
	return `(` + titleCond + ` OR ` + msgCond + `)`, append(titleArgs, msgArgs...)
}

// Hit is one message a search found.
type Hit struct {
	Cursor    int64 // pass back as SearchRequest.Before for the next page
	MessageID string
	SessionID string
	Role      Role
	Content   string
	CreatedAt time.Time
	// File is the name of the message's file that matched ("" when its
	// text did); Content is then that file's text.
	File string
}

// SearchRequest asks for one page of message hits, newest first.
type SearchRequest struct {
	Query  Query
	Limit  int
	Before int64 // a Hit.Cursor or SearchPage.Next; 0 for the first page
}

// SearchPage is one page of hits.
type SearchPage struct {
	Hits []Hit
	// Next continues the search further back; 0 when nothing is left.
	Next int64
	// Partial: the page stopped at ScanBound messages looked at, not
	// because the hits ran out.
	Partial bool
	// Pending is how many messages (of imported chats) wait for the
	// search index. They are found all the same, by reading their text,
	// only more slowly.
	Pending int
}

// SearchMessages finds messages of every chat and branch whose text
// contains every term, newest first. Messages still streaming are not
// searched (they are indexed when they end). Messages waiting for the
// index (imported, see Bulk.DeferIndex) are searched by their text.
//
// Every query walks its source newest first and stops at the page's end:
// the index's matches for long terms, or the messages themselves for a
// query of only short terms. Short terms are checked row by row, so a page
// that has any looks at the ScanBound newest messages below its cursor at
// most, and says so (Partial) when it stopped there.
func (s *Store) SearchMessages(ctx context.Context, r SearchRequest) (SearchPage, error) {
	bounded := len(r.Query.short) > 0
	limit := max(r.Limit, 1)
	var page SearchPage
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		before := r.Before
		if before <= 0 {
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(n), 0) + 1 FROM messages`).Scan(&before); err != nil {
				return fmt.Errorf("search messages: %w", err)
			}
		}
		floor := max(before-ScanBound, 0) // message keys grow by one per message
		var q string
		var args []any
		if r.Query.Indexed() {
			q = `SELECT m.n, m.id, m.session_id, m.role, m.content, m.created_at FROM messages_fts f JOIN messages m ON m.n = f.rowid
				WHERE messages_fts MATCH ? AND f.rowid < ?`
			args = []any{r.Query.match(), before}
			if bounded {
				q += ` AND f.rowid > ?`
				args = append(args, floor)
			}
			q += andLike("m.content", r.Query.short) + ` ORDER BY f.rowid DESC LIMIT ?`
		} else {
			q = `SELECT m.n, m.id, m.session_id, m.role, m.content, m.created_at FROM messages m
				WHERE m.n < ? AND m.n > ? AND m.status <> 'streaming'` + andLike("m.content", r.Query.short) + ` ORDER BY m.n DESC LIMIT ?`
			args = []any{before, floor}
		}
		for _, t := range r.Query.short {
			args = append(args, "%"+escapeLike(t)+"%")
		}
		args = append(args, limit+1)
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("search messages: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var h Hit
			var created int64
			if err := rows.Scan(&h.Cursor, &h.MessageID, &h.SessionID, &h.Role, &h.Content, &created); err != nil {
				return fmt.Errorf("search messages: %w", err)
			}
			h.CreatedAt = time.UnixMilli(created).UTC()
			page.Hits = append(page.Hits, h)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("search messages: %w", err)
		}
		rows.Close()
		if r.Query.Indexed() {
			queued, err := searchQueued(ctx, tx, r.Query, before, floor, bounded, limit+1)
			if err != nil {
				return err
			}
			page.Hits = mergeHits(page.Hits, queued, limit+1)
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM fts_pending`).Scan(&page.Pending); err != nil {
			return fmt.Errorf("search messages: %w", err)
		}
		files, err := searchFiles(ctx, tx, r.Query, before, floor, bounded, limit+1)
		if err != nil {
			return err
		}
		page.Hits = mergeHits(page.Hits, files, limit+1)
		if len(page.Hits) > limit {
			page.Hits = page.Hits[:limit]
			page.Next = page.Hits[limit-1].Cursor
			return nil
		}
		if bounded && floor > 0 {
			// The page ran out at its bound; older messages may match.
			var older int
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM messages WHERE n <= ?)`, floor).Scan(&older); err != nil {
				return fmt.Errorf("search messages: %w", err)
			}
			if older == 1 {
				page.Partial, page.Next = true, floor+1
			}
		}
		return nil
	})
	return page, err
}

// searchQueued finds, among the messages waiting for the search index
// (Bulk.DeferIndex), those below before (and above floor when bounded)
// that hold every term: at most limit, newest first. The index would
// find the same messages once they are in it, except that LIKE folds the
// case of ASCII letters only.
func searchQueued(ctx context.Context, tx *sql.Tx, q Query, before, floor int64, bounded bool, limit int) ([]Hit, error) {
	cond := `p.n < ?`
	args := []any{before}
	if bounded {
		cond += ` AND p.n > ?`
		args = append(args, floor)
	}
	terms := append(append([]string{}, q.long...), q.short...)
	cond += andLike("m.content", terms)
	for _, t := range terms {
		args = append(args, "%"+escapeLike(t)+"%")
	}
	rows, err := tx.QueryContext(ctx, `SELECT m.n, m.id, m.session_id, m.role, m.content, m.created_at FROM fts_pending p JOIN messages m ON m.n = p.n
		WHERE `+cond+` AND m.status <> 'streaming' ORDER BY p.n DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("search messages waiting for the index: %w", err)
	}
	defer rows.Close()
	var out []Hit
	for rows.Next() {
		var h Hit
		var created int64
		if err := rows.Scan(&h.Cursor, &h.MessageID, &h.SessionID, &h.Role, &h.Content, &created); err != nil {
			return nil, fmt.Errorf("search messages waiting for the index: %w", err)
		}
		h.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search messages waiting for the index: %w", err)
	}
	return out, nil
}

// searchFiles finds the files on messages below before (and above
// floor when bounded) whose name and text together hold every term: at
// most limit, newest message first, one hit per message.
func searchFiles(ctx context.Context, tx *sql.Tx, q Query, before, floor int64, bounded bool, limit int) ([]Hit, error) {
	hay := `(ma.name || ' ' || a.text)`
	var cond string
	var args []any
	if q.Indexed() {
		cond = `ma.n IN (SELECT rowid FROM attachments_fts WHERE attachments_fts MATCH ?)`
		args = []any{q.match()}
	} else {
		cond = `1`
	}
	cond += ` AND m.n < ?`
	args = append(args, before)
	if bounded {
		cond += ` AND m.n > ?`
		args = append(args, floor)
	}
	cond += andLike(hay, q.short)
	for _, t := range q.short {
		args = append(args, "%"+escapeLike(t)+"%")
	}
	rows, err := tx.QueryContext(ctx, `SELECT m.n, m.id, m.session_id, m.role, a.text, m.created_at, ma.name
		FROM message_attachments ma JOIN attachments a ON a.id = ma.attachment_id JOIN messages m ON m.id = ma.message_id
		WHERE `+cond+` ORDER BY m.n DESC, ma.position LIMIT ?`, append(args, limit*MaxFilesPerMessage)...)
	if err != nil {
		return nil, fmt.Errorf("search files: %w", err)
	}
	defer rows.Close()
	var out []Hit
	for rows.Next() {
		var h Hit
		var created int64
		if err := rows.Scan(&h.Cursor, &h.MessageID, &h.SessionID, &h.Role, &h.Content, &created, &h.File); err != nil {
			return nil, fmt.Errorf("search files: %w", err)
		}
		if n := len(out); n > 0 && out[n-1].Cursor == h.Cursor {
			continue // the message's first matching file stands for it
		}
		h.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search files: %w", err)
	}
	return out, nil
}

// mergeHits merges two newest-first hit lists into one of at most limit,
// a message once (its text's hit before a file's).
func mergeHits(text, files []Hit, limit int) []Hit {
	if len(files) == 0 {
		return text
	}
	out := make([]Hit, 0, min(limit, len(text)+len(files)))
	i, j := 0, 0
	for len(out) < limit && (i < len(text) || j < len(files)) {
		switch {
		case j >= len(files) || (i < len(text) && text[i].Cursor > files[j].Cursor):
			out = append(out, text[i])
			i++
		case i >= len(text) || files[j].Cursor > text[i].Cursor:
			out = append(out, files[j])
			j++
		default: // the same message
			out = append(out, text[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// MaxFilesPerMessage bounds the files one message carries (the
// attachment service's limit; the store only needs it to size queries).
const MaxFilesPerMessage = 10

// andLike is " AND col LIKE ? ESCAPE '\'" once per term; the caller
// binds the patterns.
func andLike(col string, terms []string) string {
	var b strings.Builder
	for range terms {
		b.WriteString(` AND ` + col + ` LIKE ? ESCAPE '\'`)
	}
	return b.String()
}

// SearchTitles finds sessions (archived ones too) whose title contains
// every term, most recent activity first.
func (s *Store) SearchTitles(ctx context.Context, q Query, limit int) ([]Session, error) {
	var cond string
	var args []any
	if q.Indexed() {
		cond = `s.n IN (SELECT rowid FROM sessions_fts WHERE sessions_fts MATCH ?)`
		args = []any{q.match()}
		if len(q.short) > 0 {
			c, cargs := likeAll("s.title", q.short)
			cond += ` AND ` + c
			args = append(args, cargs...)
		}
	} else {
		cond, args = likeAll("s.title", q.short)
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE `+cond+`
		ORDER BY s.last_activity_at DESC, s.id DESC LIMIT ?`, append(args, max(limit, 1))...)
	if err != nil {
		return nil, fmt.Errorf("search titles: %w", err)
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sess)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search titles: %w", err)
	}
	return out, nil
}

// GetSessions reads sessions by id; unknown ids are left out.
func (s *Store) GetSessions(ctx context.Context, ids []string) (map[string]Session, error) {
	out := make(map[string]Session, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out[sess.ID] = sess
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sessions: %w", err)
	}
	return out, nil
}

// CheckSearchIndex verifies that the search indexes hold exactly the text
// they should (every settled message, every title), using FTS5's own
// integrity check against the content it indexes.
func (s *Store) CheckSearchIndex(ctx context.Context) error {
	for _, table := range []string{"messages_fts", "sessions_fts", "attachments_fts"} {
		if _, err := s.writer.ExecContext(ctx, `INSERT INTO `+table+`(`+table+`, rank) VALUES ('integrity-check', 1)`); err != nil {
			return fmt.Errorf("search index %s: %w", table, err)
		}
	}
	return nil
}

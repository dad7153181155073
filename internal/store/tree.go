package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// A chat is a tree of messages and shows one path through it. Messages
// are grouped in chains (see the 0002 migration): linear runs keyed by
// their first message's row key. A path from a first message to a leaf
// is then a short list of segments (chain, depth range), one per branch
// it takes, and reading any page of it, or asking whether a message is on
// it, costs a query per segment, however long the path is.

// ErrWrongSession means a message named for a chat belongs to another.
var ErrWrongSession = errors.New("the message belongs to another chat")

// node is what walking the tree needs to know of a message.
type node struct {
	n, chain    int64
	id, session string
	parent      string
	selected    string
	depth       int
}

const nodeCols = `n, id, session_id, coalesce(parent_id, ''), depth, chain, coalesce(selected_child_id, '')`

func scanNode(r scanner) (node, error) {
	var nd node
	err := r.Scan(&nd.n, &nd.id, &nd.session, &nd.parent, &nd.depth, &nd.chain, &nd.selected)
	if errors.Is(err, sql.ErrNoRows) {
		return node{}, ErrNotFound
	}
	if err != nil {
		return node{}, fmt.Errorf("scan message: %w", err)
	}
	return nd, nil
}

func nodeByID(ctx context.Context, q queryer, id string) (node, error) {
	nd, err := scanNode(q.QueryRowContext(ctx, `SELECT `+nodeCols+` FROM messages WHERE id=?`, id))
	if err != nil {
		return node{}, fmt.Errorf("message %s: %w", id, err)
	}
	return nd, nil
}

func nodeByN(ctx context.Context, q queryer, n int64) (node, error) {
	nd, err := scanNode(q.QueryRowContext(ctx, `SELECT `+nodeCols+` FROM messages WHERE n=?`, n))
	if err != nil {
		return node{}, fmt.Errorf("message #%d: %w", n, err)
	}
	return nd, nil
}

// segment is the part of a path that runs along one chain.
type segment struct {
	chain    int64
	from, to int // depths, inclusive
}

// segmentsTo is the path from a first message down to leaf, first
// segment first.
func segmentsTo(ctx context.Context, q queryer, leaf node) ([]segment, error) {
	var segs []segment
	cur := leaf
	for {
		start, err := nodeByN(ctx, q, cur.chain)
		if err != nil {
			return nil, fmt.Errorf("walk up from %s: %w", leaf.id, err)
		}
		segs = append(segs, segment{chain: cur.chain, from: start.depth, to: cur.depth})
		if start.parent == "" {
			break
		}
		if cur, err = nodeByID(ctx, q, start.parent); err != nil {
			return nil, fmt.Errorf("walk up from %s: %w", leaf.id, err)
		}
	}
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	return segs, nil
}

func onPath(segs []segment, nd node) bool {
	for _, s := range segs {
		if s.chain == nd.chain && nd.depth >= s.from && nd.depth <= s.to {
			return true
		}
	}
	return false
}

// pathRange reads the messages of a path with depths lo..hi, in order.
func pathRange(ctx context.Context, q queryer, segs []segment, lo, hi int) ([]Message, error) {
	out := []Message{}
	for _, s := range segs {
		a, b := max(lo, s.from), min(hi, s.to)
		if a > b {
			continue
		}
		rows, err := q.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE chain=? AND depth BETWEEN ? AND ? ORDER BY depth`, s.chain, a, b)
		if err != nil {
			return nil, fmt.Errorf("read path: %w", err)
		}
		msgs, err := collectMessages(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, msgs...)
	}
	return out, nil
}

// ancestors reads up to limit messages before nd on its path, oldest
// first, and whether older ones exist.
func ancestors(ctx context.Context, q queryer, nd node, limit int) ([]Message, bool, error) {
	if nd.depth == 0 || limit <= 0 {
		return []Message{}, nd.depth > 0, nil
	}
	segs, err := segmentsTo(ctx, q, nd)
	if err != nil {
		return nil, false, err
	}
	lo := max(0, nd.depth-limit)
	msgs, err := pathRange(ctx, q, segs, lo, nd.depth-1)
	return msgs, lo > 0, err
}

// departure is the first message at or below depth d of a chain whose
// remembered child leaves the chain.
func departure(ctx context.Context, q queryer, chain int64, d int) (node, bool, error) {
	nd, err := scanNode(q.QueryRowContext(ctx, `SELECT `+nodeCols+` FROM messages
		WHERE chain=? AND depth>=? AND selected_child_id IS NOT NULL ORDER BY depth LIMIT 1`, chain, d))
	if errors.Is(err, ErrNotFound) {
		return node{}, false, nil
	}
	return nd, err == nil, err
}

// nextOff is the child a path takes under nd when nd has no child in its
// own chain: the remembered one, else the newest. ok is false for a leaf.
func nextOff(ctx context.Context, q queryer, nd node) (node, bool, error) {
	if nd.selected != "" {
		next, err := nodeByID(ctx, q, nd.selected)
		if err == nil {
			return next, true, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return node{}, false, err
		}
	}
	next, err := scanNode(q.QueryRowContext(ctx, `SELECT `+nodeCols+` FROM messages WHERE parent_id=? ORDER BY id DESC LIMIT 1`, nd.id))
	if errors.Is(err, ErrNotFound) {
		return node{}, false, nil
	}
	return next, err == nil, err
}

// descend follows the remembered path below from down to its leaf. With
// limit > 0 it also reads up to limit messages below from (oldest first)
// and stops there, reporting whether the path goes on.
func descend(ctx context.Context, q queryer, from node, limit int) (msgs []Message, leaf node, more bool, err error) {
	msgs = []Message{}
	cur := from
	for {
		dep, found, err := departure(ctx, q, cur.chain, cur.depth)
		if err != nil {
			return nil, node{}, false, err
		}
		if limit > 0 {
			hi := 1<<31 - 1
			if found {
				hi = dep.depth
			}
			rows, err := q.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE chain=? AND depth>? AND depth<=? ORDER BY depth LIMIT ?`,
				cur.chain, cur.depth, hi, limit-len(msgs)+1)
			if err != nil {
				return nil, node{}, false, fmt.Errorf("read path: %w", err)
			}
			run, err := collectMessages(rows)
			if err != nil {
				return nil, node{}, false, err
			}
			msgs = append(msgs, run...)
			if len(msgs) > limit {
				return msgs[:limit], node{}, true, nil
			}
		}
		end := dep
		if !found {
			end, err = scanNode(q.QueryRowContext(ctx, `SELECT `+nodeCols+` FROM messages WHERE chain=? ORDER BY depth DESC LIMIT 1`, cur.chain))
			if err != nil {
				return nil, node{}, false, fmt.Errorf("read path: %w", err)
			}
		}
		next, ok, err := nextOff(ctx, q, end)
		if err != nil {
			return nil, node{}, false, err
		}
		if !ok {
			return msgs, end, false, nil
		}
		if limit > 0 {
			if len(msgs) == limit {
				return msgs, node{}, true, nil
			}
			m, err := getMessage(ctx, q, next.id)
			if err != nil {
				return nil, node{}, false, err
			}
			msgs = append(msgs, m)
		}
		cur = next
	}
}

// fillSiblings sets Siblings and SiblingIndex on every message.
func fillSiblings(ctx context.Context, q queryer, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	byParent := map[string][]string{}
	var parents []any
	roots := map[string]bool{} // sessions with a first message among msgs
	for _, m := range msgs {
		if m.ParentID == "" {
			roots[m.SessionID] = true
			continue
		}
		if _, ok := byParent[string(m.ParentID)]; !ok {
			byParent[string(m.ParentID)] = nil
			parents = append(parents, string(m.ParentID))
		}
	}
	for len(parents) > 0 {
		batch := parents[:min(len(parents), 500)]
		parents = parents[len(batch):]
		rows, err := q.QueryContext(ctx, `SELECT parent_id, id FROM messages WHERE parent_id IN (?`+strings.Repeat(",?", len(batch)-1)+`) ORDER BY parent_id, id`, batch...)
		if err != nil {
			return fmt.Errorf("read siblings: %w", err)
		}
		for rows.Next() {
			var p, id string
			if err := rows.Scan(&p, &id); err != nil {
				rows.Close()
				return fmt.Errorf("read siblings: %w", err)
			}
			byParent[p] = append(byParent[p], id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read siblings: %w", err)
		}
	}
	rootsOf := map[string][]string{}
	for sess := range roots {
		rows, err := q.QueryContext(ctx, `SELECT id FROM messages WHERE session_id=? AND parent_id IS NULL ORDER BY id`, sess)
		if err != nil {
			return fmt.Errorf("read siblings: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("read siblings: %w", err)
			}
			rootsOf[sess] = append(rootsOf[sess], id)
		}
		rows.Close()
	}
	for i := range msgs {
		m := &msgs[i]
		sibs := byParent[string(m.ParentID)]
		if m.ParentID == "" {
			sibs = rootsOf[m.SessionID]
		}
		idx := 0
		for j, id := range sibs {
			if id == m.ID {
				idx = j
			}
		}
		if len(sibs) == 0 { // not committed yet or gone: itself alone
			sibs = []string{m.ID}
		}
		m.Siblings, m.SiblingIndex = sibs, &idx
	}
	return nil
}

// PageRequest asks for a page of a chat's path. At most one of Before,
// After and Around is set; none means the end of the current path.
type PageRequest struct {
	SessionID             string
	Before, After, Around string
	Limit                 int
}

// Page is a run of consecutive messages of one path, oldest first.
type Page struct {
	Messages []Message `json:"messages"`
	HasMore  bool      `json:"has_more"`  // older messages exist before the first
	HasNewer bool      `json:"has_newer"` // the path goes on after the last
	LeafID   Ref       `json:"leaf_id"`   // the chat's current leaf
	// Current: the page lies on the chat's current path (false for a
	// page through a message on another branch).
	Current bool  `json:"current"`
	Head    int64 `json:"-"` // event head read in the same transaction
}

// PathPage reads a page of a chat's path with siblings filled in.
func (s *Store) PathPage(ctx context.Context, r PageRequest) (Page, error) {
	var page Page
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		if page.Head, err = head(ctx, tx); err != nil {
			return err
		}
		page, err = readPage(ctx, tx, r, page.Head)
		return err
	})
	return page, err
}

// PathTo returns the path from a first message down to id, id included:
// what a provider is shown when answering after it.
func (s *Store) PathTo(ctx context.Context, id string) ([]Message, error) {
	var out []Message
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		nd, err := nodeByID(ctx, tx, id)
		if err != nil {
			return err
		}
		segs, err := segmentsTo(ctx, tx, nd)
		if err != nil {
			return err
		}
		if out, err = pathRange(ctx, tx, segs, 0, nd.depth); err != nil {
			return err
		}
		return fillAttachments(ctx, tx, out)
	})
	return out, err
}

func readPage(ctx context.Context, q queryer, r PageRequest, headSeq int64) (Page, error) {
	page := Page{Head: headSeq, Messages: []Message{}}
	limit := max(r.Limit, 1)
	sess, err := getSession(ctx, q, r.SessionID)
	if err != nil {
		return Page{}, err
	}
	page.LeafID = sess.CurrentLeafID
	var anchor string
	switch {
	case r.Before != "":
		anchor = r.Before
	case r.After != "":
		anchor = r.After
	case r.Around != "":
		anchor = r.Around
	default:
		page.Current = true
		if sess.CurrentLeafID == "" {
			return page, nil
		}
		anchor = string(sess.CurrentLeafID)
	}
	nd, err := nodeByID(ctx, q, anchor)
	if err != nil {
		return Page{}, err
	}
	if nd.session != r.SessionID {
		return Page{}, fmt.Errorf("message %s, chat %s: %w", anchor, r.SessionID, ErrWrongSession)
	}
	var msgs []Message
	switch {
	case r.Before != "":
		msgs, page.HasMore, err = ancestors(ctx, q, nd, limit)
		page.HasNewer = true
	case r.After != "":
		msgs, _, page.HasNewer, err = descend(ctx, q, nd, limit)
		page.HasMore = true
	default:
		// The current leaf, or Around: before it, it, and after it.
		var self Message
		if self, err = getMessage(ctx, q, nd.id); err != nil {
			return Page{}, err
		}
		wantBefore := limit - 1
		if r.Around != "" {
			wantBefore = (limit - 1) / 2
		}
		var below []Message
		if limit-1-wantBefore > 0 {
			below, _, page.HasNewer, err = descend(ctx, q, nd, limit-1-wantBefore)
			if err != nil {
				return Page{}, err
			}
		} else {
			next, _, _, err := descend(ctx, q, nd, 1)
			if err != nil {
				return Page{}, err
			}
			page.HasNewer = len(next) > 0
		}
		// Room the path below did not use goes to the messages above.
		var above []Message
		above, page.HasMore, err = ancestors(ctx, q, nd, limit-1-len(below))
		if err != nil {
			return Page{}, err
		}
		msgs = append(append(above, self), below...)
	}
	if err != nil {
		return Page{}, err
	}
	page.Messages = msgs
	if !page.Current {
		page.Current, err = onCurrentPath(ctx, q, sess, pageTip(msgs, nd))
		if err != nil {
			return Page{}, err
		}
	}
	if err := fillAttachments(ctx, q, page.Messages); err != nil {
		return Page{}, err
	}
	return page, fillSiblings(ctx, q, page.Messages)
}

// pageTip is the deepest message of a page (or the anchor of an empty
// one): the page is on a path exactly when it is.
func pageTip(msgs []Message, anchor node) node {
	if len(msgs) == 0 {
		return anchor
	}
	m := msgs[len(msgs)-1]
	return node{n: m.n, chain: m.chain, id: m.ID, session: m.SessionID, parent: string(m.ParentID), depth: m.Depth}
}

func onCurrentPath(ctx context.Context, q queryer, sess Session, nd node) (bool, error) {
	if sess.CurrentLeafID == "" {
		return false, nil
	}
	leaf, err := nodeByID(ctx, q, string(sess.CurrentLeafID))
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	segs, err := segmentsTo(ctx, q, leaf)
	if err != nil {
		return false, err
	}
	return onPath(segs, nd), nil
}

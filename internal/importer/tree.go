package importer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// maxWarnings caps the warnings kept per conversation; a badly broken file
// should produce a readable summary, not thousands of lines.
const maxWarnings = 20

// draft is what a parser hands to finish: the conversation's metadata and
// its messages in source order, with flags the normaliser acts on. All the
// tree repairs live here so every format gets the same guarantees.
type draft struct {
	conv  Conversation // Messages, CurrentLeafID and Warnings are filled by finish
	nodes []draftNode
	leaf  string // the source's current message, "" when it has none
	// fallbackModel is the conversation's model when none of the messages
	// on the current path names one.
	fallbackModel string
	warnings      []string
}

type draftNode struct {
	Message
	// drop removes the node (a structural root, a hidden message); its
	// children move up to its parent.
	drop bool
	// mergeDown marks a reasoning-only node (ChatGPT's separate "thoughts"
	// message): it is folded into its single assistant child.
	mergeDown bool
	// after links a node to its parent by position (1 + the parent's index
	// in nodes), for sources that are lists: it stays right when ids
	// repeat. 0 means ParentID names the parent.
	after int
}

func (d *draft) add(m Message) *draftNode {
	d.nodes = append(d.nodes, draftNode{Message: m})
	return &d.nodes[len(d.nodes)-1]
}

// addAfter adds m as the child of the node at index prev (-1: a root) and
// returns m's index.
func (d *draft) addAfter(m Message, prev int) (*draftNode, int) {
	m.ParentID = ""
	n := d.add(m)
	n.after = prev + 1
	return n, len(d.nodes) - 1
}

// syntheticMessageID names the i-th message of a conversation whose source
// gave it no id; the same file always yields the same id.
func (d *draft) syntheticMessageID(i int) string {
	if d.conv.SourceID == "" {
		return fmt.Sprintf("#%d", i)
	}
	return fmt.Sprintf("%s/%d", d.conv.SourceID, i)
}

func (d *draft) warnf(format string, args ...any) {
	d.warnings = append(d.warnings, fmt.Sprintf(format, args...))
}

// finish turns a draft into a Conversation whose messages form a proper
// tree: unique ids, no dangling parents, no cycles, parents before
// children, a current leaf that exists. index is the conversation's
// position in the file, for error messages.
func finish(d *draft, index int) (Conversation, error) {
	c := d.conv
	if c.SourceID == "" {
		c.SourceID = syntheticConversationID(d)
	}
	n := len(d.nodes)
	nodes := d.nodes

	// Ids: fill the missing ones deterministically (so a second import of
	// the same file yields the same ids) and rename later duplicates.
	pos := make(map[string]int, n)
	for i := range nodes {
		id := nodes[i].SourceID
		if id == "" {
			id = fmt.Sprintf("%s/%d", c.SourceID, i)
		}
		if _, dup := pos[id]; dup {
			base := id
			for k := 2; ; k++ {
				id = fmt.Sprintf("%s~%d", base, k)
				if _, taken := pos[id]; !taken {
					break
				}
			}
			d.warnf("message id %q appears more than once; the copy is kept as %q", base, id)
		}
		nodes[i].SourceID = id
		pos[id] = i
	}

	// Parent links as indexes; -1 is a root.
	par := make([]int, n)
	for i := range nodes {
		par[i] = -1
		if a := nodes[i].after; a > 0 {
			if a-1 != i && a-1 < n {
				par[i] = a - 1
			}
			continue
		}
		p := nodes[i].ParentID
		if p == "" {
			continue
		}
		j, ok := pos[p]
		switch {
		case !ok:
			d.warnf("message %q points to a parent %q that is not in the export; it starts a new thread", nodes[i].SourceID, p)
		case j == i:
			d.warnf("message %q is its own parent; it starts a new thread", nodes[i].SourceID)
		default:
			par[i] = j
		}
	}
	breakCycles(d, nodes, par)

	// Which nodes survive: drop the marked ones and those with nothing to
	// show, then hang every survivor on its nearest surviving ancestor.
	kept := make([]bool, n)
	for i := range nodes {
		kept[i] = !nodes[i].drop && !isEmpty(&nodes[i].Message)
	}
	anc := keptAncestors(par, kept)
	for i := range nodes {
		if kept[i] {
			par[i] = anc[i]
		}
	}
	leaf := -1
	if d.leaf != "" {
		if j, ok := pos[d.leaf]; ok {
			leaf = j
			if !kept[j] {
				leaf = anc[j]
			}
		} else {
			d.warnf("the current message %q is not in the export; the most recent branch is shown instead", d.leaf)
		}
	}

	mergeReasoning(nodes, par, kept, leaf)
	c.SystemPrompt, leaf = liftSystemPrompt(nodes, par, kept, leaf, c.SystemPrompt)

	order := preorder(par, kept)
	if len(order) == 0 {
		return Conversation{}, &SkippedError{Index: index, SourceID: c.SourceID, Title: c.Title, Reason: "no messages to import"}
	}
	if leaf < 0 {
		leaf = latestLeaf(nodes, par, order)
	}

	fillTimes(&c, nodes, par, order)
	c.Messages = make([]Message, len(order))
	for k, i := range order {
		m := nodes[i].Message
		m.ParentID = ""
		if par[i] >= 0 {
			m.ParentID = nodes[par[i]].SourceID
		}
		c.Messages[k] = m
	}
	c.CurrentLeafID = nodes[leaf].SourceID
	if c.Model == "" {
		for i := leaf; i >= 0; i = par[i] {
			if nodes[i].Role == RoleAssistant && nodes[i].Model != "" {
				c.Model = nodes[i].Model
				break
			}
		}
		if c.Model == "" {
			c.Model = d.fallbackModel
		}
	}
	c.Warnings = capWarnings(d.warnings)
	return c, nil
}

func isEmpty(m *Message) bool {
	return strings.TrimSpace(m.Content) == "" && strings.TrimSpace(m.Reasoning) == "" &&
		m.Error == "" && len(m.Attachments) == 0 && len(m.ToolCalls) == 0
}

// breakCycles cuts every loop in the parent links. Each node has one
// parent, so a walk up from any node meets at most one loop; the loop is cut
// at the member that comes first in the source, which becomes a root.
func breakCycles(d *draft, nodes []draftNode, par []int) {
	const (
		unseen = iota
		walking
		done
	)
	state := make([]uint8, len(par))
	var walk []int
	for i := range par {
		if state[i] != unseen {
			continue
		}
		walk = walk[:0]
		j := i
		for j >= 0 && state[j] == unseen {
			state[j] = walking
			walk = append(walk, j)
			j = par[j]
		}
		if j >= 0 && state[j] == walking {
			k := slices.Index(walk, j)
			first := slices.Min(walk[k:])
			d.warnf("messages %q and %d more point to each other as parents; the loop is cut at %q",
				nodes[first].SourceID, len(walk)-k-1, nodes[first].SourceID)
			par[first] = -1
		}
		for _, w := range walk {
			state[w] = done
		}
	}
}

// keptAncestors returns, for every node, its nearest ancestor that is kept
// (-1 when none). The parent links must be free of cycles.
func keptAncestors(par []int, kept []bool) []int {
	const unknown = -2
	anc := make([]int, len(par))
	for i := range anc {
		anc[i] = unknown
	}
	var stack []int
	for i := range par {
		// Walk up until a node whose answer is known, then unwind.
		j := i
		for j >= 0 && anc[j] == unknown {
			stack = append(stack, j)
			p := par[j]
			if p < 0 {
				anc[j] = -1
				stack = stack[:len(stack)-1]
				break
			}
			if kept[p] {
				anc[j] = p
				stack = stack[:len(stack)-1]
				break
			}
			j = p
		}
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			// par[k] is dropped (else the loop above would have settled k).
			anc[k] = anc[par[k]]
		}
	}
	return anc
}

// mergeReasoning folds reasoning-only nodes into their single assistant
// child, top down, so a chain of thoughts ends up on the answer.
func mergeReasoning(nodes []draftNode, par []int, kept []bool, leaf int) {
	found := false
	for i := range nodes {
		found = found || nodes[i].mergeDown
	}
	if !found {
		return
	}
	children := childLists(par, kept)
	for _, i := range preorder(par, kept) {
		m := &nodes[i]
		if !kept[i] || !m.mergeDown || i == leaf || strings.TrimSpace(m.Content) != "" ||
			len(m.Attachments) > 0 || len(m.ToolCalls) > 0 {
			continue
		}
		ch := children[i]
		if len(ch) != 1 || nodes[ch[0]].Role != RoleAssistant {
			continue
		}
		c := &nodes[ch[0]]
		c.Reasoning = joinNonEmpty("\n\n", m.Reasoning, c.Reasoning)
		if c.Model == "" {
			c.Model = m.Model
		}
		par[ch[0]] = par[i]
		kept[i] = false
		if p := par[i]; p >= 0 {
			children[p] = slices.DeleteFunc(children[p], func(x int) bool { return x == i })
			children[p] = append(children[p], ch[0])
		}
	}
}

// liftSystemPrompt turns system messages at the very start of the
// conversation into its system prompt; their children become roots.
func liftSystemPrompt(nodes []draftNode, par []int, kept []bool, leaf int, prompt string) (string, int) {
	found := false
	for i := range nodes {
		if kept[i] && par[i] < 0 && nodes[i].Role == RoleSystem {
			found = true
			break
		}
	}
	if !found {
		return prompt, leaf
	}
	children := childLists(par, kept)
	lifted := map[string]bool{strings.TrimSpace(prompt): true}
	var queue []int
	for i := range nodes {
		if kept[i] && par[i] < 0 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		if nodes[i].Role != RoleSystem {
			continue
		}
		// Chatbox repeats the prompt at the start of every thread.
		if text := strings.TrimSpace(nodes[i].Content); !lifted[text] {
			lifted[text] = true
			prompt = joinNonEmpty("\n\n", prompt, text)
		}
		kept[i] = false
		for _, c := range children[i] {
			par[c] = -1
			queue = append(queue, c)
		}
		if leaf == i {
			leaf = -1
		}
	}
	return prompt, leaf
}

func childLists(par []int, kept []bool) [][]int {
	children := make([][]int, len(par))
	for i, p := range par {
		if kept[i] && p >= 0 {
			children[p] = append(children[p], i)
		}
	}
	return children
}

// preorder lists the kept nodes depth first, siblings in source order, so
// every parent precedes its children and a branch reads as one run.
func preorder(par []int, kept []bool) []int {
	children := childLists(par, kept)
	var order, stack []int
	for i := len(par) - 1; i >= 0; i-- {
		if kept[i] && par[i] < 0 {
			stack = append(stack, i)
		}
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		order = append(order, i)
		ch := children[i]
		for k := len(ch) - 1; k >= 0; k-- {
			stack = append(stack, ch[k])
		}
	}
	return order
}

// latestLeaf picks the branch to show when the source does not say: the
// leaf written last, the latest in the source on a tie.
func latestLeaf(nodes []draftNode, par []int, order []int) int {
	hasChild := make(map[int]bool, len(order))
	for _, i := range order {
		if par[i] >= 0 {
			hasChild[par[i]] = true
		}
	}
	best := -1
	for _, i := range order {
		if hasChild[i] {
			continue
		}
		if best < 0 || !nodes[i].CreatedAt.Before(nodes[best].CreatedAt) {
			best = i
		}
	}
	return best
}

// fillTimes gives every message and the conversation a time when the
// source left one out: a message inherits its parent's time, a root the
// conversation's; the conversation's times come from its messages.
func fillTimes(c *Conversation, nodes []draftNode, par []int, order []int) {
	var first, last time.Time
	for _, i := range order {
		t := nodes[i].CreatedAt
		if t.IsZero() {
			continue
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = first
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = last
	}
	if c.UpdatedAt.Before(c.CreatedAt) {
		c.UpdatedAt = c.CreatedAt
	}
	for _, i := range order {
		if !nodes[i].CreatedAt.IsZero() {
			continue
		}
		if par[i] >= 0 {
			nodes[i].CreatedAt = nodes[par[i]].CreatedAt
		} else {
			nodes[i].CreatedAt = c.CreatedAt
		}
	}
}

// syntheticConversationID derives a stable id for a conversation the
// source gave none, so importing the same file twice gives the same id.
func syntheticConversationID(d *draft) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d", d.conv.Source, d.conv.Title, d.conv.CreatedAt.UnixNano())
	for i := range d.nodes {
		fmt.Fprintf(h, "\x00%s\x00%s\x00%s", d.nodes[i].SourceID, d.nodes[i].Role, d.nodes[i].Content)
	}
	return "sha256-" + hex.EncodeToString(h.Sum(nil))[:24]
}

func capWarnings(w []string) []string {
	if len(w) <= maxWarnings {
		return w
	}
	out := append([]string(nil), w[:maxWarnings-1]...)
	return append(out, fmt.Sprintf("… and %d more problems of the same kind", len(w)-maxWarnings+1))
}

func joinNonEmpty(sep string, parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(p)
	}
	return b.String()
}

// sourceOrder lists a source's message ids parents first, each node's
// children in the order children gives (only those that name it as their
// parent back), roots in the order of keys. root says whether a node starts
// a tree; nodes no root reaches (cycles, broken links) follow in key order.
// Formats that keep a message map share it so an import never depends on
// Go's map order.
func sourceOrder[S ~string](keys []string, root func(k string) bool, children func(k string) []S, parentOf func(k string) (string, bool)) []string {
	seen := make(map[string]bool, len(keys))
	order := make([]string, 0, len(keys))
	var stack []string
	visit := func(start string) {
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[k] {
				continue
			}
			seen[k] = true
			order = append(order, k)
			ch := children(k)
			for i := len(ch) - 1; i >= 0; i-- {
				c := string(ch[i])
				if p, ok := parentOf(c); ok && !seen[c] && p == k {
					stack = append(stack, c)
				}
			}
		}
	}
	for _, k := range keys {
		if root(k) {
			visit(k)
		}
	}
	for _, k := range keys {
		if !seen[k] {
			visit(k)
		}
	}
	return order
}

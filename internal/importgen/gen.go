// Package importgen writes large, realistic exports of other chat apps
// for tests and benchmarks of importing (no real user data: the text is
// generated).
package importgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Spec shapes a generated ChatGPT export.
type Spec struct {
	Convs     int // conversations
	Msgs      int // user and assistant messages per conversation, branches included (even, >= 4)
	UserLen   int // about how long a user message is, in bytes
	AnswerLen int // about how long an answer is
}

// WriteChatGPT writes a conversations.json shaped like a real ChatGPT
// export: a structural root, a hidden system message, then user/assistant
// turns carrying the metadata real nodes have, and one edited question
// (a branch) per conversation whose current node is the end of the main
// thread. Text is made of varied words so it compresses like prose.
func WriteChatGPT(w io.Writer, spec Spec) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	rnd := uint64(0x9E3779B97F4A7C15)
	words := strings.Fields("the a of to and in is it you that for on with as this was are be at or by an not from but have they which one can your all there when we what so up out if about who get them more some would make like time just him know take people into year good could other than then now look only come its over think also back after use two how our work first well way even new want because any these give day most us")
	text := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			rnd ^= rnd << 13
			rnd ^= rnd >> 7
			rnd ^= rnd << 17
			b.WriteString(words[rnd%uint64(len(words))])
			if rnd%11 == 0 {
				b.WriteString(". ")
			} else {
				b.WriteByte(' ')
			}
		}
		return b.String()
	}
	node := func(id, parent string, children []string, role string, t float64, body string, model string) map[string]any {
		meta := map[string]any{"request_id": "req-" + id, "timestamp_": "absolute", "message_type": nil}
		if role == "assistant" {
			meta["model_slug"] = model
			meta["finish_details"] = map[string]any{"type": "stop", "stop_tokens": []int{200002}}
			meta["is_complete"] = true
			meta["parent_id"] = parent
		}
		return map[string]any{
			"id": id,
			"message": map[string]any{
				"id": id, "author": map[string]any{"role": role, "name": nil, "metadata": map[string]any{}},
				"create_time": t, "update_time": nil,
				"content": map[string]any{"content_type": "text", "parts": []string{body}},
				"status":  "finished_successfully", "end_turn": role == "assistant", "weight": 1.0,
				"metadata": meta, "recipient": "all", "channel": nil,
			},
			"parent": parent, "children": children,
		}
	}
	if _, err := bw.WriteString("["); err != nil {
		return err
	}
	for c := 0; c < spec.Convs; c++ {
		start := 1700000000.0 + float64(c)*3600
		cid := fmt.Sprintf("%08x-0000-4000-8000-%012x", c, c)
		mapping := map[string]any{}
		root, sys := cid+"-root", cid+"-sys"
		mapping[root] = map[string]any{"id": root, "message": nil, "parent": nil, "children": []string{sys}}
		mapping[sys] = map[string]any{"id": sys, "parent": root, "children": []string{},
			"message": map[string]any{"id": sys, "author": map[string]any{"role": "system"}, "create_time": nil,
				"content": map[string]any{"content_type": "text", "parts": []string{""}}, "status": "finished_successfully",
				"metadata": map[string]any{"is_visually_hidden_from_conversation": true}, "recipient": "all"}}
		main := spec.Msgs - 2 // the edited question and its answer make the rest
		ids := make([]string, main)
		for i := range ids {
			ids[i] = fmt.Sprintf("%s-m%d", cid, i)
		}
		branchAt := 2 // the second question is edited once
		parent := sys
		for i, id := range ids {
			role, n := "user", spec.UserLen
			if i%2 == 1 {
				role, n = "assistant", spec.AnswerLen
			}
			var children []string
			if i+1 < len(ids) {
				children = []string{ids[i+1]}
			}
			mapping[id] = node(id, parent, children, role, start+float64(i)*30.5, text(n), "gpt-4o")
			parent = id
		}
		// The edit: a sibling question under the same answer, and its answer.
		prev := mapping[ids[branchAt-1]].(map[string]any)
		eq, ea := cid+"-edit-q", cid+"-edit-a"
		prev["children"] = append(prev["children"].([]string), eq)
		mapping[eq] = node(eq, ids[branchAt-1], []string{ea}, "user", start+1000, text(spec.UserLen), "")
		mapping[ea] = node(ea, eq, nil, "assistant", start+1030, text(spec.AnswerLen), "gpt-4o")
		mapping[sys].(map[string]any)["children"] = []string{ids[0]}

		conv := map[string]any{
			"title": "Generated " + text(20), "create_time": start, "update_time": start + 2000,
			"mapping": mapping, "moderation_results": []any{}, "current_node": ids[len(ids)-1],
			"plugin_ids": nil, "conversation_id": cid, "conversation_template_id": nil, "gizmo_id": nil,
			"is_archived": false, "safe_urls": []string{}, "default_model_slug": "gpt-4o", "id": cid,
		}
		b, err := json.Marshal(conv)
		if err != nil {
			return err
		}
		if c > 0 {
			bw.WriteString(",\n")
		}
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	if _, err := bw.WriteString("]\n"); err != nil {
		return err
	}
	return bw.Flush()
}

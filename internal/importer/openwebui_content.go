package importer

// Open WebUI renders what a model did besides answering into the answer's
// text as <details> blocks (serialize_content_blocks in
// backend/open_webui/utils/middleware.py; the frontend writes the same
// blocks with single-quoted attributes). These functions take them out
// again.

import (
	"encoding/json"
	"html"
	"regexp"
	"strings"
)

var (
	detailsOpen = regexp.MustCompile(`<details\b`)
	htmlAttr    = regexp.MustCompile(`([A-Za-z_][\w-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')`)
	summaryTag  = regexp.MustCompile(`(?s)^\s*<summary>.*?</summary>`)
	thinkStart  = regexp.MustCompile(`(?s)^\s*<(think|thinking)>(.*?)</(?:think|thinking)>`)
)

// splitOpenWebUIContent takes the reasoning and tool call blocks Open WebUI
// embeds in an assistant message out of its text. Other <details> blocks,
// and anything else that looks like HTML, stay in the text.
func splitOpenWebUIContent(s string) (text, reasoning string, calls []ToolCall) {
	var out, thoughts []string
	if m := thinkStart.FindStringSubmatchIndex(s); m != nil {
		thoughts = append(thoughts, strings.TrimSpace(s[m[4]:m[5]]))
		s = s[m[1]:]
	}
	for {
		loc := detailsOpen.FindStringIndex(s)
		if loc == nil {
			out = append(out, s)
			break
		}
		tagEnd := openTagEnd(s, loc[0])
		if tagEnd < 0 {
			out = append(out, s)
			break
		}
		attrs := map[string]string{}
		for _, a := range htmlAttr.FindAllStringSubmatch(s[loc[0]:tagEnd], -1) {
			attrs[strings.ToLower(a[1])] = html.UnescapeString(a[2] + a[3])
		}
		kind := attrs["type"]
		bodyEnd, closeEnd := closingDetails(s, tagEnd)
		if kind != "reasoning" && kind != "tool_calls" && kind != "code_interpreter" || bodyEnd < 0 {
			// Not one of Open WebUI's blocks: keep it as text.
			out = append(out, s[:tagEnd])
			s = s[tagEnd:]
			continue
		}
		out = append(out, s[:loc[0]])
		body := summaryTag.ReplaceAllString(s[tagEnd:bodyEnd], "")
		switch kind {
		case "reasoning":
			thoughts = append(thoughts, unquoteReasoning(body))
		case "tool_calls":
			tc := ToolCall{ID: attrs["id"], Name: attrs["name"], Input: jsonStringValue(attrs["arguments"]), Output: jsonStringValue(attrs["result"])}
			if _, ok := attrs["result"]; !ok {
				tc.Output = jsonStringValue(html.UnescapeString(strings.TrimSpace(body)))
			}
			calls = append(calls, tc)
		case "code_interpreter":
			calls = append(calls, ToolCall{Name: "code_interpreter", Input: strings.TrimSpace(html.UnescapeString(body)), Output: jsonStringValue(attrs["output"])})
		}
		s = s[closeEnd:]
	}
	return strings.TrimSpace(strings.Join(out, "")), strings.TrimSpace(joinNonEmpty("\n\n", thoughts...)), calls
}

// openTagEnd returns the index just past the '>' that closes the tag
// starting at i, skipping quoted attribute values; -1 if it never closes.
func openTagEnd(s string, i int) int {
	var quote byte
	for j := i; j < len(s); j++ {
		c := s[j]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return j + 1
		}
	}
	return -1
}

// closingDetails finds the </details> matching a block whose body starts
// at i, counting nested blocks: the body's end and the index past the tag.
func closingDetails(s string, i int) (bodyEnd, closeEnd int) {
	depth := 1
	for j := i; j < len(s); {
		open := strings.Index(s[j:], "<details")
		end := strings.Index(s[j:], "</details>")
		if end < 0 {
			return -1, -1
		}
		if open >= 0 && open < end {
			depth++
			j += open + len("<details")
			continue
		}
		depth--
		if depth == 0 {
			return j + end, j + end + len("</details>")
		}
		j += end + len("</details>")
	}
	return -1, -1
}

// unquoteReasoning undoes how Open WebUI displays reasoning: every line
// quoted with "> " and, in newer versions, HTML-escaped.
func unquoteReasoning(body string) string {
	lines := strings.Split(strings.Trim(body, "\n"), "\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "&gt;"):
			l = strings.TrimPrefix(l[len("&gt;"):], " ")
		case strings.HasPrefix(l, ">"):
			l = strings.TrimPrefix(l[1:], " ")
		}
		lines[i] = l
	}
	return strings.TrimSpace(html.UnescapeString(strings.Join(lines, "\n")))
}

// jsonStringValue unwraps a value Open WebUI stored as JSON.stringify of a
// string; other JSON is kept as written.
func jsonStringValue(s string) string {
	var v string
	if strings.HasPrefix(strings.TrimSpace(s), `"`) && json.Unmarshal([]byte(s), &v) == nil {
		return v
	}
	return s
}

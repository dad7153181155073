package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// sniffBytes is how much of a document detection reads, and sniffElements
// how many conversations of a list it looks at: the keys that tell the
// formats apart come early, and looking past the first conversation copes
// with one that is broken (a ChatGPT entry without "mapping").
const (
	sniffBytes    = 1 << 20
	sniffElements = 5
)

// DetectError says that no format matched, what each one looks for, and
// what the file looked like instead.
type DetectError struct {
	Tried []string // one line per format: its name and what it looks for
	Found string   // what the start of the file holds
}

func (e *DetectError) Error() string {
	return fmt.Sprintf("could not tell which app exported this file (%s); tried: %s. Choose the format explicitly if you know it",
		e.Found, strings.Join(e.Tried, "; "))
}

// signature describes what a format looks for, for DetectError.
var signatures = map[Format]string{
	FormatChatGPT:      `chatgpt (a list of conversations with "mapping" and "current_node")`,
	FormatClaude:       `claude (a list of conversations with "uuid" and "chat_messages")`,
	FormatOpenWebUI:    `openwebui (a list of chats with a "chat" holding "history")`,
	FormatLibreChat:    `librechat (an object with "conversationId" and "messages" or "messagesTree")`,
	FormatCherryStudio: `cherrystudio (a backup object with "localStorage" and "indexedDB")`,
	FormatChatbox:      `chatbox (a backup object with "session:…" or "chat-sessions" keys)`,
}

// shape is what sniffing saw of a document's start.
type shape struct {
	root  byte                       // '[' or '{'
	empty bool                       // an empty array
	keys  map[string]bool            // keys of the first elements (array) or of the root object
	sub   map[string]map[string]bool // keys one level below, by parent key
	order []string                   // keys in the order seen, for messages
}

func (s *Source) detect() (Format, error) {
	rc, err := s.doc()
	if err != nil {
		return "", fmt.Errorf("read %s: %w", s.docErr, err)
	}
	defer rc.Close()
	prefix, err := io.ReadAll(io.LimitReader(rc, sniffBytes))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", s.docErr, err)
	}
	sh, err := sniff(prefix)
	if err != nil {
		return "", &DetectError{Tried: triedAll(), Found: err.Error()}
	}
	if f := classify(sh); f != "" {
		return f, nil
	}
	return "", &DetectError{Tried: triedAll(), Found: sh.describe()}
}

func triedAll() []string {
	var t []string
	for _, f := range Formats() {
		t = append(t, signatures[f])
	}
	return t
}

func classify(sh *shape) Format {
	k, sub := sh.keys, sh.sub
	has := func(names ...string) bool {
		for _, n := range names {
			if k[n] {
				return true
			}
		}
		return false
	}
	chatHistory := sub["chat"]["history"] || sub["chat"]["messages"]
	switch {
	case has("mapping") || (k["current_node"] && has("conversation_id", "create_time")):
		return FormatChatGPT
	case has("chat_messages"):
		return FormatClaude
	case (k["chat"] && (chatHistory || k["user_id"])) || (k["history"] && has("models", "messages")):
		return FormatOpenWebUI
	case k["conversationId"] && has("messages", "messagesTree"):
		return FormatLibreChat
	}
	if sh.root == '{' {
		if k["indexedDB"] || sub["localStorage"]["persist:cherry-studio"] {
			return FormatCherryStudio
		}
		if has("chat-sessions", "chat-sessions-list", "__exported_items", "__exported_at") {
			return FormatChatbox
		}
		for key := range k {
			if strings.HasPrefix(key, "session:") {
				return FormatChatbox
			}
		}
	}
	return ""
}

// sniff reads the structure at the start of a JSON document: the root
// kind, the keys of the first few elements (or of the root object) and the
// keys one level below them. A document cut off by the prefix is fine.
func sniff(prefix []byte) (*shape, error) {
	prefix = bytes.TrimPrefix(prefix, []byte{0xEF, 0xBB, 0xBF})
	trimmed := bytes.TrimLeft(prefix, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("the file is empty")
	}
	if c := trimmed[0]; c != '[' && c != '{' {
		if c == '<' {
			return nil, fmt.Errorf("it is HTML or XML, not JSON")
		}
		return nil, fmt.Errorf("it is not JSON (starts with %q)", firstRunes(trimmed, 12))
	}
	sh := &shape{root: trimmed[0], keys: map[string]bool{}, sub: map[string]map[string]bool{}}
	// The depth at which the interesting object's keys sit: the first
	// element of an array, or the root object.
	top := 1
	if sh.root == '[' {
		top = 2
	}
	type frame struct {
		object    bool
		expectKey bool
		key       string // the key whose value this frame is
	}
	var stack []frame
	var lastKey string
	sawElement := false
	elements := 0 // complete elements of a list seen so far
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	for {
		tok, err := dec.Token()
		if err != nil {
			break // end of the prefix, or of the document
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if sh.root == '[' && len(stack) == 1 {
					sawElement = true
				}
				stack = append(stack, frame{object: d == '{', expectKey: d == '{', key: lastKey})
				lastKey = ""
			case '}', ']':
				if len(stack) == 0 {
					return sh, nil
				}
				if sh.root == '[' && len(stack) == 1 && !sawElement {
					sh.empty = true
				}
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].expectKey = true
				}
				if sh.root == '[' && len(stack) == 1 {
					if elements++; elements == sniffElements {
						return sh, nil
					}
				}
			}
			continue
		}
		if len(stack) == 0 {
			break
		}
		if sh.root == '[' && len(stack) == 1 {
			if len(sh.keys) == 0 {
				return sh, nil // the first element is not an object
			}
			continue // a scalar later in the list
		}
		f := &stack[len(stack)-1]
		if f.object && f.expectKey {
			key, _ := tok.(string)
			f.expectKey = false
			lastKey = key
			switch len(stack) {
			case top:
				if !sh.keys[key] {
					sh.keys[key] = true
					sh.order = append(sh.order, key)
				}
			case top + 1:
				if sh.sub[f.key] == nil {
					sh.sub[f.key] = map[string]bool{}
				}
				sh.sub[f.key][key] = true
			}
			continue
		}
		lastKey = ""
		if f.object {
			f.expectKey = true
		}
	}
	return sh, nil
}

func (sh *shape) describe() string {
	keys := append([]string(nil), sh.order...)
	if len(keys) > 12 {
		keys = append(keys[:12], "…")
	}
	if len(sh.order) == 0 {
		sort.Strings(keys)
	}
	switch {
	case sh.root == '[' && sh.empty:
		return "it holds an empty list"
	case sh.root == '[' && len(keys) == 0:
		return "it holds a list whose first element is not an object"
	case sh.root == '[':
		return "it holds a list of objects with the keys " + strings.Join(keys, ", ")
	case len(keys) == 0:
		return "it holds an empty object"
	default:
		return "it holds an object with the keys " + strings.Join(keys, ", ")
	}
}

func firstRunes(b []byte, n int) string {
	s := string(b)
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

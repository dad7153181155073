package llm

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
	"unicode/utf8"
)

// EchoPrefix makes the demo provider stream the rest of the prompt verbatim.
const EchoPrefix = "/echo "

// DemoName is the built-in demo provider's name; its one model is "demo".
const DemoName = "demo"

// Demo is the built-in offline provider: the same prompt always yields the
// same answer (a few paragraphs of markdown with a code block), streamed at
// a fixed rate. It can continue from any prefix of its answer, so a
// continued answer equals the uninterrupted one.
type Demo struct {
	// TokensPerSecond is the streaming rate (default 30).
	TokensPerSecond float64
}

var _ Provider = (*Demo)(nil)

// Name is always DemoName.
func (d *Demo) Name() string { return DemoName }

// Demo marks this provider as the offline demo in model lists.
func (d *Demo) Demo() bool { return true }

// CanContinue is true: the demo can continue from any prefix.
func (d *Demo) CanContinue() bool { return true }

// Models is the demo's one model.
func (d *Demo) Models(context.Context) ([]Model, error) {
	return []Model{{ID: "demo", Provider: DemoName, Label: "Demo (offline)"}}, nil
}

// Stream streams the fixed answer to the last user message, after
// req.Prefix when that is set, at TokensPerSecond.
func (d *Demo) Stream(ctx context.Context, req Request, emit func(Chunk) error) (Result, error) {
	if req.Purpose == PurposeTitle {
		title := DemoTitle(firstUser(req.Messages))
		if err := emit(Chunk{Text: title}); err != nil {
			return Result{}, err
		}
		return Result{FinishReason: "stop", Usage: &Usage{InputTokens: countTokens(req), OutputTokens: len(Tokenize(title))}}, nil
	}
	full := demoAcknowledge(req.Messages) + DemoAnswer(lastUser(req.Messages))
	rest := full
	if req.Prefix != "" {
		if strings.HasPrefix(full, req.Prefix) {
			rest = full[len(req.Prefix):]
		} else {
			// Not our own text: carry on from the same length.
			n := min(len(req.Prefix), len(full))
			for n < len(full) && !utf8.RuneStart(full[n]) {
				n++
			}
			rest = full[n:]
		}
	}
	tps := d.TokensPerSecond
	if tps <= 0 {
		tps = 30
	}
	tokens := Tokenize(rest)
	// Pace by the clock, not by sleeps: timers are coarse (about 1 ms), so
	// each tick emits every token that is due by now.
	interval := max(time.Duration(float64(time.Second)/tps), time.Millisecond)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	start := time.Now()
	for sent := 0; sent < len(tokens); {
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-ticker.C:
		}
		due := min(int(time.Since(start).Seconds()*tps)+1, len(tokens))
		if due <= sent {
			continue
		}
		if err := emit(Chunk{Text: strings.Join(tokens[sent:due], "")}); err != nil {
			return Result{}, err
		}
		sent = due
	}
	return Result{
		FinishReason: "stop",
		Usage:        &Usage{InputTokens: countTokens(req), OutputTokens: len(Tokenize(full))},
	}, nil
}

func lastUser(msgs []Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			return msgs[i].Content
		}
	}
	return ""
}

func firstUser(msgs []Message) string {
	for _, m := range msgs {
		if m.Role == "user" {
			return m.Content
		}
	}
	return ""
}

// DemoTitle is the demo's title for a conversation that starts with
// prompt: its first words, at most 8 (16 characters of a text without
// spaces, such as Chinese), in the prompt's own language. A stand-in for
// a model's summary, but deterministic.
func DemoTitle(prompt string) string {
	line := strings.TrimSpace(prompt)
	if rest, ok := strings.CutPrefix(line, EchoPrefix); ok {
		line = strings.TrimSpace(rest)
	}
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = strings.TrimSpace(line[:i])
	}
	words := strings.Fields(line)
	if len(words) > 8 {
		words = words[:8]
	}
	title := strings.Join(words, " ")
	if r := []rune(title); len(words) <= 1 && len(r) > 16 {
		title = string(r[:16])
	}
	if title == "" {
		return "Demo chat"
	}
	return title
}

func countTokens(req Request) int {
	n := len(Tokenize(req.System))
	for _, m := range req.Messages {
		n += len(Tokenize(m.Content))
	}
	return n
}

// Tokenize splits text into word-sized pieces (a word with the spaces after
// it, or one punctuation/newline run) whose concatenation is the text.
func Tokenize(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		boundary := r == ' ' || r == '\n' || r >= 0x2E80 // CJK: one rune a token
		if !boundary && i-start < 12 {
			continue
		}
		// Keep trailing spaces with the word.
		for i < len(s) && s[i] == ' ' {
			i++
		}
		out = append(out, s[start:i])
		start = i
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

var demoTopics = []struct{ title, lang, code, idea string }{
	{"Durable streams", "go", "func (l *Log) Append(ctx context.Context, ev Event) error {\n\t// Persist first, publish second.\n\tif err := l.db.Insert(ctx, ev); err != nil {\n\t\treturn fmt.Errorf(\"append: %w\", err)\n\t}\n\tl.publish(ev)\n\treturn nil\n}",
		"every token is written to SQLite before it is shown, so a crash loses nothing the screen ever held"},
	{"Resuming a stream", "ts", "const res = await fetch(`${base}/api/events`, {\n  headers: { Authorization: `Bearer ${token}`, 'Last-Event-ID': lastId },\n});\nfor await (const ev of parse(res.body)) render(ev);",
		"the client remembers the last event id it rendered and asks for everything strictly after it"},
	{"Heartbeats", "python", "def watchdog(last_seen, heartbeat_ms):\n    # No bytes for 2.5 heartbeats: the socket is probably half-open.\n    return now_ms() - last_seen > 2.5 * heartbeat_ms",
		"a quiet connection is not proof of a live one, so the server speaks every few seconds and the client listens"},
	{"Backoff with jitter", "js", "function delay(attempt) {\n  const cap = 30_000, base = 250;\n  return Math.random() * Math.min(cap, base * 2 ** attempt);\n}",
		"reconnecting clients spread themselves out instead of stampeding a server that just came back"},
}

var demoOpeners = []string{
	"Here is an answer from Holdfast's built-in **demo model**. It runs offline inside the app, so you can see streaming, stopping and resuming before you configure a real provider.",
	"This reply comes from the **demo model** that ships with Holdfast. Nothing leaves your machine; configure a provider in Settings to talk to a real model.",
	"You are chatting with Holdfast's offline **demo model**. Its answers are canned but streamed for real, token by token, through the same durable pipeline a real model uses.",
}

var demoClosers = []string{
	"Try closing the window mid-answer, or pulling the network: when you come back, the answer continues exactly where it stopped.",
	"If the connection drops while this streams, Holdfast resumes from the last event it showed: no gaps, no repeats.",
	"Add an OpenAI-compatible or Anthropic provider in `config.toml` or Settings to get real answers.",
}

// DemoAnswer is the demo provider's full answer to a prompt.
func DemoAnswer(prompt string) string {
	if rest, ok := strings.CutPrefix(prompt, EchoPrefix); ok {
		return rest
	}
	h := fnv.New64a()
	h.Write([]byte(prompt))
	sum := h.Sum64()
	topic := demoTopics[sum%uint64(len(demoTopics))]
	opener := demoOpeners[(sum>>8)%uint64(len(demoOpeners))]
	closer := demoClosers[(sum>>16)%uint64(len(demoClosers))]
	quoted := strings.TrimSpace(prompt)
	if r := []rune(quoted); len(r) > 80 {
		quoted = string(r[:80]) + "…"
	}
	quoted = strings.ReplaceAll(quoted, "\n", " ")
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", opener)
	if quoted != "" {
		fmt.Fprintf(&b, "You asked: *%s*\n\n", escapeMarkdown(quoted))
	}
	fmt.Fprintf(&b, "## %s\n\n", topic.title)
	fmt.Fprintf(&b, "The idea is simple: %s. Three habits make it work:\n\n", topic.idea)
	b.WriteString("1. **Persist, then publish.** Nothing reaches a screen before it reaches the disk.\n")
	b.WriteString("2. **Number everything.** Each event has an id that only grows, so resuming is just \"after id N\".\n")
	b.WriteString("3. **Assume the network lies.** Heartbeats and timeouts turn silent failures into loud ones.\n\n")
	fmt.Fprintf(&b, "A small example:\n\n```%s\n%s\n```\n\n", topic.lang, topic.code)
	b.WriteString(closer)
	return b.String()
}

// escapeMarkdown keeps a quoted prompt from turning into markup.
func escapeMarkdown(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `<`, `&lt;`, `>`, `&gt;`, `[`, `\[`, `]`, `\]`, `#`, `\#`)
	return r.Replace(s)
}

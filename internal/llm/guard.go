package llm

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrNewTurn means a server that was asked to continue an answer started a
// new one instead. The earlier text is kept, nothing of the new answer is
// added, and the user is offered Regenerate.
var ErrNewTurn = errors.New("the server started a new answer instead of continuing this one")

// restartMinRunes is how much of the prefix's beginning a continuation must
// repeat, without repeating all of it, to count as a new answer: enough
// that a chance match of a word or two ("The", "Sure, ") is not one.
const restartMinRunes = 12

// continuationGuard checks the start of a continuation against the prefix
// that was sent, for every kind of provider:
//
//   - Echo. Some servers repeat the prefix at the start of the
//     continuation (llama.cpp's prefill on both its endpoints, LM Studio).
//     When the continuation begins with the whole prefix, or with the whole
//     prefix trimmed of surrounding whitespace (after its own leading
//     whitespace), that part is dropped, so the answer has the earlier
//     text exactly once. Only the whole prefix counts: a continuation that
//     merely shares its first few characters with the prefix ("Th" of
//     "The") is passed on untouched. Output is held back, across as many
//     chunks as it takes, until it either completes the prefix or departs
//     from it.
//   - New turn. A continuation that repeats the beginning of the prefix
//     (restartMinRunes or more) and then departs from it is a new answer
//     that happens to begin like the old one; so is one that opens with
//     reasoning other than an echo of the earlier reasoning when the answer
//     already had visible text (a reasoning model starting its turn
//     afresh), and so is one that, after the echo, begins again with the
//     beginning of the earlier answer or reasoning (restartMinRunes of it;
//     llama.cpp's tiny test model does this when a prefill ends on a token
//     it would not have produced). Either way the stream fails with
//     ErrNewTurn (KindNewTurn) before anything of it is emitted.
//
// When the answer was interrupted while the model was reasoning (no text
// yet), the same rules apply to the reasoning: the echo of the earlier
// reasoning is dropped.
type continuationGuard struct {
	provider string
	emit     func(Chunk) error
	active   bool // still deciding
	// what the continuation is checked against: the text prefix, or the
	// reasoning when the answer had no text yet.
	prefix      string
	inReasoning bool
	reasoning   string // earlier reasoning, for echoes of it while continuing text

	held      strings.Builder // held output of the checked channel
	heldOther []Chunk         // other chunks held meanwhile (signatures, echoed reasoning)
	echoed    bool            // reasoning echo seen and dropped (text phase)
	// After the echo is settled, what follows it is held while it might
	// still be a repeat of the beginning of the earlier text or reasoning.
	echoDone bool
	rest     strings.Builder
}

func newContinuationGuard(provider string, req Request, emit func(Chunk) error) *continuationGuard {
	g := &continuationGuard{provider: provider, emit: emit, reasoning: req.PrefixReasoning}
	switch {
	case req.Prefix != "":
		g.active, g.prefix = true, req.Prefix
	case req.PrefixReasoning != "":
		g.active, g.prefix, g.inReasoning = true, req.PrefixReasoning, true
	}
	return g
}

// feed passes c on, or holds it while the start of the continuation is
// being checked.
func (g *continuationGuard) feed(c Chunk) error {
	if !g.active {
		if c.empty() {
			return nil
		}
		return g.emit(c)
	}
	own, other := c.Text, c.Reasoning
	if g.inReasoning {
		own, other = c.Reasoning, c.Text
	}
	if own == "" && other != "" {
		if g.echoDone {
			return g.checkRepeat(true, c)
		}
		if g.inReasoning {
			// The answer began while the reasoning was still being
			// checked: what was held is not an echo in progress.
			return g.decide(true, c)
		}
		return g.otherFirst(c)
	}
	if c.Signed {
		g.heldOther = append(g.heldOther, Chunk{Signature: c.Signature, Signed: true})
	}
	if own == "" {
		return nil
	}
	if g.echoDone {
		g.rest.WriteString(own)
		return g.checkRepeat(false, Chunk{})
	}
	g.held.WriteString(own)
	return g.decide(false, Chunk{})
}

// otherFirst handles reasoning that arrives while a text continuation is
// being checked.
func (g *continuationGuard) otherFirst(c Chunk) error {
	g.heldOther = append(g.heldOther, Chunk{Reasoning: c.Reasoning})
	var all strings.Builder
	for _, h := range g.heldOther {
		all.WriteString(h.Reasoning)
	}
	got, want := strings.TrimSpace(all.String()), strings.TrimSpace(g.reasoning)
	if want != "" && strings.HasPrefix(want, got) {
		g.echoed = true // the earlier reasoning repeated (llama.cpp does): dropped
		return nil
	}
	return g.newTurn(fmt.Sprintf("it began with reasoning (%q) although the answer already had text", abbreviate(got)))
}

// decide looks at what is held. force: the checked channel has ended
// (the other one began, or the stream ended), so nothing more will
// complete an echo. then is a chunk to pass on after the held output.
func (g *continuationGuard) decide(force bool, then Chunk) error {
	held := g.held.String()
	cut := -1
	lead := len(held) - len(strings.TrimLeftFunc(held, unicode.IsSpace))
	trimmed := strings.TrimSpace(g.prefix)
	// The whole prefix wins over its trimmed form, so wait while the held
	// text may still grow into it.
	switch {
	case strings.HasPrefix(held, g.prefix):
		cut = len(g.prefix)
	case !force && strings.HasPrefix(g.prefix, held):
		return nil // could still become the echo: keep holding
	case trimmed != "" && strings.HasPrefix(held[lead:], trimmed):
		cut = lead + len(trimmed)
	case !force && strings.HasPrefix(trimmed, held[lead:]):
		return nil
	}
	if cut < 0 {
		same := commonRunes(held[lead:], trimmed)
		if same >= restartMinRunes {
			if !force || same < utf8.RuneCountInString(held[lead:]) {
				return g.newTurn(fmt.Sprintf("it began again with %q", abbreviate(held[lead:])))
			}
			// The stream ended inside an echo of the prefix: drop it.
			cut = len(held)
		} else {
			cut = 0
		}
	}
	g.echoDone = true
	g.rest.WriteString(held[cut:])
	return g.checkRepeat(force, then)
}

// checkRepeat looks at what follows the echo: a model that begins its
// answer again after the echo (llama.cpp does when the prefill ends on a
// token it would not have produced there) repeats the beginning of the
// earlier answer or of the earlier reasoning. restartMinRunes of either is
// a new turn; while what came could still grow into that much, it is held.
func (g *continuationGuard) checkRepeat(force bool, then Chunk) error {
	rest := g.rest.String()
	r := strings.TrimLeftFunc(rest, unicode.IsSpace)
	candidates := []string{strings.TrimSpace(g.prefix)}
	if !g.inReasoning {
		candidates = append(candidates, strings.TrimSpace(g.reasoning))
	}
	pending := false
	for _, c := range candidates {
		if utf8.RuneCountInString(c) < restartMinRunes {
			continue
		}
		same := commonRunes(r, c)
		if same >= restartMinRunes {
			return g.newTurn(fmt.Sprintf("after the earlier text it began again with %q", abbreviate(r)))
		}
		if !force && same == utf8.RuneCountInString(r) {
			pending = true // still a beginning of c
		}
	}
	if pending {
		return nil
	}
	g.active = false
	if g.inReasoning {
		if err := g.send(Chunk{Reasoning: rest}); err != nil {
			return err
		}
	} else if err := g.send(Chunk{Text: rest}); err != nil {
		return err
	}
	for _, h := range g.heldOther {
		if h.Reasoning != "" {
			continue // an echo of the earlier reasoning
		}
		if err := g.send(h); err != nil {
			return err
		}
	}
	g.heldOther = nil
	return g.send(then)
}

// flush ends the check when the stream ends.
func (g *continuationGuard) flush() error {
	if !g.active {
		return nil
	}
	if g.echoDone {
		return g.checkRepeat(true, Chunk{})
	}
	if g.held.Len() == 0 {
		g.active = false
		for _, h := range g.heldOther {
			if h.Reasoning == "" {
				if err := g.send(h); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return g.decide(true, Chunk{})
}

func (g *continuationGuard) send(c Chunk) error {
	if c.empty() {
		return nil
	}
	return g.emit(c)
}

func (g *continuationGuard) newTurn(detail string) error {
	return &Error{Provider: g.provider, Kind: KindNewTurn, Type: "new_turn", Err: ErrNewTurn,
		Message: ErrNewTurn.Error() + " (" + detail + "); the earlier text is kept and nothing was added: regenerate the answer, or set this provider's continuation to \"none\" in Settings if this keeps happening"}
}

// commonRunes counts the runes a and b share at their start.
func commonRunes(a, b string) int {
	n := 0
	for a != "" && b != "" {
		ra, sa := utf8.DecodeRuneInString(a)
		rb, sb := utf8.DecodeRuneInString(b)
		if ra != rb {
			break
		}
		n++
		a, b = a[sa:], b[sb:]
	}
	return n
}

// abbreviate shortens s for an error message.
func abbreviate(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

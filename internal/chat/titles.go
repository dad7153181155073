package chat

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// titleTimeout bounds the title request: it is a nicety, and the
// first-words title is already in place.
const titleTimeout = 30 * time.Second

// titleInstruction is the system prompt of a title request.
const titleInstruction = "You name conversations. Reply with a short title for the conversation below: at most six words, " +
	"in the same language as the user's message, with no quotes, no trailing punctuation and nothing else."

// maxTitleInput bounds how much of the conversation a title request sends.
const maxTitleInput = 2000

// wantsTitle reports whether a finished answer should name its chat: the
// first answer of a chat still titled automatically.
func wantsTitle(sess store.Session, m store.Message) bool {
	return m.Status == store.StatusComplete && m.Role == store.RoleAssistant && m.Depth == 1 && sess.TitleSource == store.TitleAuto
}

// nameChat asks the chat's model for a title in the background. A failure
// keeps the first-words title; a rename meanwhile wins.
func (s *Service) nameChat(m store.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.titles.Add(1)
	go func() {
		defer s.titles.Done()
		ctx, cancel := context.WithTimeout(s.base, titleTimeout)
		defer cancel()
		if err := s.generateTitle(ctx, m); err != nil {
			s.log.Info("keeping the first-words title", "session", m.SessionID, "err", err)
		}
	}()
}

func (s *Service) generateTitle(ctx context.Context, m store.Message) error {
	path, err := s.store.PathTo(ctx, m.ID)
	if err != nil {
		return fmt.Errorf("read the conversation: %w", err)
	}
	provider, model, err := s.resolve(m.Model)
	if err != nil {
		return err
	}
	req := llm.Request{Model: model, System: titleInstruction, Purpose: llm.PurposeTitle, MaxTokens: 40}
	for _, h := range path {
		text := h.Content
		if r := []rune(text); len(r) > maxTitleInput {
			text = string(r[:maxTitleInput])
		}
		req.Messages = append(req.Messages, llm.Message{Role: string(h.Role), Content: text})
	}
	req.Messages = append(req.Messages, llm.Message{Role: "user", Content: "Title for this conversation:"})
	var b strings.Builder
	_, err = provider.Stream(ctx, req, func(c llm.Chunk) error {
		if b.Len() < 1000 {
			b.WriteString(c.Text)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("title request: %w", err)
	}
	title := cleanTitle(b.String())
	if title == "" {
		return fmt.Errorf("title request: the model gave no title")
	}
	_, err = s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
		sess, err := tx.GetSession(m.SessionID)
		if err != nil {
			return nil, err
		}
		if sess.TitleSource != store.TitleAuto {
			return nil, nil // renamed meanwhile: the user's title wins
		}
		sess.Title, sess.TitleSource, sess.UpdatedAt = title, store.TitleGenerated, tx.Now()
		if err := tx.UpdateSession(sess); err != nil {
			return nil, err
		}
		return []eventlog.Event{event(sess.ID, EventSessionUpdated, sess)}, nil
	})
	if err != nil {
		return fmt.Errorf("save title: %w", err)
	}
	return nil
}

// cleanTitle keeps the first line of a model's title, without the quotes,
// markup and full stops models like to add (a question keeps its mark),
// at most 80 characters.
func cleanTitle(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(strings.TrimLeft(s, "#*_ "))
	s = strings.TrimPrefix(s, "Title:")
	s = strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("\"'`*_“”‘’「」『』.。:：", r)
	})
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 80 {
		s = strings.TrimSpace(string(r[:80]))
	}
	return s
}

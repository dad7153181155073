package chat

import (
	"context"
	"errors"
	"fmt"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// Sent is the pair a send creates: the user's message and the assistant
// placeholder that streams the answer.
type Sent struct {
	User      store.Message `json:"user"`
	Assistant store.Message `json:"assistant"`
	// Created is false when the client_id was seen before and the earlier
	// pair is returned instead (nothing new is started).
	Created bool `json:"-"`
}

// duplicate carries an earlier send out of a transaction.
type duplicate struct{ sent Sent }

func (d *duplicate) Error() string { return "duplicate client_id" }

// SendRequest is one user message.
type SendRequest struct {
	SessionID string
	Content   string
	ClientID  string // makes the send idempotent
	Model     string // "" = the session's model
}

// Send stores the user's message and an assistant placeholder, then starts
// generating. A repeat with the same ClientID returns the first pair.
func (s *Service) Send(ctx context.Context, req SendRequest) (Sent, error) {
	if err := checkContent(req.Content); err != nil {
		return Sent{}, err
	}
	if err := checkText("client_id", req.ClientID, 200); err != nil {
		return Sent{}, err
	}
	if req.Model != "" {
		if err := s.checkModel(req.Model); err != nil {
			return Sent{}, err
		}
	}
	var out Sent
	_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
		sess, err := tx.GetSession(req.SessionID)
		if err != nil {
			return nil, err
		}
		if req.ClientID != "" {
			prev, err := tx.MessageByClientID(req.SessionID, req.ClientID)
			if err == nil {
				asst, _ := tx.MessageAfter(req.SessionID, prev.ID)
				return nil, &duplicate{Sent{User: prev, Assistant: asst}}
			}
			if !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
		}
		model := req.Model
		if model == "" {
			model = sess.Model
		}
		evs, sent, err := insertTurn(tx, sess, req.Content, req.ClientID, model)
		out = sent
		return evs, err
	})
	var dup *duplicate
	if errors.As(err, &dup) {
		return dup.sent, nil
	}
	if err != nil {
		return Sent{}, fmt.Errorf("send message: %w", err)
	}
	out.Created = true
	s.start(out.Assistant, false)
	return out, nil
}

// insertTurn adds a user message and its assistant placeholder, naming the
// session after its first message.
func insertTurn(tx *store.Tx, sess store.Session, content, clientID, model string) ([]eventlog.Event, Sent, error) {
	now := tx.Now()
	user := store.Message{ID: tx.NewID("m_"), SessionID: sess.ID, Role: store.RoleUser, Content: content,
		Status: store.StatusComplete, ClientID: clientID, CreatedAt: now, UpdatedAt: now}
	asst := store.Message{ID: tx.NewID("m_"), SessionID: sess.ID, Role: store.RoleAssistant,
		Status: store.StatusStreaming, Model: model, CreatedAt: now, UpdatedAt: now}
	for _, m := range []store.Message{user, asst} {
		if err := tx.InsertMessage(m); err != nil {
			return nil, Sent{}, err
		}
	}
	evs := []eventlog.Event{event(sess.ID, EventMessageCreated, user), event(sess.ID, EventMessageCreated, asst)}
	if sess.MessageCount == 0 && sess.Title == DefaultTitle {
		sess.Title = titleFrom(content)
	}
	sess.UpdatedAt = now
	sess.MessageCount += 2
	if err := tx.UpdateSession(sess); err != nil {
		return nil, Sent{}, err
	}
	evs = append(evs, event(sess.ID, EventSessionUpdated, sess))
	return evs, Sent{User: user, Assistant: asst}, nil
}

// Stop ends a streaming answer, keeping its text, and returns it.
func (s *Service) Stop(ctx context.Context, id string) (store.Message, error) {
	m, err := s.store.GetMessage(ctx, id)
	if err != nil {
		return store.Message{}, err
	}
	if m.Status != store.StatusStreaming {
		return store.Message{}, fmt.Errorf("%w: message %s is %s, not streaming", ErrConflict, id, m.Status)
	}
	if n := s.stopJobs(ctx, func(j *job) bool { return j.msgID == id }, errStopped); n == 0 {
		// Streaming with no job (its job ended in this very moment, or a
		// provider could not be resumed): settle it directly.
		if err := s.finish(m, outcome{}, errStopped); err != nil {
			return store.Message{}, err
		}
	}
	return s.store.GetMessage(ctx, id)
}

// Continue resumes an interrupted, failed or stopped answer in place, or
// one the provider cut at its length limit.
func (s *Service) Continue(ctx context.Context, id string) (store.Message, error) {
	m, err := s.store.GetMessage(ctx, id)
	if err != nil {
		return store.Message{}, err
	}
	if m.Role != store.RoleAssistant {
		return store.Message{}, fmt.Errorf("%w: only answers can be continued", ErrConflict)
	}
	if !continuable(m) {
		return store.Message{}, fmt.Errorf("%w: message %s is %s", ErrConflict, id, m.Status)
	}
	p, _, err := s.resolve(m.Model)
	if err != nil {
		return store.Message{}, err
	}
	if c := llm.ContinuationOf(ctx, p); !c.CanContinue() {
		if c.Reason != "" {
			return store.Message{}, fmt.Errorf("%w (%s)", ErrCannotContinue, c.Reason)
		}
		return store.Message{}, ErrCannotContinue
	}
	var out store.Message
	_, err = s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
		cur, err := tx.GetMessage(id)
		if err != nil {
			return nil, err
		}
		if !continuable(cur) {
			return nil, fmt.Errorf("%w: message %s is %s", ErrConflict, id, cur.Status)
		}
		if err := tx.SetStatus(id, store.StatusStreaming, "", nil, tx.Now()); err != nil {
			return nil, err
		}
		if err := tx.SetOutcome(id, "", ""); err != nil {
			return nil, err
		}
		if out, err = tx.GetMessage(id); err != nil {
			return nil, err
		}
		return []eventlog.Event{event(out.SessionID, EventMessageContinued, out)}, nil
	})
	if err != nil {
		return store.Message{}, fmt.Errorf("continue message %s: %w", id, err)
	}
	s.start(out, true)
	return out, nil
}

// continuable reports whether an answer can be continued: it ended early,
// or it is complete but was cut at the length limit.
func continuable(m store.Message) bool {
	switch m.Status {
	case store.StatusInterrupted, store.StatusFailed, store.StatusStopped:
		return true
	case store.StatusComplete:
		return m.FinishReason == "length"
	}
	return false
}

// Regenerate replaces an answer (and anything after it) with a new one.
func (s *Service) Regenerate(ctx context.Context, id, model string) (store.Message, error) {
	m, err := s.store.GetMessage(ctx, id)
	if err != nil {
		return store.Message{}, err
	}
	if m.Role != store.RoleAssistant {
		return store.Message{}, fmt.Errorf("%w: only answers can be regenerated", ErrConflict)
	}
	if model == "" {
		model = m.Model
	}
	if err := s.checkModel(model); err != nil {
		return store.Message{}, err
	}
	var out store.Message
	err = s.truncate(ctx, m, func(tx *store.Tx, sess store.Session) ([]eventlog.Event, error) {
		now := tx.Now()
		out = store.Message{ID: tx.NewID("m_"), SessionID: m.SessionID, Role: store.RoleAssistant,
			Status: store.StatusStreaming, Model: model, CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertMessage(out); err != nil {
			return nil, err
		}
		return []eventlog.Event{event(m.SessionID, EventMessageCreated, out)}, nil
	})
	if err != nil {
		return store.Message{}, fmt.Errorf("regenerate message %s: %w", id, err)
	}
	s.start(out, false)
	return out, nil
}

// Edit replaces a user message (and everything after it) with new text and
// answers it afresh.
func (s *Service) Edit(ctx context.Context, id, content, clientID string) (Sent, error) {
	if err := checkContent(content); err != nil {
		return Sent{}, err
	}
	m, err := s.store.GetMessage(ctx, id)
	if err != nil {
		return Sent{}, err
	}
	if m.Role != store.RoleUser {
		return Sent{}, fmt.Errorf("%w: only your own messages can be edited", ErrConflict)
	}
	var out Sent
	err = s.truncate(ctx, m, func(tx *store.Tx, sess store.Session) ([]eventlog.Event, error) {
		model := sess.Model
		evs, sent, err := insertTurn(tx, sess, content, clientID, model)
		out = sent
		return evs, err
	})
	if err != nil {
		return Sent{}, fmt.Errorf("edit message %s: %w", id, err)
	}
	out.Created = true
	s.start(out.Assistant, false)
	return out, nil
}

// truncate stops generations at or after m, deletes m and every later
// message of its session, then runs then() in the same transaction.
func (s *Service) truncate(ctx context.Context, m store.Message, then func(*store.Tx, store.Session) ([]eventlog.Event, error)) error {
	s.stopJobs(ctx, func(j *job) bool { return j.sessionID == m.SessionID && j.msgID >= m.ID }, errStopped)
	_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
		later, err := tx.MessagesFrom(m.SessionID, m.ID)
		if err != nil {
			return nil, err
		}
		if len(later) == 0 || later[0].ID != m.ID {
			return nil, fmt.Errorf("message %s: %w", m.ID, store.ErrNotFound)
		}
		var evs []eventlog.Event
		for _, d := range later {
			if d.Status == store.StatusStreaming {
				return nil, fmt.Errorf("%w: message %s is still streaming", ErrConflict, d.ID)
			}
			if err := tx.DeleteMessage(d.ID); err != nil {
				return nil, err
			}
			evs = append(evs, event(m.SessionID, EventMessageDeleted, map[string]string{"id": d.ID, "session_id": m.SessionID}))
		}
		sess, err := tx.GetSession(m.SessionID)
		if err != nil {
			return nil, err
		}
		more, err := then(tx, sess)
		return append(evs, more...), err
	})
	return err
}

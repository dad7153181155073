package chat

import (
	"context"
	"errors"
	"fmt"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
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
// generating — or, while another answer of the chat is generating, leaves
// the placeholder queued until its turn. A repeat with the same ClientID
// returns the first pair.
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
	err := s.withLane(req.SessionID, func(l *lane) error {
		_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
			sess, err := tx.GetSession(req.SessionID)
			if err != nil {
				return nil, err
			}
			dup, err := sentBefore(tx, req.SessionID, req.ClientID)
			if err != nil {
				return nil, err
			}
			if dup != nil {
				return nil, dup
			}
			model := req.Model
			if model == "" {
				model = sess.Model
			}
			evs, sent, err := insertTurn(tx, sess, req.Content, req.ClientID, model, l.statusForNew())
			out = sent
			return evs, err
		})
		if err == nil {
			s.enqueueLocked(l, out.Assistant)
		}
		return err
	})
	var dup *duplicate
	if errors.As(err, &dup) {
		return dup.sent, nil
	}
	if err != nil {
		return Sent{}, fmt.Errorf("send message: %w", err)
	}
	out.Created = true
	return out, nil
}

// sentBefore finds the pair an earlier request with this client id made
// (a *duplicate), if any.
func sentBefore(tx *store.Tx, sessionID, clientID string) (*duplicate, error) {
	if clientID == "" {
		return nil, nil
	}
	prev, err := tx.MessageByClientID(sessionID, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if prev.Role != store.RoleUser {
		return nil, fmt.Errorf("%w: client_id %q already names another request", ErrConflict, clientID)
	}
	asst, _ := tx.MessageAfter(sessionID, prev.ID)
	return &duplicate{Sent{User: prev, Assistant: asst}}, nil
}

// insertTurn adds a user message and its assistant placeholder (in status
// streaming or queued), naming the session after its first message.
func insertTurn(tx *store.Tx, sess store.Session, content, clientID, model string, status store.Status) ([]eventlog.Event, Sent, error) {
	now := tx.Now()
	user := store.Message{ID: tx.NewID("m_"), SessionID: sess.ID, Role: store.RoleUser, Content: content,
		Status: store.StatusComplete, ClientID: clientID, CreatedAt: now, UpdatedAt: now}
	asst := store.Message{ID: tx.NewID("m_"), SessionID: sess.ID, Role: store.RoleAssistant,
		Status: status, Model: model, CreatedAt: now, UpdatedAt: now}
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

// Stop ends an answer, keeping its text, and returns it: a streaming one
// stops where it is, a queued one never starts. Stopping a stopped answer
// again changes nothing and returns it (a resent Stop is harmless); any
// other finished answer is a conflict.
func (s *Service) Stop(ctx context.Context, id string) (store.Message, error) {
	m, err := s.store.GetMessage(ctx, id)
	if err != nil {
		return store.Message{}, err
	}
	if m.Status == store.StatusQueued {
		if m, err = s.cancelQueued(ctx, m); err != nil {
			return store.Message{}, err
		}
		if m.Status != store.StatusStreaming {
			return m, nil // cancelled (or settled meanwhile)
		}
		// Its turn came while we looked: stop it like any other.
	}
	switch m.Status {
	case store.StatusStreaming:
	case store.StatusStopped:
		return m, nil
	default:
		return store.Message{}, fmt.Errorf("%w: message %s is %s, not streaming", ErrConflict, id, m.Status)
	}
	if n := s.stopJobs(ctx, func(j *job) bool { return j.msgID == id }, errStopped); n == 0 {
		// Streaming with no job (its job ended in this very moment, or a
		// provider could not be resumed): settle it directly, and let the
		// chat's next answer have its turn.
		if err := s.finish(m, nil, errStopped); err != nil {
			return store.Message{}, err
		}
		s.ended(m.SessionID, id)
	}
	return s.store.GetMessage(ctx, id)
}

// Continue resumes an interrupted, failed or stopped answer in place; it
// waits (queued) while another answer of the chat is generating. An
// answer stopped before it produced anything starts afresh, which every
// provider can do.
func (s *Service) Continue(ctx context.Context, id string) (store.Message, error) {
	m, err := s.store.GetMessage(ctx, id)
	if err != nil {
		return store.Message{}, err
	}
	if m.Role != store.RoleAssistant {
		return store.Message{}, fmt.Errorf("%w: only answers can be continued", ErrConflict)
	}
	p, _, err := s.resolve(m.Model)
	if err != nil {
		return store.Message{}, err
	}
	if m.Chunks > 0 && !p.CanContinue() {
		return store.Message{}, ErrCannotContinue
	}
	var out store.Message
	err = s.withLane(m.SessionID, func(l *lane) error {
		status := l.statusForNew()
		_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
			cur, err := tx.GetMessage(id)
			if err != nil {
				return nil, err
			}
			switch cur.Status {
			case store.StatusInterrupted, store.StatusFailed, store.StatusStopped:
			default:
				return nil, fmt.Errorf("%w: message %s is %s", ErrConflict, id, cur.Status)
			}
			if err := tx.SetStatus(id, status, "", nil, tx.Now()); err != nil {
				return nil, err
			}
			if out, err = tx.GetMessage(id); err != nil {
				return nil, err
			}
			typ := EventMessageContinued
			if status == store.StatusQueued {
				typ = EventMessageQueued
			}
			return []eventlog.Event{event(out.SessionID, typ, out)}, nil
		})
		if err == nil {
			s.enqueueLocked(l, out)
		}
		return err
	})
	if err != nil {
		return store.Message{}, fmt.Errorf("continue message %s: %w", id, err)
	}
	return out, nil
}

// RegenerateRequest asks for a new answer in place of an old one.
type RegenerateRequest struct {
	ID       string // the answer to replace
	Model    string // "" = the old answer's model
	ClientID string // makes the request idempotent; stored on the new answer
}

// Regenerated is the answer a Regenerate made.
type Regenerated struct {
	Message store.Message
	// Created is false when the client_id was seen before and the answer
	// it made is returned instead (nothing new is started).
	Created bool
}

// Regenerate replaces an answer (and anything after it) with a new one,
// which waits its turn if an earlier answer of the chat is generating.
func (s *Service) Regenerate(ctx context.Context, req RegenerateRequest) (Regenerated, error) {
	if err := checkText("client_id", req.ClientID, 200); err != nil {
		return Regenerated{}, err
	}
	m, err := s.store.GetMessage(ctx, req.ID)
	if err != nil {
		return Regenerated{}, err
	}
	if prev, ok, err := s.regeneratedBefore(ctx, m.SessionID, req.ClientID); ok || err != nil {
		return Regenerated{Message: prev}, err
	}
	if m.Role != store.RoleAssistant {
		return Regenerated{}, fmt.Errorf("%w: only answers can be regenerated", ErrConflict)
	}
	model := req.Model
	if model == "" {
		model = m.Model
	}
	if err := s.checkModel(model); err != nil {
		return Regenerated{}, err
	}
	var out store.Message
	err = s.truncate(ctx, m, func(tx *store.Tx, sess store.Session, status store.Status) ([]eventlog.Event, store.Message, error) {
		now := tx.Now()
		out = store.Message{ID: tx.NewID("m_"), SessionID: m.SessionID, Role: store.RoleAssistant,
			Status: status, Model: model, ClientID: req.ClientID, CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertMessage(out); err != nil {
			return nil, store.Message{}, err
		}
		return []eventlog.Event{event(m.SessionID, EventMessageCreated, out)}, out, nil
	})
	if err != nil {
		return Regenerated{}, fmt.Errorf("regenerate message %s: %w", req.ID, err)
	}
	return Regenerated{Message: out, Created: true}, nil
}

// regeneratedBefore finds the answer an earlier Regenerate with this
// client id made.
func (s *Service) regeneratedBefore(ctx context.Context, sessionID, clientID string) (store.Message, bool, error) {
	if clientID == "" {
		return store.Message{}, false, nil
	}
	var prev store.Message
	found := false
	_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
		m, err := tx.MessageByClientID(sessionID, clientID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if m.Role != store.RoleAssistant {
			return nil, fmt.Errorf("%w: client_id %q already names another request", ErrConflict, clientID)
		}
		prev, found = m, true
		return nil, nil
	})
	return prev, found, err
}

// Edit replaces a user message (and everything after it) with new text and
// answers it afresh. A repeat with the same clientID returns the pair the
// first one made.
func (s *Service) Edit(ctx context.Context, id, content, clientID string) (Sent, error) {
	if err := checkContent(content); err != nil {
		return Sent{}, err
	}
	if err := checkText("client_id", clientID, 200); err != nil {
		return Sent{}, err
	}
	m, err := s.store.GetMessage(ctx, id)
	if err != nil {
		return Sent{}, err
	}
	var dup *duplicate
	_, err = s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
		d, err := sentBefore(tx, m.SessionID, clientID)
		dup = d
		return nil, err
	})
	if err != nil {
		return Sent{}, fmt.Errorf("edit message %s: %w", id, err)
	}
	if dup != nil {
		return dup.sent, nil
	}
	if m.Role != store.RoleUser {
		return Sent{}, fmt.Errorf("%w: only your own messages can be edited", ErrConflict)
	}
	var out Sent
	err = s.truncate(ctx, m, func(tx *store.Tx, sess store.Session, status store.Status) ([]eventlog.Event, store.Message, error) {
		evs, sent, err := insertTurn(tx, sess, content, clientID, sess.Model, status)
		out = sent
		return evs, sent.Assistant, err
	})
	if err != nil {
		return Sent{}, fmt.Errorf("edit message %s: %w", id, err)
	}
	out.Created = true
	return out, nil
}

// truncate stops generations at or after m, deletes m and every later
// message of its session, then runs then() in the same transaction; then
// stores the new answer with the status it is given, and it starts or
// waits its turn. The chat's lane is held meanwhile, so nothing queued
// starts between the stop and the replacement.
func (s *Service) truncate(ctx context.Context, m store.Message, then func(*store.Tx, store.Session, store.Status) ([]eventlog.Event, store.Message, error)) error {
	release := s.hold(m.SessionID)
	s.stopJobs(ctx, func(j *job) bool { return j.sessionID == m.SessionID && j.msgID >= m.ID }, errStopped)
	return release(func(l *lane) error {
		var (
			deleted []string
			answer  store.Message
		)
		_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
			deleted = deleted[:0]
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
				deleted = append(deleted, d.ID)
				evs = append(evs, event(m.SessionID, EventMessageDeleted, map[string]string{"id": d.ID, "session_id": m.SessionID}))
			}
			sess, err := tx.GetSession(m.SessionID)
			if err != nil {
				return nil, err
			}
			more, a, err := then(tx, sess, l.statusAfter(m.ID))
			answer = a
			return append(evs, more...), err
		})
		if err != nil {
			return err
		}
		l.drop(deleted...)
		s.enqueueLocked(l, answer)
		return nil
	})
}

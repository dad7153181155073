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
	// Files are uploaded attachments the message carries, in order.
	Files []store.AttachmentRef
}

// Send stores the user's message and an assistant placeholder, then starts
// generating. A repeat with the same ClientID returns the first pair.
func (s *Service) Send(ctx context.Context, req SendRequest) (Sent, error) {
	if err := checkContent(req.Content, len(req.Files)); err != nil {
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
	var files []store.AttachmentRef
	if len(req.Files) > 0 {
		model := req.Model
		if model == "" {
			sess, err := s.store.GetSession(ctx, req.SessionID)
			if err != nil {
				return Sent{}, err
			}
			model = sess.Model
		}
		var err error
		if files, err = s.prepareFiles(ctx, req.Files, model); err != nil {
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
		evs, sent, err := insertTurnFiles(tx, sess, req.Content, req.ClientID, model, files)
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
	return insertTurnFiles(tx, sess, content, clientID, model, nil)
}

// insertTurnFiles is insertTurn for a user message carrying files.
func insertTurnFiles(tx *store.Tx, sess store.Session, content, clientID, model string, files []store.AttachmentRef) ([]eventlog.Event, Sent, error) {
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
	if len(files) > 0 {
		linked, err := tx.LinkAttachments(user.ID, files)
		if err != nil {
			return nil, Sent{}, err
		}
		user.Attachments = linked
	}
	evs := []eventlog.Event{event(sess.ID, EventMessageCreated, user), event(sess.ID, EventMessageCreated, asst)}
	if sess.MessageCount == 0 && sess.Title == DefaultTitle {
		sess.Title = titleFrom(content, user.Attachments)
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
		if err := s.finish(m, nil, errStopped); err != nil {
			return store.Message{}, err
		}
	}
	return s.store.GetMessage(ctx, id)
}

// Continue resumes an interrupted, failed or stopped answer in place.
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
	if !p.CanContinue() {
		return store.Message{}, ErrCannotContinue
	}
	var out store.Message
	_, err = s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
		cur, err := tx.GetMessage(id)
		if err != nil {
			return nil, err
		}
		switch cur.Status {
		case store.StatusInterrupted, store.StatusFailed, store.StatusStopped:
		default:
			return nil, fmt.Errorf("%w: message %s is %s", ErrConflict, id, cur.Status)
		}
		if err := tx.SetStatus(id, store.StatusStreaming, "", nil, tx.Now()); err != nil {
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
// answers it afresh. The edited message keeps the original's files.
func (s *Service) Edit(ctx context.Context, id, content, clientID string) (Sent, error) {
	return s.EditFiles(ctx, id, content, clientID, nil)
}

// EditFiles is Edit with the files of the edited message: nil keeps the
// original's, a list (empty too) replaces them.
func (s *Service) EditFiles(ctx context.Context, id, content, clientID string, files *[]store.AttachmentRef) (Sent, error) {
	m, err := s.store.GetMessage(ctx, id)
	if err != nil {
		return Sent{}, err
	}
	if m.Role != store.RoleUser {
		return Sent{}, fmt.Errorf("%w: only your own messages can be edited", ErrConflict)
	}
	refs := keepRefs(m.Attachments)
	if files != nil {
		refs = *files
	}
	if err := checkContent(content, len(refs)); err != nil {
		return Sent{}, err
	}
	if len(refs) > 0 {
		sess, err := s.store.GetSession(ctx, m.SessionID)
		if err != nil {
			return Sent{}, err
		}
		if refs, err = s.prepareFiles(ctx, refs, sess.Model); err != nil {
			return Sent{}, err
		}
	}
	var out Sent
	err = s.truncate(ctx, m, func(tx *store.Tx, sess store.Session) ([]eventlog.Event, error) {
		model := sess.Model
		evs, sent, err := insertTurnFiles(tx, sess, content, clientID, model, refs)
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
	var freed []string
	_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
		later, err := tx.MessagesFrom(m.SessionID, m.ID)
		if err != nil {
			return nil, err
		}
		if len(later) == 0 || later[0].ID != m.ID {
			return nil, fmt.Errorf("message %s: %w", m.ID, store.ErrNotFound)
		}
		gone := make([]string, len(later))
		for i, d := range later {
			gone[i] = d.ID
		}
		files, err := tx.MessageAttachmentIDs(gone)
		if err != nil {
			return nil, err
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
		if err != nil {
			return nil, err
		}
		// Files the new message took over stay; the rest are freed.
		if freed, err = tx.FreeAttachments(files, tx.Now()); err != nil {
			return nil, err
		}
		return append(evs, more...), nil
	})
	if err == nil {
		s.removeFiles(freed)
	}
	return err
}

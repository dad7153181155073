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

// duplicate carries an earlier request's result out of a transaction.
type duplicate struct{ result any }

func (d *duplicate) Error() string { return "duplicate client_id" }

// SendRequest is one user message.
type SendRequest struct {
	SessionID string
	Content   string
	ClientID  string // makes the send idempotent
	Model     string // "" = the session's model
	// ParentID is the message to answer after; "" = the end of the path
	// the chat shows.
	ParentID string
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
	err := s.withLane(req.SessionID, func(l *lane) error {
		_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
			sess, err := tx.GetSession(req.SessionID)
			if err != nil {
				return nil, err
			}
			if err := sentBefore(tx, req.SessionID, req.ClientID); err != nil {
				return nil, err
			}
			model := req.Model
			if model == "" {
				model = sess.Model
			}
			parent := req.ParentID
			if parent == "" {
				parent = string(sess.CurrentLeafID)
			} else if err := checkInSession(tx, req.SessionID, parent); err != nil {
				return nil, err
			}
			evs, sent, err := insertTurn(tx, sess, parent, req.Content, req.ClientID, model, l.statusForNew(), parent != string(sess.CurrentLeafID), files)
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
		if prev, ok := dup.result.(Sent); ok {
			return prev, nil
		}
		return Sent{}, fmt.Errorf("%w: client_id %q was used for a regenerate", ErrConflict, req.ClientID)
	}
	if err != nil {
		return Sent{}, fmt.Errorf("send message: %w", err)
	}
	out.Created = true
	return out, nil
}

// sentBefore returns a *duplicate holding the pair an earlier request
// with this client id made, if there was one.
func sentBefore(tx *store.Tx, sessionID, clientID string) error {
	if clientID == "" {
		return nil
	}
	prev, err := tx.MessageByClientID(sessionID, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if prev.Role == store.RoleAssistant { // a regenerate's
		return &duplicate{prev}
	}
	asst, _ := tx.FirstChild(prev.ID)
	return &duplicate{Sent{User: prev, Assistant: asst}}
}

// checkInSession refuses a message id of another chat (or none).
func checkInSession(tx *store.Tx, sessionID, id string) error {
	m, err := tx.GetMessage(id)
	if err != nil {
		return err
	}
	if m.SessionID != sessionID {
		return fmt.Errorf("message %s, chat %s: %w", id, sessionID, ErrWrongSession)
	}
	return nil
}

// insertTurn adds a user message under parent and its assistant
// placeholder (status streaming, or queued behind the chat's running
// answer), moves the chat's path to them, and names a new chat after
// its first message. branched says the path does not just grow at its
// end (an edit, or a send under another message). files are the user
// message's attachments.
func insertTurn(tx *store.Tx, sess store.Session, parent, content, clientID, model string, status store.Status, branched bool, files []store.AttachmentRef) ([]eventlog.Event, Sent, error) {
	now := tx.Now()
	user, err := tx.InsertMessage(store.Message{ID: tx.NewID("m_"), SessionID: sess.ID, ParentID: store.Ref(parent), Role: store.RoleUser,
		Content: content, Status: store.StatusComplete, ClientID: clientID, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return nil, Sent{}, err
	}
	if len(files) > 0 {
		if user.Attachments, err = tx.LinkAttachments(user.ID, files); err != nil {
			return nil, Sent{}, err
		}
	}
	asst, err := tx.InsertMessage(store.Message{ID: tx.NewID("m_"), SessionID: sess.ID, ParentID: store.Ref(user.ID), Role: store.RoleAssistant,
		Status: status, Model: model, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return nil, Sent{}, err
	}
	if sess.TitleSource == store.TitleAuto && sess.Title == DefaultTitle && parent == "" {
		sess.Title = titleFrom(content, user.Attachments)
		if err := tx.UpdateSession(sess); err != nil {
			return nil, Sent{}, err
		}
	}
	created := []store.Message{user, asst}
	evs, err := moveTo(tx, sess.ID, asst.ID, user.ID, created, branched)
	if err != nil {
		return nil, Sent{}, err
	}
	return evs, Sent{User: created[0], Assistant: created[1]}, nil
}

// moveTo finishes a change that created messages: the path moves to leaf,
// the session records the activity, created get their siblings, and the
// events say so in order: message.created for each new message,
// branch.switched when the path did not just grow at its end (shownFrom
// is its first new message), and session.updated.
func moveTo(tx *store.Tx, sessionID, leaf, shownFrom string, created []store.Message, branched bool) ([]eventlog.Event, error) {
	if err := tx.SetPath(sessionID, leaf); err != nil {
		return nil, err
	}
	if err := tx.TouchSession(sessionID, tx.Now()); err != nil {
		return nil, err
	}
	if err := tx.FillSiblings(created); err != nil {
		return nil, err
	}
	var evs []eventlog.Event
	for _, m := range created {
		evs = append(evs, event(sessionID, EventMessageCreated, m))
	}
	updated, err := tx.GetSession(sessionID)
	if err != nil {
		return nil, err
	}
	if branched {
		evs = append(evs, switchedEvent(updated, shownFrom))
	}
	return append(evs, event(sessionID, EventSessionUpdated, updated)), nil
}

// Switched is the data of a branch.switched event.
type Switched struct {
	SessionID string        `json:"session_id"`
	LeafID    store.Ref     `json:"leaf_id"`
	MessageID store.Ref     `json:"message_id"`
	Session   store.Session `json:"session"`
}

func switchedEvent(sess store.Session, shownFrom string) eventlog.Event {
	return event(sess.ID, EventBranchSwitched, Switched{SessionID: sess.ID, LeafID: sess.CurrentLeafID, MessageID: store.Ref(shownFrom), Session: sess})
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
		if err := s.endTurn(m, outcome{}, errStopped, false, nil); err != nil {
			return store.Message{}, err
		}
	}
	return s.store.GetMessage(ctx, id)
}

// Continue resumes an interrupted, failed or stopped answer in place, or
// one the provider cut at its length limit, on whatever branch it is (the
// chat's path does not move); it waits (queued) while another answer of
// the chat is generating. An answer stopped before it produced anything
// starts afresh, which every provider can do.
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
	if partial(m) {
		if c := llm.ContinuationOf(ctx, p); !c.CanContinue() {
			if c.Reason != "" {
				return store.Message{}, fmt.Errorf("%w (%s)", ErrCannotContinue, c.Reason)
			}
			return store.Message{}, ErrCannotContinue
		}
	}
	var out store.Message
	err = s.withLane(m.SessionID, func(l *lane) error {
		status := l.statusForNew()
		_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
			cur, err := tx.GetMessage(id)
			if err != nil {
				return nil, err
			}
			if !continuable(cur) {
				return nil, fmt.Errorf("%w: message %s is %s", ErrConflict, id, cur.Status)
			}
			if err := tx.SetStatus(id, status, "", nil, tx.Now()); err != nil {
				return nil, err
			}
			if err := tx.SetOutcome(id, "", ""); err != nil {
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

// partial reports whether an answer holds text or reasoning a
// continuation must carry on from (else it starts afresh).
func partial(m store.Message) bool {
	return m.Chunks > 0 || m.ReasoningChunks > 0
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

// Regenerate answers again: for an answer, a new sibling of it (the old
// one stays; stopped first if it was streaming, cancelled if it was
// queued); for a user message, a new answer to it. The new answer becomes
// the path the chat shows, and streams at once or waits its turn behind
// the chat's other answers. A repeat with the same clientID returns the
// first new answer and changes nothing.
func (s *Service) Regenerate(ctx context.Context, id, model, clientID string) (store.Message, bool, error) {
	if err := checkText("client_id", clientID, 200); err != nil {
		return store.Message{}, false, err
	}
	m, err := s.store.GetMessage(ctx, id)
	if err != nil {
		return store.Message{}, false, err
	}
	parent := m.ID
	if m.Role == store.RoleAssistant {
		if m.ParentID == "" {
			return store.Message{}, false, fmt.Errorf("%w: message %s answers nothing", ErrConflict, id)
		}
		parent = string(m.ParentID)
	}
	if model == "" {
		if model = m.Model; m.Role != store.RoleAssistant || model == "" {
			sess, err := s.store.GetSession(ctx, m.SessionID)
			if err != nil {
				return store.Message{}, false, err
			}
			model = sess.Model
		}
	}
	if err := s.checkModel(model); err != nil {
		return store.Message{}, false, err
	}
	// A repeat changes nothing: not even the stop of the old answer.
	if prev, ok, err := s.regeneratedBefore(ctx, m.SessionID, clientID); ok || err != nil {
		return prev, false, err
	}
	if m.Role == store.RoleAssistant && m.Status == store.StatusQueued {
		// The old answer will not be wanted: it never starts.
		if m, err = s.cancelQueued(ctx, m); err != nil {
			return store.Message{}, false, err
		}
	}
	// The lane is held while the old answer stops, so no waiting answer
	// takes the turn meant for the new one.
	release := s.hold(m.SessionID)
	if m.Role == store.RoleAssistant && m.Status == store.StatusStreaming {
		if n := s.stopJobs(ctx, func(j *job) bool { return j.msgID == id }, errStopped); n == 0 {
			if err := s.endTurn(m, outcome{}, errStopped, false, nil); err != nil {
				release(nil)
				return store.Message{}, false, err
			}
		}
	}
	var out store.Message
	err = release(func(l *lane) error {
		_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
			if err := sentBefore(tx, m.SessionID, clientID); err != nil {
				return nil, err
			}
			if _, err := tx.GetMessage(parent); err != nil {
				return nil, err
			}
			now := tx.Now()
			var err error
			out, err = tx.InsertMessage(store.Message{ID: tx.NewID("m_"), SessionID: m.SessionID, ParentID: store.Ref(parent), Role: store.RoleAssistant,
				Status: l.statusForNew(), Model: model, ClientID: clientID, CreatedAt: now, UpdatedAt: now})
			if err != nil {
				return nil, err
			}
			created := []store.Message{out}
			evs, err := moveTo(tx, m.SessionID, out.ID, out.ID, created, true)
			out = created[0]
			return evs, err
		})
		if err == nil {
			s.enqueueLocked(l, out)
		}
		return err
	})
	var dup *duplicate
	if errors.As(err, &dup) {
		if prev, ok := dup.result.(store.Message); ok {
			return prev, false, nil
		}
		return store.Message{}, false, fmt.Errorf("%w: client_id %q was used for a message", ErrConflict, clientID)
	}
	if err != nil {
		return store.Message{}, false, fmt.Errorf("regenerate message %s: %w", id, err)
	}
	return out, true, nil
}

// regeneratedBefore finds the answer an earlier Regenerate with this
// client id made; a client id a send or edit used is a conflict.
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
			return nil, fmt.Errorf("%w: client_id %q was used for a message", ErrConflict, clientID)
		}
		prev, found = m, true
		return nil, nil
	})
	return prev, found, err
}

// Edit adds a new version of a user message (any one, not only the last):
// a sibling with the new text, and an answer to it. Nothing is deleted;
// answers streaming on the old branch go on, and the new answer waits
// for them (one answer at a time per chat). A repeat with the same
// clientID returns the first pair. The new version keeps the original's
// files.
func (s *Service) Edit(ctx context.Context, id, content, clientID string) (Sent, error) {
	return s.EditFiles(ctx, id, content, clientID, nil)
}

// EditFiles is Edit with the files of the new version: nil keeps the
// original's, a list (empty too) replaces them.
func (s *Service) EditFiles(ctx context.Context, id, content, clientID string, files *[]store.AttachmentRef) (Sent, error) {
	if err := checkText("client_id", clientID, 200); err != nil {
		return Sent{}, err
	}
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
	err = s.withLane(m.SessionID, func(l *lane) error {
		_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
			sess, err := tx.GetSession(m.SessionID)
			if err != nil {
				return nil, err
			}
			if err := sentBefore(tx, m.SessionID, clientID); err != nil {
				return nil, err
			}
			if _, err := tx.GetMessage(id); err != nil {
				return nil, err // deleted since
			}
			evs, sent, err := insertTurn(tx, sess, string(m.ParentID), content, clientID, sess.Model, l.statusForNew(), true, refs)
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
		if prev, ok := dup.result.(Sent); ok {
			return prev, nil
		}
		return Sent{}, fmt.Errorf("%w: client_id %q was used for a message", ErrConflict, clientID)
	}
	if err != nil {
		return Sent{}, fmt.Errorf("edit message %s: %w", id, err)
	}
	out.Created = true
	return out, nil
}

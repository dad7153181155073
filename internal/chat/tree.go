package chat

import (
	"context"
	"fmt"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// DefaultSwitchPage is how many messages a switch answers with.
const DefaultSwitchPage = 50

// SwitchResult answers a switch: the session and the page of the new path
// around the message switched to.
type SwitchResult struct {
	Session store.Session `json:"session"`
	Page    store.Page    `json:"page"`
}

// Switch makes the chat show the path through message id: its ancestors,
// it, and below it the branch remembered there. Already on the path:
// nothing changes and no event is sent. A message of another chat is
// ErrWrongSession; an unknown (or deleted) one ErrNotFound.
func (s *Service) Switch(ctx context.Context, sessionID, id string, limit int) (SwitchResult, error) {
	if limit <= 0 {
		limit = DefaultSwitchPage
	}
	var out SwitchResult
	_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
		changed, err := tx.SwitchTo(sessionID, id)
		if err != nil {
			return nil, err
		}
		if out.Session, err = tx.GetSession(sessionID); err != nil {
			return nil, err
		}
		if out.Page, err = tx.Page(store.PageRequest{SessionID: sessionID, Around: id, Limit: limit}); err != nil {
			return nil, err
		}
		if !changed {
			return nil, nil
		}
		return []eventlog.Event{switchedEvent(out.Session, id)}, nil
	})
	if err != nil {
		return SwitchResult{}, fmt.Errorf("switch chat %s to %s: %w", sessionID, id, err)
	}
	return out, nil
}

// Deletion answers a delete.
type Deletion struct {
	Deleted int           `json:"deleted"`
	Session store.Session `json:"session"`
}

// MessageDeleted is the data of a message.deleted event: the message and
// every message below it are gone.
type MessageDeleted struct {
	ID        string    `json:"id"`
	SessionID string    `json:"session_id"`
	ParentID  store.Ref `json:"parent_id"`
	Count     int       `json:"count"`
}

// Delete removes a message and every message below it (all its
// branches), stopping answers that stream among them first. When they
// were on the path the chat shows, the path moves to what remains.
func (s *Service) Delete(ctx context.Context, id string) (Deletion, error) {
	m, err := s.store.GetMessage(ctx, id)
	if err != nil {
		return Deletion{}, err
	}
	streaming, err := s.store.SubtreeStreaming(ctx, id)
	if err != nil {
		return Deletion{}, err
	}
	// The lane is held from the stop to the delete: a queued answer below
	// id must not take the turn the stopped one left.
	release := s.hold(m.SessionID)
	if len(streaming) > 0 {
		stop := map[string]bool{}
		for _, sid := range streaming {
			stop[sid] = true
		}
		s.stopJobs(ctx, func(j *job) bool { return stop[j.msgID] }, errStopped)
	}
	var out Deletion
	var freed []string
	err = release(func(*lane) error {
		_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
			// A send may have started an answer below it meanwhile: refuse
			// rather than delete a message a job is writing.
			left, err := tx.SubtreeStreaming(id)
			if err != nil {
				return nil, err
			}
			for _, sid := range left {
				if s.Running(sid) {
					return nil, fmt.Errorf("%w: message %s below it is streaming", ErrConflict, sid)
				}
			}
			files, err := tx.SubtreeAttachmentIDs(id)
			if err != nil {
				return nil, err
			}
			d, err := tx.DeleteSubtree(m.SessionID, id)
			if err != nil {
				return nil, err
			}
			// Files nothing else carries go with the messages.
			if freed, err = tx.FreeAttachments(files, tx.Now()); err != nil {
				return nil, err
			}
			out.Deleted = d.Count
			if out.Session, err = tx.GetSession(m.SessionID); err != nil {
				return nil, err
			}
			out.Session.UpdatedAt = tx.Now()
			if err := tx.UpdateSession(out.Session); err != nil {
				return nil, err
			}
			evs := []eventlog.Event{event(m.SessionID, EventMessageDeleted, MessageDeleted{ID: id, SessionID: m.SessionID, ParentID: store.Ref(d.ParentID), Count: d.Count})}
			if d.PathChanged {
				evs = append(evs, switchedEvent(out.Session, d.ShownFrom))
			}
			return append(evs, event(m.SessionID, EventSessionUpdated, out.Session)), nil
		})
		return err
	})
	if err != nil {
		return Deletion{}, fmt.Errorf("delete message %s: %w", id, err)
	}
	s.removeFiles(freed)
	return out, nil
}

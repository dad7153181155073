package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// One answer at a time per chat.
//
// Every chat has a lane: the answer generating now, if any, and the
// answers waiting for it to end, oldest first. The lane's mutex is held
// across the transaction that admits, starts or cancels an answer, so the
// order of a chat's messages is the order of its lane, and the decision
// "this chat is free, stream at once" cannot be overtaken by another
// request. The queue is durable — a waiting answer has status queued in
// the database — and Recover rebuilds the lanes after a restart.
//
// Lock order: a lane's mu before Service.mu. Nothing waits for a job while
// holding a lane: a job takes its lane when it ends, to start the next.

// lane is one chat's line of answers.
type lane struct {
	mu      sync.Mutex
	running string   // guarded by mu: the answer generating now; "" = none
	waiting []string // guarded by mu: queued answers, oldest first
	holds   int      // guarded by mu: stops under way (hold); nothing starts while > 0
	refs    int      // guarded by Service.lanesMu: callers holding or waiting for mu
}

// free reports whether a new answer may start at once.
func (l *lane) free() bool { return l.running == "" && len(l.waiting) == 0 && l.holds == 0 }

// statusForNew is the status a new answer is stored with.
func (l *lane) statusForNew() store.Status {
	if l.free() {
		return store.StatusStreaming
	}
	return store.StatusQueued
}

func (l *lane) drop(ids ...string) {
	l.waiting = slices.DeleteFunc(l.waiting, func(w string) bool { return slices.Contains(ids, w) })
}

// lockLane returns the chat's lane, locked; release it with unlockLane.
func (s *Service) lockLane(sessionID string) *lane {
	s.lanesMu.Lock()
	l := s.lanes[sessionID]
	if l == nil {
		l = &lane{}
		s.lanes[sessionID] = l
	}
	l.refs++
	s.lanesMu.Unlock()
	l.mu.Lock()
	return l
}

// unlockLane releases a lane and forgets it once nobody needs it.
func (s *Service) unlockLane(sessionID string, l *lane) {
	s.lanesMu.Lock()
	l.refs--
	if l.refs == 0 && l.free() && s.lanes[sessionID] == l {
		delete(s.lanes, sessionID)
	}
	s.lanesMu.Unlock()
	l.mu.Unlock()
}

// withLane runs fn with the chat's lane held.
func (s *Service) withLane(sessionID string, fn func(*lane) error) error {
	l := s.lockLane(sessionID)
	defer s.unlockLane(sessionID, l)
	return fn(l)
}

// enqueueLocked sets an answer just stored in motion: streaming starts
// now, queued waits its turn. The lane is held.
func (s *Service) enqueueLocked(l *lane, m store.Message) {
	switch m.Status {
	case store.StatusStreaming:
		l.running = m.ID
		s.start(m, partial(m))
	case store.StatusQueued:
		if !slices.Contains(l.waiting, m.ID) {
			l.waiting = append(l.waiting, m.ID)
		}
	}
}

// endTurn records how answer m ended (finish), runs then (nil: nothing),
// frees the chat's lane and starts the next waiting answer — all with the
// lane held, so whoever sees the end event finds the chat free: a send
// right after an answer completed streams at once. With retry, a write
// that fails (a storage fault) is retried until it lands (settle) with
// the lane let go meanwhile — m stays its running answer, so sends to the
// chat queue instead of hanging — and the error is nil.
func (s *Service) endTurn(m store.Message, out outcome, cause error, retry bool, then func()) error {
	write := func() error { return s.finish(m, out, cause) }
	l := s.lockLane(m.SessionID)
	err := write()
	if err != nil && retry {
		s.unlockLane(m.SessionID, l)
		s.settle(write, m.ID)
		l, err = s.lockLane(m.SessionID), nil
	}
	defer s.unlockLane(m.SessionID, l)
	if then != nil {
		then()
	}
	if l.running == m.ID {
		l.running = ""
	}
	s.advanceLocked(l)
	return err
}

// advanceLocked starts the first waiting answer when the lane is free of
// a running one. The lane is held.
func (s *Service) advanceLocked(l *lane) {
	for l.running == "" && l.holds == 0 && len(l.waiting) > 0 {
		if s.isClosed() {
			return // the queue is in the database; Recover picks it up
		}
		id := l.waiting[0]
		m, err := s.begin(id)
		if err != nil {
			// Still first in line: the lane's next change or the next
			// start-up tries again.
			s.log.Error("could not start a queued answer", "message", id, "err", err)
			return
		}
		l.waiting = l.waiting[1:]
		if m.Status != store.StatusStreaming {
			continue // stopped or deleted while it waited
		}
		l.running = id
		s.start(m, partial(m))
	}
}

// begin moves a queued answer to streaming (message.started). A message
// that is no longer queued is returned as it is (zero when deleted).
func (s *Service) begin(id string) (store.Message, error) {
	var out store.Message
	_, err := s.events.Do(s.base, func(tx *store.Tx) ([]eventlog.Event, error) {
		cur, err := tx.GetMessage(id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if cur.Status != store.StatusQueued {
			out = cur
			return nil, nil
		}
		if err := tx.SetStatus(id, store.StatusStreaming, "", nil, tx.Now()); err != nil {
			return nil, err
		}
		if out, err = tx.GetMessage(id); err != nil {
			return nil, err
		}
		return []eventlog.Event{event(out.SessionID, EventMessageStarted, out)}, nil
	})
	if err != nil {
		return store.Message{}, fmt.Errorf("start queued answer %s: %w", id, err)
	}
	return out, nil
}

// cancelQueued stops an answer before its turn came (status stopped, no
// text). It returns the message as it is now; when it started meanwhile
// that is a streaming message, for the caller to stop like any other.
func (s *Service) cancelQueued(ctx context.Context, m store.Message) (store.Message, error) {
	var out store.Message
	err := s.withLane(m.SessionID, func(l *lane) error {
		_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
			cur, err := tx.GetMessage(m.ID)
			if err != nil {
				return nil, err
			}
			out = cur
			if cur.Status != store.StatusQueued {
				return nil, nil
			}
			now := tx.Now()
			if err := tx.SetStatus(m.ID, store.StatusStopped, "", nil, now); err != nil {
				return nil, err
			}
			if err := tx.TouchSession(m.SessionID, now); err != nil {
				return nil, err
			}
			if out, err = tx.GetMessage(m.ID); err != nil {
				return nil, err
			}
			return []eventlog.Event{event(m.SessionID, EventMessageStopped, out)}, nil
		})
		if err != nil {
			return err
		}
		if out.Status != store.StatusQueued && out.Status != store.StatusStreaming {
			l.drop(m.ID)
		}
		return nil
	})
	if err != nil {
		return store.Message{}, fmt.Errorf("cancel queued answer %s: %w", m.ID, err)
	}
	return out, nil
}

// hold keeps the chat's lane from starting anything until the returned
// release runs; release takes the lane and hands it to then (nil: just
// resume). Regenerate and Delete hold the lane while they stop the
// answers they replace or remove, so no waiting answer starts in between.
func (s *Service) hold(sessionID string) (release func(then func(*lane) error) error) {
	l := s.lockLane(sessionID)
	l.holds++
	s.unlockLane(sessionID, l)
	return func(then func(*lane) error) error {
		return s.withLane(sessionID, func(l *lane) error {
			l.holds--
			var err error
			if then != nil {
				err = then(l)
			}
			s.advanceLocked(l)
			return err
		})
	}
}

// recoverQueue rebuilds the lanes after a start: answers left streaming
// that can continue take their chat's lane (a second one in a chat, which
// older versions allowed, waits), then queued answers line up behind, in
// the order they were queued. It returns how many it put in motion.
func (s *Service) recoverQueue(ctx context.Context, continuing, queued []store.Message) (started, waiting int, err error) {
	for _, m := range continuing {
		err := s.withLane(m.SessionID, func(l *lane) error {
			if l.running == "" {
				l.running = m.ID
				s.start(m, true)
				started++
				return nil
			}
			requeued, err := s.requeue(ctx, m)
			if err != nil {
				return err
			}
			s.enqueueLocked(l, requeued)
			waiting++
			return nil
		})
		if err != nil {
			return started, waiting, err
		}
	}
	for _, m := range queued {
		s.withLane(m.SessionID, func(l *lane) error {
			s.enqueueLocked(l, m)
			waiting++
			return nil
		})
	}
	// Chats whose queue has no running answer in front start now.
	for _, m := range queued {
		s.withLane(m.SessionID, func(l *lane) error {
			s.advanceLocked(l)
			return nil
		})
	}
	return started, waiting, nil
}

// requeue puts an answer left streaming back in line (message.queued).
func (s *Service) requeue(ctx context.Context, m store.Message) (store.Message, error) {
	var out store.Message
	_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
		if err := tx.SetStatus(m.ID, store.StatusQueued, "", nil, tx.Now()); err != nil {
			return nil, err
		}
		var err error
		if out, err = tx.GetMessage(m.ID); err != nil {
			return nil, err
		}
		return []eventlog.Event{event(m.SessionID, EventMessageQueued, out)}, nil
	})
	if err != nil {
		return store.Message{}, fmt.Errorf("requeue answer %s: %w", m.ID, err)
	}
	return out, nil
}

// Queue is one chat's line as the service holds it: the answer running
// and those waiting, in order. For tests and diagnostics.
type Queue struct {
	Running string
	Waiting []string
}

// QueueOf reports chat sessionID's line.
func (s *Service) QueueOf(sessionID string) Queue {
	var q Queue
	s.withLane(sessionID, func(l *lane) error {
		q = Queue{Running: l.running, Waiting: slices.Clone(l.waiting)}
		return nil
	})
	return q
}

func (s *Service) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

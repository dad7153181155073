package chat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// Delta is the data of a message.delta event.
type Delta struct {
	MessageID string `json:"message_id"`
	SessionID string `json:"session_id"`
	Index     int    `json:"index"`
	Text      string `json:"text"`
}

// start runs a generation job for an assistant message in status
// streaming. With cont, the provider continues after the message's text.
func (s *Service) start(m store.Message, cont bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return // Recover settles it on the next start
	}
	if _, busy := s.jobs[m.ID]; busy {
		return
	}
	ctx, cancel := context.WithCancelCause(s.base)
	j := &job{msgID: m.ID, sessionID: m.SessionID, cancel: cancel, done: make(chan struct{})}
	s.jobs[m.ID] = j
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(j.done)
		defer func() {
			s.mu.Lock()
			delete(s.jobs, m.ID)
			s.mu.Unlock()
		}()
		s.run(ctx, m, cont)
	}()
}

// run generates the answer to m and records how the job ended.
func (s *Service) run(ctx context.Context, m store.Message, cont bool) {
	usage, cause := s.generate(ctx, m, cont)
	s.settle(func() error { return s.finish(m, usage, cause) }, m.ID)
}

// generate streams the provider's answer to m into the log, chunk by
// chunk. It returns the usage the provider reported, or why it stopped.
func (s *Service) generate(ctx context.Context, m store.Message, cont bool) (*store.Usage, error) {
	provider, model, err := s.resolve(m.Model)
	if err != nil {
		return nil, err
	}
	req, err := s.request(ctx, m, model)
	if err != nil {
		return nil, err
	}
	if cont {
		req.Prefix = m.Content
	}
	// Chunks are committed by the committer, which rides out storage
	// faults; on s.base, not ctx, so chunks queued before a Stop are kept.
	cm := s.newCommitter(m.ID)
	next := m.Chunks
	emit := func(c llm.Chunk) error {
		if c.Text == "" {
			return nil
		}
		idx, text := next, c.Text
		d := event(m.SessionID, EventMessageDelta, Delta{MessageID: m.ID, SessionID: m.SessionID, Index: idx, Text: text})
		err := cm.add(ctx, len(text), func(tx *store.Tx) ([]eventlog.Event, error) {
			if err := tx.AppendContent(m.ID, text, idx+1, tx.Now()); err != nil {
				return nil, err
			}
			return []eventlog.Event{d}, nil
		})
		if err != nil {
			return err
		}
		next++
		return nil
	}
	res, err := provider.Stream(ctx, req, emit)
	if cerr := cm.close(); cerr != nil {
		// The chunks could not be kept: that, not how the provider
		// ended, is why this answer stops here.
		return nil, cerr
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && errors.Is(err, context.Canceled) {
			err = cause
		}
		return nil, err
	}
	if res.Usage == nil {
		return nil, nil
	}
	return &store.Usage{InputTokens: res.Usage.InputTokens, OutputTokens: res.Usage.OutputTokens}, nil
}

// request builds the provider request: the path from the chat's first
// message down to m's parent (never other branches), and the chat's
// system prompt and settings.
func (s *Service) request(ctx context.Context, m store.Message, model string) (llm.Request, error) {
	req := llm.Request{Model: model}
	if m.ParentID != "" {
		path, err := s.store.PathTo(ctx, string(m.ParentID))
		if err != nil {
			return llm.Request{}, fmt.Errorf("load history: %w", err)
		}
		for _, h := range path {
			if h.Content == "" {
				continue
			}
			req.Messages = append(req.Messages, llm.Message{Role: string(h.Role), Content: h.Content})
		}
	}
	sess, err := s.store.GetSession(ctx, m.SessionID)
	if err != nil {
		return llm.Request{}, fmt.Errorf("load session: %w", err)
	}
	req.System = sess.SystemPrompt
	req.Temperature, req.TopP = sess.Temperature, sess.TopP
	if sess.MaxTokens != nil {
		req.MaxTokens = *sess.MaxTokens
	}
	return req, nil
}

// finish moves a streaming message to its end state with its event; cause
// (nil for a finished answer) picks the state. A message no longer
// streaming, or deleted, is left as it is.
func (s *Service) finish(m store.Message, usage *store.Usage, cause error) error {
	status, typ, errText := store.StatusComplete, EventMessageCompleted, ""
	switch {
	case cause == nil:
	case errors.Is(cause, errStopped):
		status, typ = store.StatusStopped, EventMessageStopped
	case errors.Is(cause, errShutdown):
		status, typ = store.StatusInterrupted, EventMessageInterrupted
	default:
		status, typ, errText = store.StatusFailed, EventMessageFailed, cause.Error()
	}
	var title bool
	_, err := s.events.Do(context.Background(), func(tx *store.Tx) ([]eventlog.Event, error) {
		title = false
		cur, err := tx.GetMessage(m.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil // deleted while it streamed
		}
		if err != nil {
			return nil, err
		}
		if cur.Status != store.StatusStreaming {
			return nil, nil // already settled
		}
		now := tx.Now()
		if err := tx.SetStatus(m.ID, status, errText, usage, now); err != nil {
			return nil, err
		}
		if err := tx.TouchSession(m.SessionID, now); err != nil {
			return nil, err
		}
		done, err := tx.GetMessage(m.ID)
		if err != nil {
			return nil, err
		}
		evs := []eventlog.Event{event(m.SessionID, typ, done)}
		sess, err := tx.GetSession(m.SessionID)
		if err != nil {
			return nil, err
		}
		// The activity moved the chat in the list.
		evs = append(evs, event(m.SessionID, EventSessionUpdated, sess))
		title = wantsTitle(sess, done)
		return evs, nil
	})
	if err == nil && title {
		s.nameChat(m)
	}
	return err
}

// settle runs write, which records the end of a job, until it lands: a
// message must never be left streaming without the job behind it, so
// while storage is faulted the job stays registered and retries (with
// backoff, up to maxSettleRetry apart). Only shutdown ends the retries
// (after one more attempt, so that it is not held up by a fault that
// may last); start-up then reconciles the message as after a crash.
func (s *Service) settle(write func() error, msgID string) {
	delay := firstRetry
	var since time.Time
	last := false
	for {
		err := write()
		if err == nil {
			if !since.IsZero() {
				s.log.Info("recorded the end of a generation after a storage fault", "message", msgID, "waited", time.Since(since).Round(time.Millisecond))
			}
			return
		}
		if since.IsZero() {
			since = time.Now()
			s.log.Error("could not record the end of a generation; retrying until it lands", "message", msgID, "err", err)
		}
		if last || errors.Is(err, eventlog.ErrClosed) {
			s.log.Warn("shut down before the end of a generation was recorded; the next start settles it", "message", msgID, "err", err)
			return
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-s.closing:
			t.Stop()
			last = true
		case <-s.base.Done():
			t.Stop()
			s.log.Warn("shut down before the end of a generation was recorded; the next start settles it", "message", msgID)
			return
		}
		delay = min(delay*2, maxSettleRetry)
	}
}

// maxSettleRetry is the longest pause between attempts to record a job's end.
const maxSettleRetry = 5 * time.Second

// stopJobs cancels the matching jobs with cause and waits for them to
// record their end. It returns how many it stopped.
func (s *Service) stopJobs(ctx context.Context, match func(*job) bool, cause error) int {
	s.mu.Lock()
	var stopped []*job
	for _, j := range s.jobs {
		if match(j) {
			j.cancel(cause)
			stopped = append(stopped, j)
		}
	}
	s.mu.Unlock()
	for _, j := range stopped {
		select {
		case <-j.done:
		case <-ctx.Done():
			return len(stopped)
		}
	}
	return len(stopped)
}

// Running reports whether a job is generating the message.
func (s *Service) Running(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.jobs[id]
	return ok
}

// Recover settles answers a crash left streaming: their text is already
// what the log committed; answers whose provider can continue carry on,
// the rest become interrupted (the user can Continue or Regenerate).
func (s *Service) Recover(ctx context.Context) (continued, interrupted int, err error) {
	msgs, err := s.store.StreamingMessages(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("recover generations: %w", err)
	}
	for _, m := range msgs {
		if s.Running(m.ID) {
			continue
		}
		p, _, rerr := s.providers.Resolve(m.Model)
		if rerr == nil && p.CanContinue() {
			s.log.Info("continuing an answer interrupted by a crash", "message", m.ID, "chars", len(m.Content))
			s.start(m, true)
			continued++
			continue
		}
		if err := s.finish(m, nil, errShutdown); err != nil {
			return continued, interrupted, fmt.Errorf("recover message %s: %w", m.ID, err)
		}
		interrupted++
	}
	return continued, interrupted, nil
}

// Close stops every job (their text is kept; they end interrupted) and
// waits for them, bounded by ctx.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	s.mu.Unlock()
	s.stopJobs(ctx, func(*job) bool { return true }, errShutdown)
	// The answers have recorded their end: what is left (title requests)
	// is given up rather than waited for.
	s.cancel()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		s.titles.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop generations: %w", ctx.Err())
	}
}

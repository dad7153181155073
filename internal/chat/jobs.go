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
// Callers hold the chat's lane and have made the message its running
// answer (queue.go); when the job ends the lane moves on.
func (s *Service) start(m store.Message, cont bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return // Recover settles it on the next start
	}
	if prev, busy := s.jobs[m.ID]; busy {
		// Only a job that has recorded its end can be here (the message
		// was streaming otherwise, and Continue refuses that): a Continue
		// right after the end. Start once the old job has left.
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			<-prev.done
			s.start(m, cont)
		}()
		return
	}
	ctx, cancel := context.WithCancelCause(s.base)
	j := &job{msgID: m.ID, sessionID: m.SessionID, cancel: cancel, done: make(chan struct{})}
	s.jobs[m.ID] = j
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		out, cause := s.generate(ctx, m, cont)
		// The end is recorded and the next answer of the chat started
		// before Stop returns, so a caller sees the queue already moved on.
		// A storage fault is retried until the end lands (settle).
		s.endTurn(m, out, cause, true, func() {
			s.mu.Lock()
			delete(s.jobs, m.ID)
			s.mu.Unlock()
		})
		close(j.done)
	}()
}

// outcome is what a generation job leaves to record at its end.
type outcome struct {
	usage  *store.Usage // this part's usage, as the provider reported it
	finish string       // the provider's finish reason
	// reasoning is how long this part reasoned without the time being
	// recorded yet (it was still reasoning when the job ended).
	reasoning time.Duration
}

// generate streams the provider's answer to m into the log, chunk by
// chunk: text as message.delta, reasoning as message.reasoning, each
// numbered on from what the message already holds. It returns what to
// record at the end (also when it fails: a stopped or failed answer keeps
// the usage the provider reported), and why it stopped.
func (s *Service) generate(ctx context.Context, m store.Message, cont bool) (outcome, error) {
	var out outcome
	provider, model, err := s.resolve(m.Model)
	if err != nil {
		return out, err
	}
	req, err := s.request(ctx, m, model)
	if err != nil {
		// A Stop (or shutdown) while the history loads is that, not a
		// failure.
		if cause := context.Cause(ctx); cause != nil && errors.Is(err, context.Canceled) {
			err = cause
		}
		return out, err
	}
	if cont {
		req.Prefix, req.PrefixReasoning = m.Content, m.Reasoning
		req.PrefixSignature, req.PrefixSigned = m.ReasoningSignature, m.ReasoningSigned
	}
	// Chunks are committed by the committer, which rides out storage
	// faults; on s.base, not ctx, so chunks queued before a Stop are kept.
	cm := s.newCommitter(m.ID)
	nextText, nextReasoning := m.Chunks, m.ReasoningChunks
	var reasoningSince time.Time // this part's reasoning began; zero once recorded
	emit := func(c llm.Chunk) error {
		var evs []eventlog.Event
		var textIdx, reasonIdx int
		if c.Reasoning != "" {
			reasonIdx = nextReasoning
			evs = append(evs, event(m.SessionID, EventMessageReasoning, Delta{MessageID: m.ID, SessionID: m.SessionID, Index: reasonIdx, Text: c.Reasoning}))
		}
		if c.Text != "" {
			textIdx = nextText
			evs = append(evs, event(m.SessionID, EventMessageDelta, Delta{MessageID: m.ID, SessionID: m.SessionID, Index: textIdx, Text: c.Text}))
		}
		if len(evs) == 0 && !c.Signed {
			return nil
		}
		startReasoning := c.Reasoning != "" && reasoningSince.IsZero()
		var reasoned time.Duration // the reasoning that ends with this chunk's text
		if c.Text != "" && !reasoningSince.IsZero() {
			reasoned = time.Since(reasoningSince)
		}
		err := cm.add(ctx, len(c.Text)+len(c.Reasoning)+len(c.Signature), func(tx *store.Tx) ([]eventlog.Event, error) {
			now := tx.Now()
			if c.Reasoning != "" {
				if err := tx.AppendReasoning(m.ID, c.Reasoning, reasonIdx+1, now); err != nil {
					return nil, err
				}
			}
			if c.Signed {
				if err := tx.SetReasoningSignature(m.ID, c.Signature); err != nil {
					return nil, err
				}
			}
			if reasoned > 0 {
				if err := tx.AddReasoningTime(m.ID, reasoned); err != nil {
					return nil, err
				}
			}
			if c.Text != "" {
				if err := tx.AppendContent(m.ID, c.Text, textIdx+1, now); err != nil {
					return nil, err
				}
			}
			return evs, nil
		})
		if err != nil {
			return err
		}
		if c.Reasoning != "" {
			nextReasoning++
		}
		if c.Text != "" {
			nextText++
		}
		switch {
		case c.Text != "" && !reasoningSince.IsZero():
			reasoningSince = time.Time{}
		case startReasoning:
			reasoningSince = time.Now()
		}
		return nil
	}
	res, err := provider.Stream(ctx, req, emit)
	if res.Usage != nil {
		out.usage = &store.Usage{InputTokens: res.Usage.InputTokens, OutputTokens: res.Usage.OutputTokens}
	}
	out.finish = res.FinishReason
	if !reasoningSince.IsZero() {
		out.reasoning = time.Since(reasoningSince)
	}
	if cerr := cm.close(); cerr != nil {
		// The chunks could not be kept: that, not how the provider
		// ended, is why this answer stops here.
		return out, cerr
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && errors.Is(err, context.Canceled) {
			err = cause
		}
		return out, err
	}
	return out, nil
}

// request builds the provider request: the path from the chat's first
// message down to m's parent (never other branches) with the files its
// messages carry, and the chat's system prompt and settings.
func (s *Service) request(ctx context.Context, m store.Message, model string) (llm.Request, error) {
	req := llm.Request{Model: model}
	if m.ParentID != "" {
		path, err := s.store.PathTo(ctx, string(m.ParentID))
		if err != nil {
			return llm.Request{}, fmt.Errorf("load history: %w", err)
		}
		var vision *llm.Vision
		for _, h := range path {
			if h.Content == "" && len(h.Attachments) == 0 {
				continue
			}
			lm := llm.Message{Role: string(h.Role), Content: h.Content}
			if len(h.Attachments) > 0 {
				provider, _, err := s.resolve(m.Model)
				if err != nil {
					return llm.Request{}, err
				}
				if vision == nil {
					v := llm.CanSee(ctx, provider, model)
					vision = &v
				}
				if lm.Attachments, err = s.modelFiles(ctx, h.Attachments, *vision, llm.ImageLimitOf(provider)); err != nil {
					return llm.Request{}, err
				}
			}
			req.Messages = append(req.Messages, lm)
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
// (nil for a finished answer) picks the state. The part's usage is added
// to the answer's total, and its finish reason and error kind are kept. A
// message no longer streaming, or deleted, is left as it is.
func (s *Service) finish(m store.Message, out outcome, cause error) error {
	status, typ, errText, errKind := store.StatusComplete, EventMessageCompleted, "", ""
	switch {
	case cause == nil:
	case errors.Is(cause, errStopped):
		status, typ = store.StatusStopped, EventMessageStopped
	case errors.Is(cause, errShutdown):
		status, typ = store.StatusInterrupted, EventMessageInterrupted
	default:
		status, typ, errText, errKind = store.StatusFailed, EventMessageFailed, cause.Error(), string(llm.KindOf(cause))
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
		if err := tx.SetStatus(m.ID, status, errText, nil, now); err != nil {
			return nil, err
		}
		if err := tx.AddUsage(m.ID, out.usage); err != nil {
			return nil, err
		}
		if err := tx.SetOutcome(m.ID, out.finish, errKind); err != nil {
			return nil, err
		}
		if out.reasoning > 0 {
			if err := tx.AddReasoningTime(m.ID, out.reasoning); err != nil {
				return nil, err
			}
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

// Recover settles what a crash or shutdown left behind: answers left
// streaming continue when their provider can (their text is what the log
// committed), the rest become interrupted (the user can Continue or
// Regenerate); answers left queued wait for their turn again, in order.
func (s *Service) Recover(ctx context.Context) (continued, interrupted int, err error) {
	msgs, err := s.store.StreamingMessages(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("recover generations: %w", err)
	}
	queued, err := s.store.QueuedMessages(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("recover generations: %w", err)
	}
	var continuing []store.Message
	for _, m := range msgs {
		if s.Running(m.ID) {
			continue
		}
		p, _, rerr := s.providers.Resolve(m.Model)
		if rerr == nil && llm.CanContinue(ctx, p) {
			s.log.Info("continuing an answer interrupted by a crash", "message", m.ID, "chars", len(m.Content))
			continuing = append(continuing, m)
			continue
		}
		if err := s.finish(m, outcome{}, errShutdown); err != nil {
			return continued, interrupted, fmt.Errorf("recover message %s: %w", m.ID, err)
		}
		interrupted++
	}
	started, waiting, err := s.recoverQueue(ctx, continuing, queued)
	if err != nil {
		return started, interrupted, fmt.Errorf("recover generations: %w", err)
	}
	if waiting > 0 {
		s.log.Info("answers waiting for their turn again", "queued", waiting)
	}
	return started, interrupted, nil
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

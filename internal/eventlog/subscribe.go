package eventlog

import (
	"context"
	"fmt"
	"strconv"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// Subscription is a cursor over the log. It is not safe for concurrent use;
// each stream owns one.
type Subscription struct {
	l      *Log
	cursor int64
}

// Subscribe positions a cursor strictly after seq `after` of epoch `epoch`.
// A different epoch, a position behind what retention kept, or a position
// beyond the head gives a *ResetError: the caller must resync instead of
// silently missing events.
func (l *Log) Subscribe(epoch string, after int64) (*Subscription, error) {
	if epoch != l.epoch {
		return nil, &ResetError{Reason: ReasonEpochMismatch}
	}
	if after < 0 || after > l.head.Load() {
		return nil, &ResetError{Reason: ReasonBadID}
	}
	if after < l.trimmed.Load() {
		return nil, &ResetError{Reason: ReasonHistoryTrimmed}
	}
	return &Subscription{l: l, cursor: after}, nil
}

// SubscribeLive positions a cursor at the current head.
func (l *Log) SubscribeLive() *Subscription {
	return &Subscription{l: l, cursor: l.head.Load()}
}

// Cursor is the seq of the last event returned (or the start position).
func (s *Subscription) Cursor() int64 { return s.cursor }

// Next blocks until at least one event after the cursor is committed, then
// returns up to limit of them in order and advances the cursor. Events come
// from memory when the ring still holds them, else from the database.
func (s *Subscription) Next(ctx context.Context, limit int) ([]*Record, error) {
	if limit <= 0 {
		limit = 1024
	}
	l := s.l
	for {
		if s.cursor < l.trimmed.Load() {
			return nil, &ResetError{Reason: ReasonHistoryTrimmed}
		}
		l.mu.RLock()
		head := l.head.Load()
		wait := l.notify
		if s.cursor < head {
			low := max(l.ringLow, head-l.mask)
			if s.cursor+1 >= low {
				n := min(head-s.cursor, int64(limit))
				out := make([]*Record, n)
				for i := range out {
					out[i] = l.ring[(s.cursor+1+int64(i))&l.mask]
				}
				l.mu.RUnlock()
				s.cursor += n
				return out, nil
			}
			l.mu.RUnlock()
			return s.fromDB(ctx, limit)
		}
		l.mu.RUnlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-l.closed:
			return nil, ErrClosed
		}
	}
}

// TryNext is Next without waiting: it returns nil when nothing is pending.
func (s *Subscription) TryNext(ctx context.Context, limit int) ([]*Record, error) {
	if s.cursor >= s.l.head.Load() && s.cursor >= s.l.trimmed.Load() {
		return nil, nil
	}
	return s.Next(ctx, limit)
}

// replayBatch is how many rows one database read returns: replay is
// bound by per-row work, so fewer, larger reads help little beyond this.
const replayBatch = 4096

func (s *Subscription) fromDB(ctx context.Context, limit int) ([]*Record, error) {
	out := make([]*Record, 0, min(limit, replayBatch))
	expect := s.cursor + 1
	gap := false
	err := s.l.st.ReadEvents(ctx, s.cursor, limit, func(e store.RawEvent) {
		if e.Seq != expect {
			gap = true
			return
		}
		expect++
		r := &Record{Seq: e.Seq, SessionID: e.SessionID, Type: e.Type}
		// One allocation holds the wire frame; Data is a view into it.
		frame := appendFrame(make([]byte, 0, len(e.Data)+len(e.Type)+len(s.l.epoch)+40), s.l.epoch, r.Seq, r.Type, e.Data)
		end := len(frame) - 2
		r.Data = frame[end-len(e.Data) : end : end]
		r.wire.Store(&frame)
		out = append(out, r)
	})
	if err != nil {
		return nil, fmt.Errorf("replay events: %w", err)
	}
	// A hole can only mean retention removed what we were about to read.
	if gap || len(out) == 0 {
		return nil, &ResetError{Reason: ReasonHistoryTrimmed}
	}
	s.cursor = out[len(out)-1].Seq
	return out, nil
}

// SSE returns the event's wire form, cached on the record so a burst sent
// to many subscribers is encoded once:
//
//	id: <epoch>:<seq>
//	event: <type>
//	data: <json>
func (r *Record) SSE(epoch string) []byte {
	if p := r.wire.Load(); p != nil {
		return *p
	}
	b := appendFrame(make([]byte, 0, len(r.Data)+len(r.Type)+len(epoch)+40), epoch, r.Seq, r.Type, r.Data)
	r.wire.Store(&b)
	return b
}

func appendFrame(b []byte, epoch string, seq int64, typ string, data []byte) []byte {
	b = append(b, "id: "...)
	b = append(b, epoch...)
	b = append(b, ':')
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, "\nevent: "...)
	b = append(b, typ...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

package eventlog

import (
	"context"
	"fmt"

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

// fromDB reads the next events from the database. Replay is bound by
// per-row work, so a batch's records share one allocation and their data
// is copied into shared chunks: a replayed record costs no allocation of
// its own, and being this subscriber's alone, its encoding is not kept
// (see Encoded).
func (s *Subscription) fromDB(ctx context.Context, limit int) ([]*Record, error) {
	n := min(limit, replayBatch)
	recs := make([]Record, 0, n)
	out := make([]*Record, 0, n)
	var data chunks
	expect := s.cursor + 1
	gap := false
	err := s.l.st.ReadEvents(ctx, s.cursor, limit, func(e store.RawEvent) {
		if e.Seq != expect {
			gap = true
			return
		}
		expect++
		if len(recs) == cap(recs) { // more rows than one batch: start another
			recs = make([]Record, 0, n)
		}
		recs = recs[:len(recs)+1]
		r := &recs[len(recs)-1]
		r.Seq, r.SessionID, r.Type, r.Data, r.private = e.Seq, e.SessionID, Type(e.Type), data.copy(e.Data), true
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

// chunkSize is the unit replayed event data is copied into.
const chunkSize = 64 << 10

// chunks hands out copies of byte slices carved from shared chunks.
type chunks struct{ buf []byte }

// copy returns a copy of b whose capacity ends with it, so appending to
// one record's data never writes into the next.
func (c *chunks) copy(b []byte) []byte {
	if len(b) > cap(c.buf)-len(c.buf) {
		c.buf = make([]byte, 0, max(chunkSize, len(b)))
	}
	start := len(c.buf)
	c.buf = append(c.buf, b...)
	return c.buf[start:len(c.buf):len(c.buf)]
}

// Encoded returns the record's wire form, made by encode, which appends
// it to the slice it is given. A live record is seen by every subscriber,
// so its form is made once (appended to nil) and kept: a burst sent to
// many streams is encoded once. A record read back from the database is
// the one subscriber's that asked for it, so its form is appended to dst
// and nothing is kept. Every caller must pass the same encoding (there is
// one wire format); the log never looks at it. The result may be shared:
// write it out, never modify it or append to it.
func (r *Record) Encoded(dst []byte, encode func(dst []byte, r *Record) []byte) []byte {
	if p := r.encoded.Load(); p != nil {
		return *p
	}
	if r.private {
		return encode(dst, r)
	}
	b := encode(nil, r)
	r.encoded.Store(&b)
	return b
}

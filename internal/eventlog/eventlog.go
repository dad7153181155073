// Package eventlog is Holdfast's durable event log: appends are committed
// to SQLite (group-committed, many appends per transaction) before anyone
// can see them, and subscribers are cursors that replay strictly after a
// position and then follow live events with no gap and no duplicate.
//
// Memory only caches recent events in a ring; the database is the truth. A
// subscriber that falls behind the ring reads from the database instead of
// being dropped or making writers wait.
//
// The log does not know how events look on the wire: a record only caches
// the bytes its first reader encodes (Record.Encoded) for the others.
package eventlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// ErrClosed is returned by operations on a closed log.
var ErrClosed = errors.New("event log closed")

// Reset reasons.
const (
	ReasonEpochMismatch  = "epoch_mismatch"
	ReasonHistoryTrimmed = "history_trimmed"
	ReasonBadID          = "bad_id"
)

// ResetError tells a subscriber its position cannot be resumed: it must
// resync from a snapshot instead of replaying a partial history.
type ResetError struct{ Reason string }

var _ error = (*ResetError)(nil)

func (e *ResetError) Error() string { return "event log reset: " + e.Reason }

// IsReset reports whether err asks the subscriber to resync.
func IsReset(err error) bool {
	var r *ResetError
	return errors.As(err, &r)
}

// Type names what an event says happened, e.g. "message.delta". Clients
// dispatch on it.
type Type string

// Event is what callers append.
type Event struct {
	SessionID string // "" for events of no session (they reach every stream)
	Type      Type
	Data      []byte // JSON, one line
}

// Record is a committed event. Its fields never change once it is
// published, so any number of readers may share it.
type Record struct {
	Seq       int64
	SessionID string
	Type      Type
	Data      []byte

	encoded atomic.Pointer[[]byte] // the shared wire form, see Encoded
	private bool                   // read back from the database for one subscriber
}

// Options configure a Log.
type Options struct {
	// RingSize is how many recent events stay in memory (rounded up to a
	// power of two; default 131072).
	RingSize int
	// MaxBatch caps how many append requests share one transaction
	// (default 4096).
	MaxBatch int
	// ProbeEvery is how often an idle writer tries a tiny write while a
	// storage fault is set, to see it clear (default 1s).
	ProbeEvery time.Duration
	Logger     *slog.Logger
}

// Log is the durable event log over one store.
//
// One writer goroutine commits every append; subscribers read under mu
// and wait on notify. The head and the retention mark are atomics so the
// hot paths (Head, TryNext) read them without the lock.
type Log struct {
	// Set by Open and never changed.
	st         *store.Store
	epoch      string
	log        *slog.Logger
	mask       int64 // len(ring)-1
	ringLow    int64 // lowest seq ever placed in the ring
	maxBatch   int
	probeEvery time.Duration

	reqs   chan *request // appends for the writer goroutine
	stop   chan struct{} // closed by Close: refuse new appends
	done   chan struct{} // closed when the writer has returned
	closed chan struct{} // closed after done: wakes waiting subscribers
	once   sync.Once     // guards the close sequence

	// mu guards ring and notify. The writer holds it to publish, so a
	// reader that sees the new head under RLock also sees its records.
	mu     sync.RWMutex
	ring   []*Record     // recent records by seq&mask; the database is the truth
	notify chan struct{} // closed and replaced on every publish

	head    atomic.Int64 // newest committed seq; stored under mu by publish
	trimmed atomic.Int64 // newest seq removed by retention; stored by Trim

	// faultMu guards fault and faultChanged; only the writer changes them.
	faultMu      sync.Mutex
	fault        Fault
	faultChanged chan struct{} // closed and replaced when fault changes

	lastCheckpoint time.Time // writer goroutine only
}

type request struct {
	ctx    context.Context
	events []Event                          // plain append
	fn     func(*store.Tx) ([]Event, error) // transactional append
	recs   []*Record
	err    error
	done   chan struct{}
}

// Open loads the head and retention mark from the store (never assuming 0)
// and starts the writer.
func Open(ctx context.Context, st *store.Store, opts Options) (*Log, error) {
	if opts.RingSize <= 0 {
		opts.RingSize = 1 << 17
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 4096
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ProbeEvery <= 0 {
		opts.ProbeEvery = time.Second
	}
	size := 1
	for size < opts.RingSize {
		size <<= 1
	}
	b, err := st.Bounds(ctx)
	if err != nil {
		return nil, fmt.Errorf("open event log: %w", err)
	}
	l := &Log{
		st:         st,
		epoch:      st.Epoch(),
		log:        opts.Logger,
		reqs:       make(chan *request, opts.MaxBatch),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		closed:     make(chan struct{}),
		ring:       make([]*Record, size),
		mask:       int64(size - 1),
		ringLow:    b.Head + 1,
		notify:     make(chan struct{}),
		maxBatch:   opts.MaxBatch,
		probeEvery: opts.ProbeEvery,

		faultChanged: make(chan struct{}),
	}
	l.head.Store(b.Head)
	l.trimmed.Store(b.TrimmedThrough)
	go l.writer()
	return l, nil
}

// Epoch is the database's epoch.
func (l *Log) Epoch() string { return l.epoch }

// Head is the newest committed seq.
func (l *Log) Head() int64 { return l.head.Load() }

// TrimmedThrough is the newest seq removed by retention (0 if none).
func (l *Log) TrimmedThrough() int64 { return l.trimmed.Load() }

// FormatID formats an event id: "<epoch>:<seq>".
func FormatID(epoch string, seq int64) string {
	return epoch + ":" + strconv.FormatInt(seq, 10)
}

// AppendID appends the id FormatID makes, for callers formatting many ids
// into one buffer.
func AppendID(dst []byte, epoch string, seq int64) []byte {
	dst = append(dst, epoch...)
	dst = append(dst, ':')
	return strconv.AppendInt(dst, seq, 10)
}

// MaxIDLen bounds an event id a client may send back. Ids this server
// makes are about 30 bytes.
const MaxIDLen = 100

// ParseID splits "<epoch>:<seq>": an epoch of 1 to 64 letters, digits,
// '-' or '_', and a decimal seq. Anything else (line breaks, signs,
// spaces, more than MaxIDLen bytes) is refused; the error never repeats
// the id, which is the client's text.
func ParseID(id string) (epoch string, seq int64, err error) {
	if len(id) > MaxIDLen {
		return "", 0, fmt.Errorf("event id is %d bytes, over the limit of %d", len(id), MaxIDLen)
	}
	epoch, s, ok := strings.Cut(id, ":")
	if !ok || !validEpoch(epoch) {
		return "", 0, errors.New("event id: want <epoch>:<seq>")
	}
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return "", 0, errors.New("event id: seq must be a decimal number")
	}
	seq, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return "", 0, errors.New("event id: seq out of range")
	}
	return epoch, seq, nil
}

func validEpoch(e string) bool {
	if e == "" || len(e) > 64 {
		return false
	}
	for i := 0; i < len(e); i++ {
		c := e[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Append commits events and returns them as records once they are durable
// and visible to subscribers. If ctx ends first the outcome is unknown to
// the caller (the append may still commit).
func (l *Log) Append(ctx context.Context, events ...Event) ([]*Record, error) {
	return l.submit(ctx, &request{ctx: ctx, events: events})
}

// Do runs fn inside the writer's transaction and appends the events it
// returns, so state changes and the events describing them commit together.
// fn runs under a savepoint: if it fails, only its changes are undone and
// its error is returned. fn must not block.
func (l *Log) Do(ctx context.Context, fn func(*store.Tx) ([]Event, error)) ([]*Record, error) {
	return l.submit(ctx, &request{ctx: ctx, fn: fn})
}

func (l *Log) submit(ctx context.Context, r *request) ([]*Record, error) {
	r.done = make(chan struct{})
	select {
	case <-l.stop:
		return nil, ErrClosed
	default:
	}
	select {
	case l.reqs <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.stop:
		return nil, ErrClosed
	}
	select {
	case <-r.done:
		return r.recs, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *Log) writer() {
	defer close(l.done)
	batch := make([]*request, 0, l.maxBatch)
	for {
		var probe <-chan time.Time
		if l.faulted() {
			probe = time.After(l.probeEvery)
		}
		select {
		case r := <-l.reqs:
			batch = append(batch[:0], r)
		case <-probe:
			l.probe()
			continue
		case <-l.stop:
			// Finish what was already queued, then stop.
			for {
				select {
				case r := <-l.reqs:
					l.commit([]*request{r})
				default:
					return
				}
			}
		}
	drain:
		for len(batch) < l.maxBatch {
			select {
			case r := <-l.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		l.commit(batch)
	}
}

// commit writes a batch in one transaction, then publishes and answers.
func (l *Log) commit(batch []*request) {
	start := l.head.Load()
	next := start
	now := time.Now().UTC()
	var all []*Record
	var rows []store.EventRow
	// toRows assigns seqs to events and makes their rows and records.
	toRows := func(r *request, evs []Event) []store.EventRow {
		out := make([]store.EventRow, 0, len(evs))
		for _, ev := range evs {
			next++
			out = append(out, store.EventRow{Seq: next, SessionID: ev.SessionID, Type: string(ev.Type), Data: ev.Data, CreatedAt: now})
			r.recs = append(r.recs, &Record{Seq: next, SessionID: ev.SessionID, Type: ev.Type, Data: ev.Data})
		}
		return out
	}
	err := l.st.Write(context.Background(), func(tx *store.Tx) error {
		all, rows, next = all[:0], rows[:0], start
		for _, r := range batch {
			r.recs, r.err = nil, nil
			if r.ctx.Err() != nil {
				r.err = r.ctx.Err()
				continue
			}
			if r.fn == nil {
				// Plain appends cannot fail alone: their rows go in together below.
				rows = append(rows, toRows(r, r.events)...)
				all = append(all, r.recs...)
				continue
			}
			before := next
			err := tx.Savepoint(func() error {
				evs, err := r.fn(tx)
				if err != nil {
					return err
				}
				return tx.InsertEvents(toRows(r, evs))
			})
			if err != nil {
				if store.Fault(err) != nil {
					// SQLite may have rolled the whole transaction back
					// (it does on a full disk): the statements after it
					// would run outside any transaction. The batch fails
					// as one; its requests learn the fault.
					return err
				}
				next, r.recs, r.err = before, nil, err
				continue
			}
			all = append(all, r.recs...)
		}
		return tx.InsertEvents(rows)
	})
	fault := err
	if err != nil {
		if store.Fault(err) == nil {
			l.log.Error("event log commit failed", "err", err, "requests", len(batch))
		}
		for _, r := range batch {
			r.recs, r.err = nil, fmt.Errorf("append event: %w", err)
		}
	} else if next > start {
		l.publish(all, next)
	}
	for _, r := range batch {
		close(r.done)
	}
	l.noteWrite(fault, err == nil && next > start)
}

// publish makes committed records visible: ring first, then the head,
// then wake every waiting subscriber.
func (l *Log) publish(recs []*Record, head int64) {
	l.mu.Lock()
	for _, r := range recs {
		l.ring[r.Seq&l.mask] = r
	}
	l.head.Store(head)
	close(l.notify)
	l.notify = make(chan struct{})
	l.mu.Unlock()
}

// Close stops the writer after it has committed what was queued; waiting
// subscribers return ErrClosed.
func (l *Log) Close() error {
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		close(l.closed)
	})
	return nil
}

// Trim removes the prefix of the log with seq <= through (clamped to the
// head). Subscribers positioned before the kept part get a reset.
func (l *Log) Trim(ctx context.Context, through int64) (int64, error) {
	if h := l.head.Load(); through > h {
		through = h
	}
	if through <= l.trimmed.Load() {
		return 0, nil
	}
	var n int64
	_, err := l.Do(ctx, func(tx *store.Tx) ([]Event, error) {
		var err error
		n, err = tx.TrimEvents(through)
		return nil, err
	})
	if err != nil {
		return 0, fmt.Errorf("trim event log: %w", err)
	}
	l.trimmed.Store(through)
	return n, nil
}

// Retention is the policy for trimming old events.
type Retention struct {
	MaxAge    time.Duration // 0 = keep regardless of age
	MaxEvents int64         // 0 = keep regardless of count
}

// ApplyRetention trims events beyond the policy. Only a prefix is removed,
// so the kept log has no hole.
func (l *Log) ApplyRetention(ctx context.Context, p Retention) (int64, error) {
	var through int64
	if p.MaxEvents > 0 {
		through = l.head.Load() - p.MaxEvents
	}
	if p.MaxAge > 0 {
		seq, err := l.st.EventSeqBefore(ctx, time.Now().Add(-p.MaxAge))
		if err != nil {
			return 0, err
		}
		through = max(through, seq)
	}
	if through <= 0 {
		return 0, nil
	}
	return l.Trim(ctx, through)
}

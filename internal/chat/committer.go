package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// Defaults for how a generation rides out a storage fault.
const (
	// DefaultStorageWait is how long a generation keeps retrying the
	// commit of its chunks while the database cannot be written (locked
	// by another program, or the disk is full) before the answer ends
	// failed with what was committed.
	DefaultStorageWait = 60 * time.Second
	// DefaultChunkBuffer is how many bytes of chunks a generation holds
	// in memory while they wait to be committed; past it the provider is
	// not read until there is room again.
	DefaultChunkBuffer = 4 << 20
)

// Retry pacing of a faulted commit (each attempt may itself wait the
// store's busy timeout for a lock).
const (
	firstRetry = 50 * time.Millisecond
	maxRetry   = 2 * time.Second
)

// maxPerCommit caps how many queued chunks go into one transaction.
const maxPerCommit = 512

// write is one chunk's change: it runs inside the log's transaction and
// returns the events that describe it. It may run more than once (a
// retry after a fault runs it again in a fresh transaction), so it must
// only use values fixed when it was made.
type write func(*store.Tx) ([]eventlog.Event, error)

type queued struct {
	fn   write
	size int
}

// committer writes one generation's chunks to the event log in order, on
// its own goroutine, so that a storage fault is waited out without losing
// a chunk or showing one early (the log publishes only what it
// committed). Chunks wait in memory up to limit bytes; beyond that add
// blocks, and with it the provider's stream: backpressure, never a drop.
// A fault is retried with backoff for up to wait from when it began; if
// it lasts longer the committer fails, and so does the generation, with
// every chunk committed before the fault kept.
type committer struct {
	// Set by newCommitter and never changed.
	events EventLog
	ctx    context.Context // the service's: chunks queued before a Stop are still committed
	stop   <-chan struct{} // closes at shutdown: stop retrying a fault (what is queued is dropped)
	wait   time.Duration
	limit  int
	log    *slog.Logger
	msgID  string

	mu      sync.Mutex
	queue   []queued      // not yet committed, oldest first
	bytes   int           // size of queue, the batch being committed included
	err     error         // why committing stopped for good; set once
	closing bool          // close was called: commit what is queued, then stop
	room    chan struct{} // closed and replaced when bytes shrink or err is set
	wake    chan struct{} // cap 1: there is work (or closing)
	done    chan struct{} // closed when the loop has returned
}

func newCommitter(ctx context.Context, stop <-chan struct{}, events EventLog, msgID string, wait time.Duration, limit int, log *slog.Logger) *committer {
	c := &committer{events: events, ctx: ctx, stop: stop, wait: wait, limit: limit, log: log, msgID: msgID,
		room: make(chan struct{}), wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.loop()
	return c
}

// add queues fn, which writes a chunk of size bytes. It blocks while the
// queue is full (until there is room or ctx ends) and returns the
// committer's error once it has failed.
func (c *committer) add(ctx context.Context, size int, fn write) error {
	c.mu.Lock()
	// One chunk larger than the limit still goes in, alone.
	for c.err == nil && c.bytes > 0 && c.bytes+size > c.limit {
		room := c.room
		c.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		}
		c.mu.Lock()
	}
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.queue = append(c.queue, queued{fn: fn, size: size})
	c.bytes += size
	c.mu.Unlock()
	c.signal()
	return nil
}

// close commits what is queued (riding out a fault as add does) and
// stops; it returns why committing failed, or nil.
func (c *committer) close() error {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.signal()
	<-c.done
	return c.err
}

// buffered is how many bytes wait to be committed.
func (c *committer) buffered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

func (c *committer) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *committer) loop() {
	defer close(c.done)
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closing {
			c.mu.Unlock()
			<-c.wake
			c.mu.Lock()
		}
		if len(c.queue) == 0 {
			c.mu.Unlock()
			return // closing, everything committed
		}
		batch := c.queue[:min(len(c.queue), maxPerCommit)]
		c.mu.Unlock()

		err := c.commit(batch)

		c.mu.Lock()
		if err != nil {
			c.err = err
			clear(c.queue)
			c.queue, c.bytes = nil, 0
		} else {
			for _, q := range batch {
				c.bytes -= q.size
			}
			clear(c.queue[:len(batch)])
			c.queue = c.queue[len(batch):]
		}
		close(c.room)
		c.room = make(chan struct{})
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// commit writes batch in one transaction, retrying a storage fault with
// backoff until it has lasted wait.
func (c *committer) commit(batch []queued) error {
	fn := func(tx *store.Tx) ([]eventlog.Event, error) {
		var evs []eventlog.Event
		for _, q := range batch {
			more, err := q.fn(tx)
			if err != nil {
				return nil, err
			}
			evs = append(evs, more...)
		}
		return evs, nil
	}
	var since time.Time // when this fault began; zero while none
	delay := firstRetry
	for {
		_, err := c.events.Do(c.ctx, fn)
		if err == nil {
			if !since.IsZero() {
				c.log.Info("chunks committed after a storage fault", "message", c.msgID, "waited", time.Since(since).Round(time.Millisecond))
			}
			return nil
		}
		fault := store.Fault(err)
		if fault == nil {
			return fmt.Errorf("store chunk: %w", err)
		}
		if since.IsZero() {
			since = time.Now()
			c.log.Warn("storage fault: holding chunks in memory and retrying", "message", c.msgID, "err", err, "wait", c.wait)
		}
		left := c.wait - time.Since(since)
		if left <= 0 {
			c.log.Error("storage fault outlasted the wait; the answer ends failed", "message", c.msgID, "err", err, "wait", c.wait)
			return &StorageError{Fault: fault, Waited: c.wait, Err: err}
		}
		t := time.NewTimer(min(delay, left))
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return fmt.Errorf("store chunk: %w", c.ctx.Err())
		case <-c.stop:
			// Shutting down: not worth holding it up for a fault that
			// may last. The answer keeps what was committed and the
			// next start settles it.
			t.Stop()
			c.log.Warn("shut down during a storage fault; chunks not yet saved are dropped", "message", c.msgID, "err", err)
			return fmt.Errorf("store chunk during a storage fault: %w", errShutdown)
		}
		delay = min(delay*2, maxRetry)
	}
}

// StorageError ends an answer whose chunks could not be committed for
// the whole storage wait. Its text is what the user reads under the
// answer; errors.Is matches store.ErrBusy or store.ErrFull.
type StorageError struct {
	Fault  error // store.ErrBusy or store.ErrFull
	Waited time.Duration
	Err    error // the last failure, for the log
}

func (e *StorageError) Error() string {
	waited := e.Waited.Round(time.Second)
	if errors.Is(e.Fault, store.ErrFull) {
		return fmt.Sprintf("The disk is full: the answer could not be saved for %v. Free space on the disk, then Continue.", waited)
	}
	return fmt.Sprintf("Another program is holding the database: the answer could not be saved for %v. Close that program, then Continue.", waited)
}

// Unwrap gives the fault and the last failure.
func (e *StorageError) Unwrap() []error { return []error{e.Fault, e.Err} }

package search

import (
	"context"
	"log/slog"
	"time"
)

// Indexer defaults.
const (
	// DefaultBatch is the most queued messages one indexing transaction
	// takes. Each commit costs the index a segment and some merging, so
	// smaller batches take longer in all; but a batch holds the writer
	// connection, and a streamed token waits behind it (250 messages held
	// it 65 ms at the median on a quiet 2-core machine, up to 770 ms at a
	// load average of 15), so the size adapts to DefaultHold.
	DefaultBatch = 250
	// MinBatch is the smallest batch the size adapts down to.
	MinBatch = 16
	// DefaultHold is how long one batch should keep the writer: a batch
	// that takes longer halves the next one, one that takes under half of
	// it doubles the next (up to the batch size).
	DefaultHold = 25 * time.Millisecond
	// DefaultPause is the gap between two batches, in which other writes
	// (tokens, events) go first.
	DefaultPause = 5 * time.Millisecond
)

// IndexStore is what the indexer needs of the store.
type IndexStore interface {
	// IndexPending indexes up to limit queued messages in one
	// transaction and returns how many it took (0: none left).
	IndexPending(ctx context.Context, limit int) (int, error)
}

// Indexer indexes, in the background, the messages an import stored
// without indexing them (store.Bulk.DeferIndex). The queue is in the
// database, so an indexer started after a restart finishes what the last
// one left. Each batch is its own short transaction; chats keep writing
// between them, and their own messages are indexed by the triggers at
// once, never queued.
type Indexer struct {
	store IndexStore
	batch int
	pause time.Duration
	hold  time.Duration
	log   *slog.Logger
	wake  chan struct{}
	now   func() time.Time // time.Now; tests step it
}

// IndexerOptions tune an Indexer; zero values mean the defaults.
type IndexerOptions struct {
	// Batch is the largest batch (and the first).
	Batch int
	Pause time.Duration
	// Hold is the time one batch should keep the writer; negative keeps
	// every batch at Batch (nothing else writes: the command line).
	Hold   time.Duration
	Logger *slog.Logger
}

// NewIndexer makes an indexer; Run starts it.
func NewIndexer(st IndexStore, opts IndexerOptions) *Indexer {
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Pause <= 0 {
		opts.Pause = DefaultPause
	}
	if opts.Hold == 0 {
		opts.Hold = DefaultHold
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Indexer{store: st, batch: opts.Batch, pause: opts.Pause, hold: opts.Hold, log: opts.Logger, wake: make(chan struct{}, 1), now: time.Now}
}

// Wake tells the indexer that messages were queued (an import committed).
// It never blocks.
func (x *Indexer) Wake() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// Run indexes the queue until it is empty, then waits for Wake, until ctx
// ends. A failed batch is retried after a while (the disk may be full);
// what was indexed stays.
func (x *Indexer) Run(ctx context.Context) {
	for {
		if err := x.Drain(ctx); err != nil && ctx.Err() == nil {
			x.log.Warn("search indexing failed; retrying in a minute", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-x.wake:
			case <-time.After(time.Minute):
			}
			continue
		}
		// Another process (holdfast import on the command line) may queue
		// messages without waking this one: look again now and then.
		select {
		case <-ctx.Done():
			return
		case <-x.wake:
		case <-time.After(time.Minute):
		}
	}
}

// Drain indexes batches until the queue is empty or ctx ends, pausing
// between batches so other writes go first.
func (x *Indexer) Drain(ctx context.Context) error {
	total := 0
	size := x.batch
	for ctx.Err() == nil {
		start := x.now()
		n, err := x.store.IndexPending(ctx, size)
		if err != nil {
			return err
		}
		total += n
		if n == 0 {
			break
		}
		size = x.nextSize(size, x.now().Sub(start))
		select {
		case <-ctx.Done():
		case <-time.After(x.pause):
		}
	}
	if total > 0 {
		x.log.Info("indexed imported messages for search", "count", total)
	}
	return ctx.Err()
}

// nextSize is the batch after one of size that took took: halved when it
// kept the writer longer than the hold (the machine is busy or the
// messages long), doubled when it took under half of it, always between
// MinBatch and the largest batch.
func (x *Indexer) nextSize(size int, took time.Duration) int {
	switch {
	case x.hold < 0:
		return x.batch
	case took > x.hold:
		return max(min(MinBatch, x.batch), size/2)
	case took < x.hold/2:
		return min(x.batch, size*2)
	}
	return size
}

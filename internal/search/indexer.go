package search

import (
	"context"
	"log/slog"
	"time"
)

// Indexer defaults.
const (
	// DefaultBatch is how many queued messages one indexing transaction
	// takes. Each commit costs the index a segment and some merging, so
	// smaller batches take longer in all; this size holds the writer
	// connection some 20 ms on an idle 2-core machine (about 100 ms at a
	// load average of 15), which is how long a streamed token can wait
	// behind it.
	DefaultBatch = 250
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
	log   *slog.Logger
	wake  chan struct{}
}

// IndexerOptions tune an Indexer; zero values mean the defaults.
type IndexerOptions struct {
	Batch  int
	Pause  time.Duration
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
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Indexer{store: st, batch: opts.Batch, pause: opts.Pause, log: opts.Logger, wake: make(chan struct{}, 1)}
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
	for ctx.Err() == nil {
		n, err := x.store.IndexPending(ctx, x.batch)
		if err != nil {
			return err
		}
		total += n
		if n == 0 {
			break
		}
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

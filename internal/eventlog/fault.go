package eventlog

import (
	"context"
	"errors"
	"time"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// FaultKind names a storage fault the writer is waiting out.
type FaultKind string

// Storage fault kinds.
const (
	FaultNone FaultKind = ""     // the database can be written
	FaultBusy FaultKind = "busy" // another program holds the write lock
	FaultFull FaultKind = "full" // the disk is full
)

// Fault is the storage state the log's writer last saw: a fault is set
// by a commit that failed with one (see store.Fault) and cleared by the
// next commit that writes something. While it is set the writer probes
// with a tiny write every ProbeEvery when it has nothing else to do, so
// the fault clears by itself once its cause is gone.
type Fault struct {
	Kind  FaultKind
	Since time.Time // when this fault was first seen; zero when none
}

// Fault returns the storage state and a channel closed at its next change.
func (l *Log) Fault() (Fault, <-chan struct{}) {
	l.faultMu.Lock()
	defer l.faultMu.Unlock()
	return l.fault, l.faultChanged
}

func (l *Log) faulted() bool {
	l.faultMu.Lock()
	defer l.faultMu.Unlock()
	return l.fault.Kind != FaultNone
}

// noteWrite records the outcome of a write: err is the first storage
// fault it met (nil for none), wrote says something was committed.
// Called by the writer goroutine only.
func (l *Log) noteWrite(err error, wrote bool) {
	kind := FaultNone
	switch store.Fault(err) {
	case store.ErrBusy:
		kind = FaultBusy
	case store.ErrFull:
		kind = FaultFull
	default:
		if !wrote {
			return // nothing learned: an empty commit succeeds on a full disk too
		}
	}
	l.faultMu.Lock()
	prev := l.fault
	if kind != prev.Kind {
		l.fault = Fault{Kind: kind}
		if kind != FaultNone {
			l.fault.Since = time.Now()
			if prev.Kind != FaultNone {
				l.fault.Since = prev.Since // one episode, another cause
			}
		}
		close(l.faultChanged)
		l.faultChanged = make(chan struct{})
	}
	l.faultMu.Unlock()
	switch {
	case kind == prev.Kind && kind != FaultFull:
	case kind == FaultNone:
		l.log.Info("storage fault cleared", "was", string(prev.Kind), "after", time.Since(prev.Since).Round(time.Millisecond))
		// Give the disk back what the WAL took while writes piled up.
		l.checkpoint()
	case kind == FaultFull:
		if prev.Kind != kind {
			l.log.Warn("storage fault: the disk is full; writes wait", "err", err)
		}
		// The WAL may hold space a checkpoint can return: try now and
		// then (each try copies pages, so not on every failed write).
		if time.Since(l.lastCheckpoint) >= l.probeEvery {
			l.checkpoint()
		}
	default:
		l.log.Warn("storage fault: another program holds the database; writes wait", "err", err)
	}
}

// checkpoint truncates the WAL, logging what it could not do.
func (l *Log) checkpoint() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l.lastCheckpoint = time.Now()
	if err := l.st.Checkpoint(ctx); err != nil {
		l.log.Debug("WAL checkpoint did not finish", "err", err)
		return
	}
	l.log.Debug("WAL checkpointed and truncated")
}

// probe tries a tiny write to see whether the fault has cleared.
func (l *Log) probe() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := l.st.Probe(ctx)
	if err != nil && store.Fault(err) == nil && !errors.Is(err, context.DeadlineExceeded) {
		l.log.Warn("storage probe failed", "err", err)
		return
	}
	l.noteWrite(err, err == nil)
}

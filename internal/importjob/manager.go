package importjob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/holdfast-chat/holdfast/internal/importer"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// Job states.
const (
	StateRunning   = "running"
	StateDone      = "done"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
)

// ErrBusy is returned by Start while another import runs: imports share
// the store's one writer, so a second one would only wait.
var ErrBusy = errors.New("another import is running")

// ErrNoJob is returned for an unknown import id.
var ErrNoJob = errors.New("no such import")

// Status is an import job as clients see it.
type Status struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"` // the file's name, for the UI
	State    string   `json:"state"`
	Progress Progress `json:"progress"`
	Summary  *Summary `json:"summary"` // set once the job ends (not for failed)
	Error    string   `json:"error"`   // why a failed job failed
	// ErrorCode classifies Error for clients that show it in another
	// language: unknown_format, storage_busy, storage_full or unreadable.
	ErrorCode  string     `json:"error_code"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// ManagerConfig configures a Manager.
type ManagerConfig struct {
	Store Store
	// UploadDir holds uploaded files while they are imported.
	UploadDir string
	// Model returns the model imported chats continue with ("" keeps the
	// source's).
	Model func() string
	// Committed is told about the chats of every committed transaction,
	// so clients can learn of them. It must not block for long.
	Committed func(ctx context.Context, sessionIDs []string)
	// Files stores the attached files of Holdfast exports (nil: they are
	// left as names).
	Files  Uploader
	Logger *slog.Logger
}

// Manager runs imports in the background, one at a time, and keeps the
// status of recent ones.
type Manager struct {
	cfg    ManagerConfig
	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	jobs    map[string]*job
	order   []string // oldest first, for trimming
	running string
}

type job struct {
	status Status // guarded by Manager.mu
	cancel context.CancelFunc
	done   chan struct{}
}

// keepJobs is how many finished jobs keep their status.
const keepJobs = 20

// NewManager makes a Manager.
func NewManager(cfg ManagerConfig) *Manager {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Model == nil {
		cfg.Model = func() string { return "" }
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{cfg: cfg, ctx: ctx, cancel: cancel, jobs: map[string]*job{}}
}

// NewUpload creates a file for an uploaded export; pass its path to
// Start with owned set, or remove it.
func (m *Manager) NewUpload() (*os.File, error) {
	if err := os.MkdirAll(m.cfg.UploadDir, 0o700); err != nil {
		return nil, fmt.Errorf("create import folder: %w", err)
	}
	f, err := os.CreateTemp(m.cfg.UploadDir, "upload-*")
	if err != nil {
		return nil, fmt.Errorf("create upload file: %w", err)
	}
	return f, nil
}

// Busy reports whether an import is running.
func (m *Manager) Busy() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.running != ""
}

// Start imports the file at path in the background. name is what the UI
// calls the file; owned means the file is an upload to remove when done.
// A format the reader does not know is refused at once.
func (m *Manager) Start(path, name, format string, owned bool) (Status, error) {
	remove := func() {
		if owned {
			os.Remove(path)
		}
	}
	if _, err := ParseFormat(format); err != nil {
		remove()
		return Status{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ctx.Err() != nil {
		remove()
		return Status{}, errors.New("imports are shutting down")
	}
	if m.running != "" {
		remove()
		return Status{}, ErrBusy
	}
	ctx, cancel := context.WithCancel(m.ctx)
	j := &job{cancel: cancel, done: make(chan struct{}),
		status: Status{ID: newJobID(), Name: name, State: StateRunning, StartedAt: time.Now().UTC()}}
	m.jobs[j.status.ID] = j
	m.order = append(m.order, j.status.ID)
	m.running = j.status.ID
	m.trimLocked()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(j.done)
		defer remove()
		m.run(ctx, j, path, format, owned)
	}()
	return j.status, nil
}

func (m *Manager) run(ctx context.Context, j *job, path, format string, upload bool) {
	// An upload sits alone in the upload folder: its files can only come
	// in a zip.
	opts := Options{Format: format, Model: m.cfg.Model(), Files: m.cfg.Files, NoFolder: upload,
		Progress: func(p Progress) {
			m.mu.Lock()
			j.status.Progress = p
			m.mu.Unlock()
		},
		Committed: func(ids []string) {
			if m.cfg.Committed != nil {
				m.cfg.Committed(context.WithoutCancel(ctx), ids)
			}
		},
	}
	sum, err := Run(ctx, m.cfg.Store, path, opts)
	now := time.Now().UTC()
	m.mu.Lock()
	defer m.mu.Unlock()
	j.status.FinishedAt = &now
	m.running = ""
	switch {
	case err != nil:
		j.status.State, j.status.Error, j.status.ErrorCode = StateFailed, err.Error(), ErrorCode(err)
		if sum.Imported > 0 {
			j.status.Summary = &sum
		}
		m.cfg.Logger.Warn("import failed", "file", j.status.Name, "imported", sum.Imported, "err", err)
	case sum.Cancelled:
		j.status.State, j.status.Summary = StateCancelled, &sum
	default:
		j.status.State, j.status.Summary = StateDone, &sum
	}
}

// ErrorCode classifies why an import failed: the format could not be told
// (unknown_format), the database was busy or the disk full
// (storage_busy, storage_full), or the file could not be read (unreadable:
// damaged, truncated, not an export, gone).
func ErrorCode(err error) string {
	var de *importer.DetectError
	switch {
	case errors.As(err, &de):
		return "unknown_format"
	case errors.Is(err, store.ErrBusy):
		return "storage_busy"
	case errors.Is(err, store.ErrFull):
		return "storage_full"
	}
	return "unreadable"
}

// trimLocked forgets the oldest finished jobs beyond keepJobs.
func (m *Manager) trimLocked() {
	for len(m.order) > keepJobs {
		id := m.order[0]
		if id == m.running {
			return
		}
		m.order = m.order[1:]
		delete(m.jobs, id)
	}
}

// Status returns a job's status.
func (m *Manager) Status(id string) (Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return Status{}, ErrNoJob
	}
	return j.status, nil
}

// Cancel asks a running job to stop after the conversations already
// stored; it returns at once. Cancelling a finished job changes nothing.
func (m *Manager) Cancel(id string) (Status, error) {
	m.mu.Lock()
	j, ok := m.jobs[id]
	m.mu.Unlock()
	if !ok {
		return Status{}, ErrNoJob
	}
	j.cancel()
	return m.Status(id)
}

// Wait waits for a job to end, bounded by ctx.
func (m *Manager) Wait(ctx context.Context, id string) (Status, error) {
	m.mu.Lock()
	j, ok := m.jobs[id]
	m.mu.Unlock()
	if !ok {
		return Status{}, ErrNoJob
	}
	select {
	case <-j.done:
	case <-ctx.Done():
		return Status{}, ctx.Err()
	}
	return m.Status(id)
}

// Close cancels running imports and waits for them (what they stored
// stays; each conversation is whole).
func (m *Manager) Close() {
	m.mu.Lock()
	m.cancel()
	m.mu.Unlock()
	m.wg.Wait()
}

func newJobID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "imp_" + hex.EncodeToString(b)
}

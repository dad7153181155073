// Package chat owns conversations: sessions, messages and the generation
// jobs that stream a provider's answer into the event log.
//
// A generation is a job owned by the Service, not by the HTTP request that
// started it: a client that disconnects never cancels one, only Stop (or
// shutdown) does. Every state change is committed together with the event
// that describes it, through the event log's transactional Do.
package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// Event types this package appends.
const (
	EventSessionCreated     eventlog.Type = "session.created"
	EventSessionUpdated     eventlog.Type = "session.updated"
	EventSessionDeleted     eventlog.Type = "session.deleted"
	EventMessageCreated     eventlog.Type = "message.created"
	EventMessageDelta       eventlog.Type = "message.delta"
	EventMessageReasoning   eventlog.Type = "message.reasoning"
	EventMessageCompleted   eventlog.Type = "message.completed"
	EventMessageFailed      eventlog.Type = "message.failed"
	EventMessageStopped     eventlog.Type = "message.stopped"
	EventMessageInterrupted eventlog.Type = "message.interrupted"
	EventMessageContinued   eventlog.Type = "message.continued"
	EventMessageQueued      eventlog.Type = "message.queued"  // an existing answer waits for its turn (Continue while another streams)
	EventMessageStarted     eventlog.Type = "message.started" // a queued answer's turn came: it streams now
	EventMessageDeleted     eventlog.Type = "message.deleted"
	EventBranchSwitched     eventlog.Type = "branch.switched"
)

// DefaultTitle is a new session's title until its first message names it.
const DefaultTitle = "New chat"

// MaxContentBytes bounds one message's text.
const MaxContentBytes = 256 << 10

// Errors callers map to statuses.
var (
	ErrNotFound       = store.ErrNotFound
	ErrInvalid        = errors.New("invalid request")
	ErrTooLarge       = errors.New("message too large")
	ErrConflict       = errors.New("conflict")
	ErrCannotContinue = errors.New("this model cannot continue an answer; regenerate it instead")
	ErrUnknownModel   = errors.New("unknown model")
	// ErrWrongSession: a message named for a chat belongs to another.
	ErrWrongSession = store.ErrWrongSession
)

// causes of a job's end other than the provider finishing.
var (
	errStopped  = errors.New("stopped by the user")
	errShutdown = errors.New("holdfast shut down")
)

// EventLog is the slice of the event log this package needs: every state
// change commits together with the events that describe it.
type EventLog interface {
	Do(ctx context.Context, fn func(*store.Tx) ([]eventlog.Event, error)) ([]*eventlog.Record, error)
}

// Reader is the slice of the store this package reads from.
type Reader interface {
	GetSession(ctx context.Context, id string) (store.Session, error)
	GetMessage(ctx context.Context, id string) (store.Message, error)
	// PathTo is the path from a first message down to id, id included.
	PathTo(ctx context.Context, id string) ([]store.Message, error)
	// SubtreeStreaming lists the messages at or below id still streaming.
	SubtreeStreaming(ctx context.Context, id string) ([]string, error)
	StreamingMessages(ctx context.Context) ([]store.Message, error)
	QueuedMessages(ctx context.Context) ([]store.Message, error)
}

var (
	_ EventLog = (*eventlog.Log)(nil)
	_ Reader   = (*store.Store)(nil)
)

// Providers resolves a model reference ("<provider>/<model>") to the
// provider that serves it and the provider's own model name.
type Providers interface {
	Resolve(ref string) (llm.Provider, string, error)
	DefaultModel() string
}

// Service runs conversations.
type Service struct {
	// Set by New and never changed.
	events       EventLog
	store        Reader
	providers    Providers
	systemPrompt func() string // new chats' default system prompt; nil = none
	files        Attachments   // nil: messages carry no files
	log          *slog.Logger
	base         context.Context // jobs outlive requests; Close ends them
	cancel       context.CancelFunc
	storageWait  time.Duration // how long a job retries a storage fault
	chunkBuffer  int           // bytes of chunks a job holds while they wait

	mu      sync.Mutex
	jobs    map[string]*job // guarded by mu; by assistant message id
	closed  bool            // guarded by mu; set by Close, never cleared
	closing chan struct{}   // closed by Close: a job retrying its end tries once more and gives up
	wg      sync.WaitGroup  // counts running jobs; Add with mu held
	titles  sync.WaitGroup  // counts title requests; Add with mu held

	lanesMu sync.Mutex
	lanes   map[string]*lane // guarded by lanesMu; by session id (queue.go)
}

type job struct {
	msgID     string
	sessionID string
	cancel    context.CancelCauseFunc
	done      chan struct{}
}

// New makes a Service. systemPrompt gives the system prompt a new chat
// gets when it does not set its own (config.toml's, read at each
// creation); nil means none. Call Recover once at start-up and Close at
// the end.
func New(events EventLog, st Reader, providers Providers, systemPrompt func() string, log *slog.Logger, opts ...Option) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base, cancel := context.WithCancel(context.Background())
	s := &Service{events: events, store: st, providers: providers, systemPrompt: systemPrompt, log: log, base: base, cancel: cancel, jobs: map[string]*job{}, lanes: map[string]*lane{}, closing: make(chan struct{}),
		storageWait: DefaultStorageWait, chunkBuffer: DefaultChunkBuffer}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Option tunes a Service.
type Option func(*Service)

// WithStorageWait sets how long a generation retries committing its
// chunks while the database cannot be written (DefaultStorageWait).
func WithStorageWait(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.storageWait = d
		}
	}
}

// WithChunkBuffer sets how many bytes of chunks a generation holds in
// memory while they wait to be committed (DefaultChunkBuffer).
func WithChunkBuffer(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.chunkBuffer = n
		}
	}
}

// newCommitter makes the committer of one generation's chunks.
func (s *Service) newCommitter(msgID string) *committer {
	return newCommitter(s.base, s.closing, s.events, msgID, s.storageWait, s.chunkBuffer, s.log)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own plain structs are marshalled here.
		panic(fmt.Sprintf("marshal event: %v", err))
	}
	return b
}

func event(sessionID string, typ eventlog.Type, v any) eventlog.Event {
	return eventlog.Event{SessionID: sessionID, Type: typ, Data: mustJSON(v)}
}

// Optional is a JSON field that may be absent (Set false), null (Set,
// Value nil) or a value.
type Optional[T any] struct {
	Set   bool
	Value *T
}

// UnmarshalJSON records that the field was present.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set, o.Value = true, nil
	if string(b) == "null" {
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.Value = &v
	return nil
}

// SessionPatch holds the fields an update may change; an absent field is
// unchanged. Settings may be null (back to the provider's default).
type SessionPatch struct {
	Title        *string           `json:"title"`
	Model        *string           `json:"model"`
	SystemPrompt *string           `json:"system_prompt"`
	Temperature  Optional[float64] `json:"temperature"`
	TopP         Optional[float64] `json:"top_p"`
	MaxTokens    Optional[int]     `json:"max_tokens"`
	Pinned       *bool             `json:"pinned"`
	Archived     *bool             `json:"archived"`
}

// NewSession is what a new chat may start with; zero values mean the
// defaults.
type NewSession struct {
	Title        string   `json:"title"`
	Model        string   `json:"model"`
	SystemPrompt string   `json:"system_prompt"`
	Temperature  *float64 `json:"temperature"`
	TopP         *float64 `json:"top_p"`
	MaxTokens    *int     `json:"max_tokens"`
}

// checkSettings refuses generation settings out of their ranges.
func checkSettings(st store.Settings) error {
	if t := st.Temperature; t != nil && (*t < 0 || *t > 2 || math.IsNaN(*t)) {
		return fmt.Errorf("%w: temperature must be between 0 and 2", ErrInvalid)
	}
	if p := st.TopP; p != nil && (*p < 0 || *p > 1 || math.IsNaN(*p)) {
		return fmt.Errorf("%w: top_p must be between 0 and 1", ErrInvalid)
	}
	if m := st.MaxTokens; m != nil && (*m < 1 || *m > 1_000_000) {
		return fmt.Errorf("%w: max_tokens must be between 1 and 1000000", ErrInvalid)
	}
	return nil
}

// CreateSession starts an empty chat. An empty model or system prompt
// means the default one; a title given here is the user's.
func (s *Service) CreateSession(ctx context.Context, ns NewSession) (store.Session, error) {
	title, source := strings.TrimSpace(ns.Title), store.TitleUser
	if title == "" {
		title, source = DefaultTitle, store.TitleAuto
	}
	model, system := ns.Model, ns.SystemPrompt
	if model == "" {
		model = s.providers.DefaultModel()
	}
	if system == "" && s.systemPrompt != nil {
		system = s.systemPrompt()
	}
	if err := s.checkModel(model); err != nil {
		return store.Session{}, err
	}
	if err := checkText("title", title, 500); err != nil {
		return store.Session{}, err
	}
	if err := checkText("system_prompt", system, MaxContentBytes); err != nil {
		return store.Session{}, err
	}
	settings := store.Settings{Temperature: ns.Temperature, TopP: ns.TopP, MaxTokens: ns.MaxTokens}
	if err := checkSettings(settings); err != nil {
		return store.Session{}, err
	}
	var out store.Session
	_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
		now := tx.Now()
		sess := store.Session{ID: tx.NewID("s_"), Title: title, TitleSource: source, Model: model, SystemPrompt: system,
			Settings: settings, CreatedAt: now, UpdatedAt: now, LastActivityAt: now}
		if err := tx.InsertSession(sess); err != nil {
			return nil, err
		}
		var err error
		if out, err = tx.GetSession(sess.ID); err != nil {
			return nil, err
		}
		return []eventlog.Event{event(out.ID, EventSessionCreated, out)}, nil
	})
	if err != nil {
		return store.Session{}, fmt.Errorf("create session: %w", err)
	}
	return out, nil
}

// UpdateSession changes a session's title, model, system prompt,
// settings, pin or archive. A new title is the user's for good.
func (s *Service) UpdateSession(ctx context.Context, id string, p SessionPatch) (store.Session, error) {
	if p.Model != nil {
		if err := s.checkModel(*p.Model); err != nil {
			return store.Session{}, err
		}
	}
	if p.Title != nil {
		t := strings.TrimSpace(*p.Title)
		if t == "" {
			return store.Session{}, fmt.Errorf("%w: title must not be empty", ErrInvalid)
		}
		if err := checkText("title", t, 500); err != nil {
			return store.Session{}, err
		}
		p.Title = &t
	}
	if p.SystemPrompt != nil {
		if err := checkText("system_prompt", *p.SystemPrompt, MaxContentBytes); err != nil {
			return store.Session{}, err
		}
	}
	if err := checkSettings(store.Settings{Temperature: p.Temperature.Value, TopP: p.TopP.Value, MaxTokens: p.MaxTokens.Value}); err != nil {
		return store.Session{}, err
	}
	var out store.Session
	_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
		sess, err := tx.GetSession(id)
		if err != nil {
			return nil, err
		}
		if p.Title != nil {
			sess.Title, sess.TitleSource = *p.Title, store.TitleUser
		}
		if p.Model != nil {
			sess.Model = *p.Model
		}
		if p.SystemPrompt != nil {
			sess.SystemPrompt = *p.SystemPrompt
		}
		if p.Temperature.Set {
			sess.Temperature = p.Temperature.Value
		}
		if p.TopP.Set {
			sess.TopP = p.TopP.Value
		}
		if p.MaxTokens.Set {
			sess.MaxTokens = p.MaxTokens.Value
		}
		if p.Pinned != nil {
			sess.Pinned = *p.Pinned
		}
		if p.Archived != nil {
			sess.Archived = *p.Archived
		}
		sess.UpdatedAt = tx.Now()
		if err := tx.UpdateSession(sess); err != nil {
			return nil, err
		}
		out = sess
		return []eventlog.Event{event(id, EventSessionUpdated, sess)}, nil
	})
	if err != nil {
		return store.Session{}, fmt.Errorf("update session %s: %w", id, err)
	}
	return out, nil
}

// DeleteSession stops the session's generations and deletes it.
func (s *Service) DeleteSession(ctx context.Context, id string) error {
	release := s.hold(id)
	s.stopJobs(ctx, func(j *job) bool { return j.sessionID == id }, errStopped)
	var freed []string
	err := release(func(l *lane) error {
		_, err := s.events.Do(ctx, func(tx *store.Tx) ([]eventlog.Event, error) {
			files, err := tx.SessionAttachmentIDs(id)
			if err != nil {
				return nil, err
			}
			if err := tx.DeleteSession(id); err != nil {
				return nil, err
			}
			// Files nothing else carries go with the chat.
			if freed, err = tx.FreeAttachments(files, tx.Now()); err != nil {
				return nil, err
			}
			return []eventlog.Event{event(id, EventSessionDeleted, map[string]string{"id": id, "session_id": id})}, nil
		})
		if err == nil {
			l.waiting = nil // deleted with the chat
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete session %s: %w", id, err)
	}
	s.removeFiles(freed)
	return nil
}

// resolve finds the provider for a model reference; a failure is ErrUnknownModel.
func (s *Service) resolve(ref string) (llm.Provider, string, error) {
	p, model, err := s.providers.Resolve(ref)
	if err != nil {
		return nil, "", fmt.Errorf("%w %q: %v", ErrUnknownModel, ref, err)
	}
	return p, model, nil
}

func (s *Service) checkModel(ref string) error {
	_, _, err := s.resolve(ref)
	return err
}

// checkContent refuses an empty, oversized or non-UTF-8 message text. A
// message with files may have no text.
func checkContent(content string, files int) error {
	if strings.TrimSpace(content) == "" && files == 0 {
		return fmt.Errorf("%w: content must not be empty", ErrInvalid)
	}
	return checkText("content", content, MaxContentBytes)
}

func checkText(what, text string, limit int) error {
	if len(text) > limit {
		return fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrTooLarge, what, len(text), limit)
	}
	if !utf8.ValidString(text) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, what)
	}
	return nil
}

// titleFrom makes a session title from a first message (its first
// file's name when it has no text).
func titleFrom(content string, files []store.Attachment) string {
	if strings.TrimSpace(content) == "" && len(files) > 0 {
		content = files[0].Name
	}
	line := strings.TrimSpace(content)
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = strings.TrimSpace(line[:i])
	}
	line = strings.TrimPrefix(line, llm.EchoPrefix)
	if r := []rune(line); len(r) > 60 {
		line = strings.TrimSpace(string(r[:60])) + "…"
	}
	if line == "" {
		return DefaultTitle
	}
	return line
}

package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
)

// writeTimeout bounds one write to a stream: a client that stops reading
// (a frozen socket) is dropped instead of pinning the handler forever.
const writeTimeout = 30 * time.Second

// batchSize is how many events one read from the log may return.
const batchSize = 4096

// stream is one open GET /api/events connection.
type stream struct {
	id      string
	mu      sync.Mutex
	paused  bool
	changed chan struct{} // closed and replaced when paused flips
}

func (c *stream) setPaused(p bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paused != p {
		c.paused = p
		close(c.changed)
		c.changed = make(chan struct{})
	}
}

func (c *stream) state() (bool, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused, c.changed
}

type helloData struct {
	Epoch        string `json:"epoch"`
	Head         string `json:"head"`
	ConnectionID string `json:"connection_id"`
	HeartbeatMS  int64  `json:"heartbeat_ms"`
	Version      string `json:"version"`
}

type resetData struct {
	Reason string `json:"reason"`
	Epoch  string `json:"epoch"`
	Head   string `json:"head"`
}

type heartbeatData struct {
	Head string `json:"head"`
	Time string `json:"time"`
}

// events serves GET /api/events: hello, replay strictly after the resume
// id, then live events, heartbeats, and shutdown when the server closes.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	log := s.cfg.Events
	epoch := log.Epoch()
	lastID := r.Header.Get("Last-Event-ID")
	if lastID == "" {
		lastID = r.URL.Query().Get("last_event_id")
	}
	sessionFilter := r.URL.Query().Get("session")

	var sub *eventlog.Subscription
	var subErr error
	cursorID := "" // the id hello/reset/shutdown carry: never past what the client saw
	if lastID == "" {
		sub = log.SubscribeLive()
		cursorID = eventlog.FormatID(epoch, sub.Cursor())
	} else if e, seq, err := eventlog.ParseID(lastID); err != nil {
		subErr = &eventlog.ResetError{Reason: eventlog.ReasonBadID}
		cursorID = lastID
	} else {
		sub, subErr = log.Subscribe(e, seq)
		cursorID = eventlog.FormatID(e, seq)
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	bw := bufio.NewWriterSize(w, 32<<10)
	flush := func() error {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if err := bw.Flush(); err != nil {
			return err
		}
		return rc.Flush()
	}

	c := &stream{id: newConnID(), changed: make(chan struct{})}
	s.mu.Lock()
	select {
	case <-s.closing:
		s.mu.Unlock()
		writeEvent(bw, cursorID, "shutdown", s.reason)
		_ = flush()
		return
	default:
	}
	s.conns[c.id] = c
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c.id)
		s.mu.Unlock()
		s.wg.Done()
	}()

	bw.WriteString("retry: " + strconv.FormatInt(s.cfg.Retry.Milliseconds(), 10) + "\n\n")
	headID := eventlog.FormatID(epoch, log.Head())
	writeEvent(bw, cursorID, "hello", helloData{Epoch: epoch, Head: headID, ConnectionID: c.id,
		HeartbeatMS: s.cfg.Heartbeat.Milliseconds(), Version: s.cfg.Version})
	if subErr != nil {
		writeEvent(bw, cursorID, "reset", resetData{Reason: resetReason(subErr), Epoch: epoch, Head: headID})
		_ = flush()
		return
	}
	if err := flush(); err != nil {
		return
	}

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	// The pump reads the log; this goroutine writes. While paused the
	// pump blocks on the channel and the cursor stays put.
	batches := make(chan []*eventlog.Record)
	pumpErr := make(chan error, 1)
	go func() {
		for {
			recs, err := sub.Next(ctx, batchSize)
			if err != nil {
				pumpErr <- err
				return
			}
			select {
			case batches <- recs:
			case <-ctx.Done():
				pumpErr <- ctx.Err()
				return
			}
		}
	}()

	ticker := time.NewTicker(s.cfg.Heartbeat)
	defer ticker.Stop()
	write := func(recs []*eventlog.Record) {
		for _, rec := range recs {
			// Events of no session (config.*) reach every stream.
			if sessionFilter != "" && rec.SessionID != "" && rec.SessionID != sessionFilter {
				continue
			}
			bw.Write(rec.SSE(epoch))
		}
		cursorID = eventlog.FormatID(epoch, recs[len(recs)-1].Seq)
	}
	for {
		paused, changed := c.state()
		in := batches
		if paused {
			in = nil
		}
		select {
		case recs := <-in:
			write(recs)
			// Coalesce whatever else is ready into the same flush.
		more:
			for i := 0; i < 64; i++ {
				select {
				case recs := <-batches:
					write(recs)
				default:
					break more
				}
			}
			if err := flush(); err != nil {
				return
			}
		case <-changed:
		case <-ticker.C:
			writeEvent(bw, "", "heartbeat", heartbeatData{Head: eventlog.FormatID(epoch, log.Head()), Time: time.Now().UTC().Format(time.RFC3339Nano)})
			if err := flush(); err != nil {
				return
			}
		case err := <-pumpErr:
			if eventlog.IsReset(err) {
				// Retention overtook this stream: resync, never a silent gap.
				writeEvent(bw, cursorID, "reset", resetData{Reason: resetReason(err), Epoch: epoch, Head: eventlog.FormatID(epoch, log.Head())})
				_ = flush()
				return
			}
			if !errors.Is(err, context.Canceled) {
				s.log.Warn("event stream ended", "conn", c.id, "err", err)
			}
			if errors.Is(err, eventlog.ErrClosed) {
				writeEvent(bw, cursorID, "shutdown", s.shutdownReason())
				_ = flush()
			}
			return
		case <-s.closing:
			writeEvent(bw, cursorID, "shutdown", s.shutdownReason())
			_ = flush()
			return
		case <-ctx.Done():
			return
		}
	}
}

// resetReason is the reason a subscription cannot resume.
func resetReason(err error) string {
	var re *eventlog.ResetError
	if errors.As(err, &re) {
		return re.Reason
	}
	return eventlog.ReasonBadID
}

// shutdownReason is what a closing stream tells its client.
func (s *Server) shutdownReason() shutdownInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reason.Reason == "" { // the log closed before the server did
		return shutdownInfo{Reason: "server closing", RetryMS: 1000}
	}
	return s.reason
}

// writeEvent writes one named event; id may be "" (heartbeats).
func writeEvent(bw *bufio.Writer, id, typ string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		data = []byte(`{}`)
	}
	if id != "" {
		bw.WriteString("id: " + id + "\n")
	}
	bw.WriteString("event: " + typ + "\ndata: ")
	bw.Write(data)
	bw.WriteString("\n\n")
}

// streamAction pauses or resumes delivery on one connection.
func (s *Server) streamAction(w http.ResponseWriter, r *http.Request) {
	id, action := r.PathValue("conn"), r.PathValue("action")
	s.mu.Lock()
	c := s.conns[id]
	s.mu.Unlock()
	if c == nil {
		writeError(w, http.StatusNotFound, "not_found", "no open stream "+quoteShort(id))
		return
	}
	switch action {
	case "pause":
		c.setPaused(true)
	case "resume":
		c.setPaused(false)
	default:
		writeError(w, http.StatusNotFound, "not_found", "unknown stream action "+quoteShort(action))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

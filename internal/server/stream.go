package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/sse"
)

// writeTimeout bounds one write to a stream: a client that stops reading
// (a frozen socket) is dropped instead of pinning the handler forever.
const writeTimeout = 30 * time.Second

// batchSize is how many events one read from the log may return.
const batchSize = 4096

// coalesceBatches is how many more ready batches one flush may carry.
const coalesceBatches = 64

// streamConn is one open GET /api/events connection. The handler's
// goroutine owns it, except the pause state, which streamAction flips
// from a request goroutine.
type streamConn struct {
	// Set when the connection opens and never changed.
	id     string
	srv    *Server
	epoch  string
	filter string // a session id: other sessions' events are skipped; "" = all
	rc     *http.ResponseController

	// Owned by the handler's goroutine.
	w       *sse.Writer
	scratch []byte                 // encodings nobody else will send (replayed records)
	sub     *eventlog.Subscription // nil when the resume point was refused
	// cursorID is the id hello/reset/shutdown carry: never past what the
	// client saw, always made by this server (never the request's text),
	// and "" when the resume point was refused.
	cursorID       string
	storageChanged <-chan struct{} // closes when the storage state changes

	mu      sync.Mutex    // guards paused and changed
	paused  bool          // hold events back (heartbeats continue)
	changed chan struct{} // closed and replaced when paused flips
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
// A malformed resume id or session filter is refused with a JSON 400
// before the stream starts.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	lastID, err := resumeID(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if f := r.URL.Query()["session"]; len(f) > 1 || (len(f) == 1 && !validID(f[0])) {
		writeError(w, http.StatusBadRequest, "bad_request", "session must be one session id")
		return
	}
	sub, cursorID, resumeErr := s.resumePoint(lastID)
	c := s.openStream(w, r, sub, cursorID)
	if reason, ok := s.register(c); !ok {
		c.shutdown(reason)
		return
	}
	defer s.unregister(c)
	if !c.hello(resumeErr) {
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	batches, pumpErr := c.pump(ctx)
	c.writeLoop(ctx, batches, pumpErr)
}

// resumeID is where the client asks to resume: the Last-Event-ID header,
// else the last_event_id query parameter (for clients that cannot set
// headers); "" for none. Each one given must be a single well-formed
// event id (eventlog.ParseID): anything else (line breaks, a foreign
// shape, an oversized value) is an error that does not repeat it.
func resumeID(r *http.Request) (string, error) {
	header := r.Header.Values("Last-Event-ID")
	query := r.URL.Query()["last_event_id"]
	for _, vs := range [][]string{header, query} {
		if len(vs) > 1 {
			return "", errors.New("give one Last-Event-ID (header or last_event_id), not several")
		}
		if len(vs) == 1 && vs[0] != "" {
			if _, _, err := eventlog.ParseID(vs[0]); err != nil {
				return "", fmt.Errorf("Last-Event-ID is not an event id of this server: %w", err)
			}
		}
	}
	if len(header) == 1 && header[0] != "" {
		return header[0], nil
	}
	if len(query) == 1 {
		return query[0], nil
	}
	return "", nil
}

// resumePoint positions a cursor after lastID (already checked by
// resumeID); without one the stream starts live at the head. A position
// the log cannot resume from comes back as an error for hello to turn
// into a reset, so the client resyncs instead of missing events. The
// cursor id returned is built from the log's own epoch and a seq it
// accepted, never copied from the request.
func (s *Server) resumePoint(lastID string) (*eventlog.Subscription, string, error) {
	log := s.cfg.Events
	if lastID == "" {
		sub := log.SubscribeLive()
		return sub, eventlog.FormatID(log.Epoch(), sub.Cursor()), nil
	}
	epoch, seq, err := eventlog.ParseID(lastID)
	if err != nil {
		return nil, "", &eventlog.ResetError{Reason: eventlog.ReasonBadID}
	}
	sub, err := log.Subscribe(epoch, seq)
	if err != nil {
		return nil, "", err
	}
	return sub, eventlog.FormatID(log.Epoch(), sub.Cursor()), nil
}

// openStream sends the event-stream headers (no caching, no proxy
// buffering) and makes the connection's writer.
func (s *Server) openStream(w http.ResponseWriter, r *http.Request, sub *eventlog.Subscription, cursorID string) *streamConn {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	return &streamConn{
		id:       newConnID(),
		srv:      s,
		epoch:    s.cfg.Events.Epoch(),
		filter:   r.URL.Query().Get("session"),
		rc:       http.NewResponseController(w),
		w:        sse.NewWriter(w, 32<<10),
		scratch:  make([]byte, 0, 4<<10),
		sub:      sub,
		cursorID: cursorID,
		changed:  make(chan struct{}),
	}
}

// register adds c to the open streams, so streamAction can find it and
// Close can wait for it. Once the server is closing it refuses, and the
// caller owes the client the shutdown reason it returns.
func (s *Server) register(c *streamConn) (shutdownInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closing:
		return s.reason, false
	default:
	}
	s.conns[c.id] = c
	s.wg.Add(1)
	return shutdownInfo{}, true
}

func (s *Server) unregister(c *streamConn) {
	s.mu.Lock()
	delete(s.conns, c.id)
	s.mu.Unlock()
	s.wg.Done()
}

// hello opens the stream: the reconnect delay, then hello with the
// connection id (for pause/resume) and the head, and the storage state
// while a fault is on. A refused resume point is answered right after
// hello with reset, which ends the stream; both then carry no id.
func (c *streamConn) hello(resumeErr error) bool {
	cfg := c.srv.cfg
	head := eventlog.FormatID(c.epoch, cfg.Events.Head())
	c.w.Retry(cfg.Retry)
	c.send(c.cursorID, "hello", helloData{Epoch: c.epoch, Head: head, ConnectionID: c.id,
		HeartbeatMS: cfg.Heartbeat.Milliseconds(), Version: cfg.Version})
	if resumeErr != nil {
		c.send(c.cursorID, "reset", resetData{Reason: resetReason(resumeErr), Epoch: c.epoch, Head: head})
		_ = c.flush()
		return false
	}
	f, changed := cfg.Events.Fault()
	c.storageChanged = changed
	if f.Kind != eventlog.FaultNone {
		c.send("", "storage", storageState(f))
	}
	return c.flush() == nil
}

// pump reads the log on its own goroutine so the write loop can wait on
// new events, heartbeats, pause and shutdown at once. While the stream is
// paused nobody receives from batches: the pump blocks and the cursor
// stays where the client is.
func (c *streamConn) pump(ctx context.Context) (<-chan []*eventlog.Record, <-chan error) {
	batches := make(chan []*eventlog.Record)
	errc := make(chan error, 1)
	go func() {
		for {
			recs, err := c.sub.Next(ctx, batchSize)
			if err != nil {
				errc <- err
				return
			}
			select {
			case batches <- recs:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
		}
	}()
	return batches, errc
}

// writeLoop is the connection's life after hello: it waits for whichever
// comes first and hands it to the method for that concern.
func (c *streamConn) writeLoop(ctx context.Context, batches <-chan []*eventlog.Record, pumpErr <-chan error) {
	ticker := time.NewTicker(c.srv.cfg.Heartbeat)
	defer ticker.Stop()
	for {
		paused, changed := c.state()
		in := batches
		if paused {
			in = nil // leave events in the log until resume
		}
		var err error
		select {
		case recs := <-in:
			err = c.deliver(recs, batches)
		case <-changed: // pause flipped: wait again with the new state
		case <-ticker.C:
			err = c.heartbeat()
		case <-c.storageChanged: // paused or not, like heartbeats
			c.storageChanged = c.storage()
			err = c.flush()
		case perr := <-pumpErr:
			c.pumpEnded(perr)
			return
		case <-c.srv.closing:
			c.shutdown(c.srv.shutdownReason())
			return
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// deliver writes a batch, then whatever else the pump has ready, and
// flushes once: under load a burst costs one write to the socket, not
// one per batch.
func (c *streamConn) deliver(recs []*eventlog.Record, batches <-chan []*eventlog.Record) error {
	c.write(recs)
	for range coalesceBatches {
		select {
		case recs := <-batches:
			c.write(recs)
		default:
			return c.flush()
		}
	}
	return c.flush()
}

// write buffers the records this stream shows and moves its cursor past
// all of them (those filtered out too).
func (c *streamConn) write(recs []*eventlog.Record) {
	for _, rec := range recs {
		// Events of no session (config.*) reach every stream.
		if c.filter != "" && rec.SessionID != "" && rec.SessionID != c.filter {
			continue
		}
		c.w.Frame(rec.Encoded(c.scratch[:0], c.encode))
	}
	c.cursorID = eventlog.FormatID(c.epoch, recs[len(recs)-1].Seq)
}

// encode appends a record's block on the wire to dst. Live records cache
// it (see Record.Encoded): every stream of one server has the same epoch,
// so they all make the same bytes.
func (c *streamConn) encode(dst []byte, r *eventlog.Record) []byte {
	var id [64]byte
	dst = slices.Grow(dst, len(r.Data)+len(r.Type)+len(c.epoch)+40)
	return sse.AppendEvent(dst, eventlog.AppendID(id[:0], c.epoch, r.Seq), string(r.Type), r.Data)
}

// heartbeat tells an idle client the connection is alive and where the
// head is. It carries no id, so the client's resume point stays put.
func (c *streamConn) heartbeat() error {
	c.send("", "heartbeat", heartbeatData{
		Head: eventlog.FormatID(c.epoch, c.srv.cfg.Events.Head()),
		Time: time.Now().UTC().Format(time.RFC3339Nano),
	})
	return c.flush()
}

// pumpEnded reports why the log stopped feeding this stream.
func (c *streamConn) pumpEnded(err error) {
	if eventlog.IsReset(err) {
		// Retention overtook this stream: resync, never a silent gap.
		head := eventlog.FormatID(c.epoch, c.srv.cfg.Events.Head())
		c.send(c.cursorID, "reset", resetData{Reason: resetReason(err), Epoch: c.epoch, Head: head})
		_ = c.flush()
		return
	}
	if !errors.Is(err, context.Canceled) {
		c.srv.log.Warn("event stream ended", "conn", c.id, "err", err)
	}
	if errors.Is(err, eventlog.ErrClosed) {
		c.shutdown(c.srv.shutdownReason())
	}
}

// shutdown tells the client the server is going away and when to come
// back; the id lets it resume exactly where it was.
func (c *streamConn) shutdown(info shutdownInfo) {
	c.send(c.cursorID, "shutdown", info)
	_ = c.flush()
}

// send buffers one named event with a JSON payload; id may be ""
// (heartbeats).
func (c *streamConn) send(id, typ string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		data = []byte(`{}`)
	}
	c.w.Event(id, typ, data)
}

// flush writes out what is buffered, bounded by writeTimeout.
func (c *streamConn) flush() error {
	_ = c.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err := c.w.Flush(); err != nil {
		return err
	}
	return c.rc.Flush()
}

func (c *streamConn) setPaused(p bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paused != p {
		c.paused = p
		close(c.changed)
		c.changed = make(chan struct{})
	}
}

func (c *streamConn) state() (bool, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused, c.changed
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
